"""Issue 21 point 7: a file's responsible caseworker, and a leaving caseworker's handover."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts import services as account_services
from careplus.accounts.models import ApiToken, User, UserSession
from careplus.audit.models import AuditEvent
from careplus.cases import services, staff
from careplus.cases.models import Case, CaseEvent
from careplus.core.errors import RuleViolation, StaleObject
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def _team() -> dict[str, Any]:
    office = factories.make_office("DKR")
    other_office = factories.make_office("LOS")
    coordinator = factories.make_user(Role.COORDINATOR)
    leaver = factories.make_user(Role.CASEWORKER, office=office)
    colleague = factories.make_user(Role.CASEWORKER, office=office)
    stranger = factories.make_user(Role.CASEWORKER, office=other_office)
    files = [factories.make_case(office=office, family_name=name) for name in ("Diallo", "Sow", "Ba")]
    for case in files:
        staff.caseworker_set(actor=coordinator, case=case, caseworker=leaver, expected_version=case.version)
    return {
        "office": office,
        "coordinator": coordinator,
        "leaver": leaver,
        "colleague": colleague,
        "stranger": stranger,
        "files": [Case.objects.get(pk=case.pk) for case in files],
    }


def _caseworkers(files: list[Case]) -> list[Any]:
    return [Case.objects.get(pk=case.pk).caseworker_id for case in files]


# --- the responsible caseworker -------------------------------------------------------------


def test_i21_p07_caseworker_is_named_among_the_office_caseworkers_and_coordinators() -> None:
    team = _team()
    case = team["files"][0]
    choices = set(staff.caseworker_choices(case))
    assert {team["leaver"], team["colleague"], team["coordinator"]} <= choices
    assert team["stranger"] not in choices
    with pytest.raises(RuleViolation):
        staff.caseworker_set(
            actor=team["coordinator"], case=case, caseworker=team["stranger"], expected_version=case.version
        )
    assert Case.objects.get(pk=case.pk).caseworker_id == team["leaver"].pk


def test_i21_p07_caseworker_change_is_version_checked_timelined_and_audited() -> None:
    team = _team()
    case = team["files"][0]
    with pytest.raises(StaleObject):
        staff.caseworker_set(
            actor=team["coordinator"], case=case, caseworker=team["colleague"], expected_version=case.version - 1
        )
    staff.caseworker_set(
        actor=team["coordinator"], case=case, caseworker=team["colleague"], expected_version=case.version
    )
    assert Case.objects.get(pk=case.pk).caseworker_id == team["colleague"].pk
    assert CaseEvent.objects.filter(case=case, kind="caseworker_changed").count() == 2
    event = AuditEvent.objects.filter(object_id=str(case.pk), action="change").order_by("-seq").first()
    assert event is not None
    assert event.field_names == ["caseworker"]
    assert event.actor_id == str(team["coordinator"].pk)


def test_i21_p07_coordinator_sets_the_caseworker_on_the_access_tab(signed_in: SignedIn) -> None:
    team = _team()
    case = team["files"][0]
    client = signed_in(team["coordinator"])
    page = client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk}) + "?onglet=acces")
    assert reverse("cases:caseworker_set", kwargs={"case_id": case.pk}) in page.content.decode()
    url = reverse("cases:caseworker_set", kwargs={"case_id": case.pk})
    refused = client.post(url, {"caseworker": team["stranger"].pk, "version": case.version})
    assert refused.status_code == 400
    assert Case.objects.get(pk=case.pk).caseworker_id == team["leaver"].pk
    done = client.post(url, {"caseworker": team["colleague"].pk, "version": case.version})
    assert done.status_code == 302
    assert Case.objects.get(pk=case.pk).caseworker_id == team["colleague"].pk
    shown = client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk}))
    assert team["colleague"].full_name in shown.content.decode()


def test_i21_p07_caseworker_cannot_name_a_caseworker(signed_in: SignedIn) -> None:
    team = _team()
    case = team["files"][0]
    response = signed_in(team["colleague"]).post(
        reverse("cases:caseworker_set", kwargs={"case_id": case.pk}),
        {"caseworker": team["colleague"].pk, "version": case.version},
    )
    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).caseworker_id == team["leaver"].pk


# --- staff leaving: the rules ---------------------------------------------------------------


def test_i21_p07_handover_moves_open_files_names_the_colleague_and_deactivates() -> None:
    team = _team()
    leaver, colleague, coordinator = team["leaver"], team["colleague"], team["coordinator"]
    closed = team["files"][2]
    Case.objects.filter(pk=closed.pk).update(status="closed")
    restricted = factories.make_case(office=team["office"], family_name="Ndiaye")
    services.restriction_set(
        actor=coordinator, case=restricted, restricted=True, users=[leaver], expected_version=restricted.version
    )
    moved = staff.staff_leave(
        actor=coordinator, leaver=leaver, successor=colleague, expected_version=leaver.version
    ).open_files

    assert {case.pk for case in moved} == {team["files"][0].pk, team["files"][1].pk}
    assert _caseworkers(team["files"][:2]) == [colleague.pk, colleague.pk]
    assert Case.objects.get(pk=closed.pk).caseworker_id == leaver.pk  # a finished file keeps its history
    assert Case.objects.get(pk=restricted.pk).restricted_users.filter(pk=colleague.pk).exists()
    for case in moved:
        assert CaseEvent.objects.filter(case=case, kind="reassigned", actor=coordinator).count() == 1
        fields = [e.field_names for e in AuditEvent.objects.filter(object_id=str(case.pk), action="change")]
        assert ["caseworker"] in fields
    restricted_fields = [e.field_names for e in AuditEvent.objects.filter(object_id=str(restricted.pk))]
    assert ["restricted_users"] in restricted_fields
    leaver.refresh_from_db()
    assert not leaver.is_active
    assert AuditEvent.objects.filter(object_id=str(leaver.pk), action="change", fields__contains="is_active").exists()


@pytest.mark.parametrize("who", ["stranger", "leaver", "inactive", "nobody"])
def test_i21_p07_refused_successor_changes_nothing(who: str) -> None:
    team = _team()
    leaver = team["leaver"]
    if who == "inactive":
        User.objects.filter(pk=team["colleague"].pk).update(is_active=False)
        successor: User | None = User.objects.get(pk=team["colleague"].pk)
    else:
        successor = {"stranger": team["stranger"], "leaver": leaver, "nobody": None}[who]
    before = AuditEvent.objects.count()
    with pytest.raises(staff.SuccessorRefused):
        staff.staff_leave(
            actor=team["coordinator"], leaver=leaver, successor=successor, expected_version=leaver.version
        )
    assert _caseworkers(team["files"]) == [leaver.pk] * 3
    assert not CaseEvent.objects.filter(kind="reassigned").exists()
    leaver.refresh_from_db()
    assert leaver.is_active
    assert AuditEvent.objects.count() == before


def test_i21_p07_all_or_nothing_when_the_deactivation_is_refused() -> None:
    """A stale account version (changed meanwhile) undoes the files already moved."""
    team = _team()
    leaver = team["leaver"]
    with pytest.raises(StaleObject):
        staff.staff_leave(
            actor=team["coordinator"], leaver=leaver, successor=team["colleague"], expected_version=leaver.version + 1
        )
    assert _caseworkers(team["files"]) == [leaver.pk] * 3
    assert not CaseEvent.objects.filter(kind="reassigned").exists()
    leaver.refresh_from_db()
    assert leaver.is_active


def test_i21_p07_nothing_to_hand_over_is_simply_deactivated() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    leaver = factories.make_user(Role.CASEWORKER)
    assert staff.handover_plan(leaver).empty
    assert staff.staff_leave(actor=coordinator, leaver=leaver, successor=None, expected_version=leaver.version).empty
    leaver.refresh_from_db()
    assert not leaver.is_active


def test_i21_p07_only_an_active_caseworker_is_handed_over() -> None:
    """Coordinators and DPOs are handed over too (see test_i21_staff_leaving_roles); an auditor is not."""
    coordinator = factories.make_user(Role.COORDINATOR)
    other = factories.make_user(Role.AUDITOR)
    with pytest.raises(RuleViolation):
        staff.staff_leave(actor=coordinator, leaver=other, successor=None, expected_version=other.version)
    other.refresh_from_db()
    assert other.is_active


# --- staff leaving: the pages ---------------------------------------------------------------


def test_i21_p07_page_lists_what_moves_and_hands_over(signed_in: SignedIn) -> None:
    team = _team()
    leaver, colleague = team["leaver"], team["colleague"]
    client = signed_in(team["coordinator"])
    url = reverse("accounts:staff_leaving", kwargs={"user_id": leaver.pk})
    page = client.get(url).content.decode()
    assert AuditEvent.objects.filter(action="view", object_id=str(leaver.pk)).exists()
    for case in team["files"]:
        assert case.reference in page
    assert colleague.email in page
    assert team["stranger"].email not in page  # another office is not offered
    response = client.post(url, {"successor": colleague.pk, "version": leaver.version})
    assert response.status_code == 302
    assert _caseworkers(team["files"]) == [colleague.pk] * 3
    leaver.refresh_from_db()
    assert not leaver.is_active
    listing = client.get(reverse("accounts:staff_leaving_list")).content.decode()
    assert leaver.email not in listing


def test_i21_p07_ending_sessions_and_tokens_of_the_leaver(signed_in: SignedIn) -> None:
    team = _team()
    leaver = team["leaver"]
    leaver_client = signed_in(leaver)
    assert leaver_client.get(reverse("cases:case_list")).status_code == 200
    account_services.api_token_create(user=leaver, name="t", days=30)
    signed_in(team["coordinator"]).post(
        reverse("accounts:staff_leaving", kwargs={"user_id": leaver.pk}),
        {"successor": team["colleague"].pk, "version": leaver.version},
    )
    assert leaver_client.get(reverse("cases:case_list")).status_code == 302
    assert not UserSession.objects.filter(user_id=leaver.pk).exists()
    assert not ApiToken.objects.filter(user=leaver, revoked_at__isnull=True).exists()


@pytest.mark.parametrize("field", ["stranger", "leaver", "unknown"])
def test_i21_p07_page_refuses_bad_successor_with_a_field_message(signed_in: SignedIn, field: str) -> None:
    team = _team()
    leaver = team["leaver"]
    value = {"stranger": team["stranger"].pk, "leaver": leaver.pk, "unknown": "not-a-user"}[field]
    response = signed_in(team["coordinator"]).post(
        reverse("accounts:staff_leaving", kwargs={"user_id": leaver.pk}),
        {"successor": value, "version": leaver.version},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors.get("successor")
    assert _caseworkers(team["files"]) == [leaver.pk] * 3
    leaver.refresh_from_db()
    assert leaver.is_active


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.DPO, Role.AUDITOR, Role.PARTNER, Role.TRAINER])
def test_i21_p07_only_coordinators_hand_over(signed_in: SignedIn, role: Role) -> None:
    team = _team()
    leaver = team["leaver"]
    user = factories.make_user(role, office=team["office"] if role == Role.CASEWORKER else None)
    response = signed_in(user).post(
        reverse("accounts:staff_leaving", kwargs={"user_id": leaver.pk}),
        {"successor": team["colleague"].pk, "version": leaver.version},
    )
    assert response.status_code == 404
    leaver.refresh_from_db()
    assert leaver.is_active
    assert _caseworkers(team["files"]) == [leaver.pk] * 3


def test_i21_p07_a_non_caseworker_account_is_not_found(signed_in: SignedIn) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    auditor = factories.make_user(Role.AUDITOR)
    url = reverse("accounts:staff_leaving", kwargs={"user_id": auditor.pk})
    assert signed_in(coordinator).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="denied", object_id=str(auditor.pk)).exists()
