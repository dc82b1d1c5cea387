"""Issue 21, staff rotation: coordinators and data protection officers leave too, and their work moves.

A coordinator's files, instrument drafts and tasks go to another active coordinator; a DPO's
pending erasure requests go to another active DPO. The four-eyes rules still hold after the move,
a wrong successor or the last coordinator/DPO is refused with nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from careplus.access.roles import Role
from careplus.accounts import services as account_services
from careplus.accounts.models import User
from careplus.audit.models import AuditEvent
from careplus.cases import services, staff
from careplus.cases.models import Case, CaseEvent
from careplus.core.errors import RuleViolation
from careplus.core.models import Instrument
from careplus.instruments import services as drafts
from careplus.privacy import erasure
from careplus.privacy.models import ErasureRequest, ErasureStatus
from careplus.returns.models import Visit
from careplus.returns.selectors import tasks_for
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are matched on their English msgids (the French catalogue is merged by the lead)."""
    with translation.override("en"):
        yield


def _draft(actor: User) -> Instrument:
    """A coordinator's open draft of the eligibility parameters, with one edit."""
    draft = drafts.draft_create(actor=actor, kind=drafts.ELIGIBILITY)
    data = drafts.eligibility_apply(
        draft.data,
        eu_member_states=[*draft.data["eu_member_states"], "CH"],
        overseas_departements=draft.data["overseas_departements"],
        adult_age=draft.data["adult_age"],
        max_age=draft.data["max_age"],
    )
    return drafts.draft_save(
        actor=actor, draft=draft, data=data, expected_row_version=draft.row_version, part="eligibility"
    )


def _edit(actor: User, draft: Instrument) -> Instrument:
    draft.refresh_from_db()
    data = dict(draft.data, adult_age=draft.data["adult_age"])
    data["max_age"] = draft.data["max_age"] + 1
    return drafts.draft_save(
        actor=actor, draft=draft, data=data, expected_row_version=draft.row_version, part="eligibility"
    )


def _coordinators() -> dict[str, Any]:
    office = factories.make_office("DKR")
    handler = factories.make_user(Role.COORDINATOR)  # the coordinator who does the handover
    leaver = factories.make_user(Role.COORDINATOR)
    successor = factories.make_user(Role.COORDINATOR)
    caseworker = factories.make_user(Role.CASEWORKER, office=office)
    case = factories.make_case(office=office, family_name="Diallo")
    staff.caseworker_set(actor=handler, case=case, caseworker=leaver, expected_version=case.version)
    draft = _draft(leaver)
    return {
        "office": office,
        "handler": handler,
        "leaver": leaver,
        "successor": successor,
        "caseworker": caseworker,
        "case": Case.objects.get(pk=case.pk),
        "draft": draft,
    }


def _dpos() -> dict[str, Any]:
    coordinator = factories.make_user(Role.COORDINATOR)
    leaver = factories.make_user(Role.DPO)
    successor = factories.make_user(Role.DPO)
    case = factories.make_case(family_name="Sow")
    request = erasure.erasure_request(actor=leaver, reference=case.reference, reason="Demande écrite du 3 mars.")
    return {"coordinator": coordinator, "leaver": leaver, "successor": successor, "request": request, "case": case}


def _item_events(obj: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("seq"))


def _reactivate(actor: User, user: User) -> User:
    user.refresh_from_db()
    return account_services.user_reactivate(actor=actor, user=user, expected_version=user.version)


# --- A coordinator leaves -------------------------------------------------------------------------


def test_i21_coordinator_leaving_moves_files_and_drafts_to_another_coordinator() -> None:
    team = _coordinators()
    handler, leaver, successor = team["handler"], team["leaver"], team["successor"]
    assert staff.roles_of(leaver) == {Role.COORDINATOR}
    choices = set(staff.successor_choices(leaver))
    assert {handler, successor} <= choices
    assert leaver not in choices
    assert team["caseworker"] not in choices
    draft_version = team["draft"].row_version

    plan = staff.staff_leave(actor=handler, leaver=leaver, successor=successor, expected_version=leaver.version)

    assert [case.pk for case in plan.open_files] == [team["case"].pk]
    assert [draft.pk for draft in plan.drafts] == [team["draft"].pk]
    assert Case.objects.get(pk=team["case"].pk).caseworker_id == successor.pk
    assert CaseEvent.objects.filter(case=team["case"], kind="reassigned", actor=handler).count() == 1
    draft = Instrument.objects.get(pk=team["draft"].pk)
    assert draft.drafted_by_id == successor.pk
    assert draft.status == Instrument.Status.DRAFT
    assert draft.row_version == draft_version + 1
    # One audit event for the draft's move, naming the field only, by the coordinator doing it.
    moved = [e for e in _item_events(draft) if e.actor_id == str(handler.pk)]
    assert [(e.action, e.field_names) for e in moved] == [("change", [drafts.HANDOVER_FIELD])]
    leaver.refresh_from_db()
    assert not leaver.is_active


def test_i21_moved_draft_keeps_four_eyes_for_successor_and_leaver() -> None:
    """Neither the leaver (whose edits stay in the log) nor the successor may approve; a third may."""
    team = _coordinators()
    handler, leaver, successor = team["handler"], team["leaver"], team["successor"]
    staff.staff_leave(actor=handler, leaver=leaver, successor=successor, expected_version=leaver.version)
    draft = Instrument.objects.get(pk=team["draft"].pk)
    today = timezone.localdate()

    # The successor, even before editing, now holds the draft: refused, nothing decided.
    assert drafts.is_author(successor, draft)
    with pytest.raises(RuleViolation, match="another coordinator must decide"):
        drafts.draft_approve(
            actor=successor, draft=draft, code=None, effective_from=today, expected_row_version=draft.row_version
        )
    draft = _edit(successor, draft)
    with pytest.raises(RuleViolation):
        drafts.draft_refuse(actor=successor, draft=draft, reason="no", expected_row_version=draft.row_version)

    # The leaver, reactivated later, is still one of its editors.
    leaver = _reactivate(handler, leaver)
    assert drafts.is_author(leaver, draft)
    with pytest.raises(RuleViolation):
        drafts.draft_approve(
            actor=leaver, draft=draft, code=None, effective_from=today, expected_row_version=draft.row_version
        )
    assert Instrument.objects.get(pk=draft.pk).status == Instrument.Status.DRAFT

    # Handing a draft over is not editing it: the coordinator who did it may decide, as a third person.
    assert not drafts.is_author(handler, draft)
    done = drafts.draft_approve(
        actor=handler,
        draft=draft,
        code=factories.totp_code(handler),
        effective_from=today,
        expected_row_version=draft.row_version,
    )
    assert done.status == Instrument.Status.APPROVED
    assert done.decided_by_id == handler.pk


def test_i21_coordinator_tasks_follow_the_files() -> None:
    """Tasks are read from the files in scope: a restricted file's visit reaches the successor."""
    team = _coordinators()
    handler, leaver, successor = team["handler"], team["leaver"], team["successor"]
    case = team["case"]
    services.restriction_set(
        actor=handler, case=case, restricted=True, users=[handler, leaver], expected_version=case.version
    )
    Visit.objects.create(case=case, planned_on=timezone.localdate())
    today = timezone.localdate()
    assert any(case.reference in task.text for task in tasks_for(actor=leaver, today=today))
    assert not any(case.reference in task.text for task in tasks_for(actor=successor, today=today))
    leaver.refresh_from_db()
    staff.staff_leave(actor=handler, leaver=leaver, successor=successor, expected_version=leaver.version)
    assert any(case.reference in task.text for task in tasks_for(actor=successor, today=today))


def test_i21_caseworker_files_may_go_to_a_coordinator() -> None:
    office = factories.make_office("DKR")
    coordinator = factories.make_user(Role.COORDINATOR)
    other_coordinator = factories.make_user(Role.COORDINATOR)
    leaver = factories.make_user(Role.CASEWORKER, office=office)
    case = factories.make_case(office=office)
    staff.caseworker_set(actor=coordinator, case=case, caseworker=leaver, expected_version=case.version)
    assert other_coordinator in set(staff.successor_choices(leaver))
    staff.staff_leave(actor=coordinator, leaver=leaver, successor=other_coordinator, expected_version=leaver.version)
    assert Case.objects.get(pk=case.pk).caseworker_id == other_coordinator.pk


# --- A data protection officer leaves -------------------------------------------------------------


def test_i21_dpo_leaving_moves_pending_erasure_requests_to_another_dpo() -> None:
    team = _dpos()
    coordinator, leaver, successor = team["coordinator"], team["leaver"], team["successor"]
    assert set(staff.successor_choices(leaver)) == {successor}
    version = team["request"].version
    plan = staff.staff_leave(actor=coordinator, leaver=leaver, successor=successor, expected_version=leaver.version)
    assert [r.pk for r in plan.erasure_requests] == [team["request"].pk]
    request = ErasureRequest.objects.get(pk=team["request"].pk)
    assert request.requested_by_id == successor.pk
    assert request.status == ErasureStatus.REQUESTED
    assert request.version == version + 1
    moved = [e for e in _item_events(request) if e.actor_id == str(coordinator.pk)]
    assert [(e.action, e.field_names) for e in moved] == [("change", ["requested_by"])]
    leaver.refresh_from_db()
    assert not leaver.is_active


def test_i21_moved_erasure_request_needs_a_person_other_than_successor_and_original_requester() -> None:
    team = _dpos()
    coordinator, leaver, successor = team["coordinator"], team["leaver"], team["successor"]
    staff.staff_leave(actor=coordinator, leaver=leaver, successor=successor, expected_version=leaver.version)
    request = ErasureRequest.objects.get(pk=team["request"].pk)
    assert erasure.original_requester(request) == str(leaver.pk)
    assert not erasure.may_decide(successor, request)
    with pytest.raises(erasure.ErasureRefused):
        erasure.erasure_approve(actor=successor, request=request, expected_version=request.version, code=None)
    with pytest.raises(erasure.ErasureRefused):
        erasure.erasure_refuse(actor=successor, request=request, expected_version=request.version, reason="Non.")
    # The original requester, reactivated later, may not decide it either.
    leaver = _reactivate(coordinator, leaver)
    assert not erasure.may_decide(leaver, request)
    with pytest.raises(erasure.ErasureRefused):
        erasure.erasure_approve(actor=leaver, request=request, expected_version=request.version, code=None)
    assert ErasureRequest.objects.get(pk=request.pk).status == ErasureStatus.REQUESTED
    # A third person (here the coordinator) decides it.
    assert erasure.may_decide(coordinator, request)
    done = erasure.erasure_approve(
        actor=coordinator, request=request, expected_version=request.version, code=factories.totp_code(coordinator)
    )
    assert done.status == ErasureStatus.ERASED


# --- Refusals change nothing ----------------------------------------------------------------------


def _snapshot(leaver: User) -> dict[str, Any]:
    leaver.refresh_from_db()
    return {
        "active": leaver.is_active,
        "files": sorted(str(pk) for pk in Case.objects.filter(caseworker=leaver).values_list("pk", flat=True)),
        "drafts": list(Instrument.objects.filter(drafted_by=leaver).values_list("pk", "row_version")),
        "requests": list(ErasureRequest.objects.filter(requested_by=leaver).values_list("pk", "version")),
        "events": AuditEvent.objects.count(),
        "timeline": CaseEvent.objects.count(),
    }


@pytest.mark.parametrize("who", ["caseworker", "dpo", "leaver", "inactive", "nobody"])
def test_i21_coordinator_refused_successor_changes_nothing(who: str) -> None:
    team = _coordinators()
    leaver = team["leaver"]
    successor: User | None
    if who == "inactive":
        User.objects.filter(pk=team["successor"].pk).update(is_active=False)
        successor = User.objects.get(pk=team["successor"].pk)
    elif who == "dpo":
        successor = factories.make_user(Role.DPO)
    else:
        successor = {"caseworker": team["caseworker"], "leaver": leaver, "nobody": None}[who]
    before = _snapshot(leaver)
    with pytest.raises(staff.SuccessorRefused) as refused:
        staff.staff_leave(actor=team["handler"], leaver=leaver, successor=successor, expected_version=leaver.version)
    if who in ("caseworker", "dpo"):
        assert "Only an active coordinator can take over instrument drafts." in str(refused.value.message)
    assert _snapshot(leaver) == before
    assert before["active"]


@pytest.mark.parametrize("who", ["coordinator", "leaver", "inactive"])
def test_i21_dpo_refused_successor_changes_nothing(who: str) -> None:
    team = _dpos()
    leaver = team["leaver"]
    if who == "inactive":
        factories.make_user(Role.DPO)  # another DPO stays, so the leaver is not the last one
        User.objects.filter(pk=team["successor"].pk).update(is_active=False)
        successor = User.objects.get(pk=team["successor"].pk)
    else:
        successor = {"coordinator": team["coordinator"], "leaver": leaver}[who]
    before = _snapshot(leaver)
    with pytest.raises(staff.SuccessorRefused) as refused:
        staff.staff_leave(
            actor=team["coordinator"], leaver=leaver, successor=successor, expected_version=leaver.version
        )
    if who == "coordinator":
        assert "data protection officer" in str(refused.value.message)
    assert _snapshot(leaver) == before


def test_i21_last_dpo_is_not_handed_away() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    # Any other DPO of the test database is deactivated: the leaver is the last one.
    User.objects.filter(role_grants__role=Role.DPO).update(is_active=False)
    leaver = factories.make_user(Role.DPO)
    before = _snapshot(leaver)
    with pytest.raises(RuleViolation, match="last active data protection officer"):
        staff.staff_leave(actor=coordinator, leaver=leaver, successor=None, expected_version=leaver.version)
    assert _snapshot(leaver) == before


def test_i21_last_coordinator_is_not_handed_away() -> None:
    """Not reachable from the page (the coordinator acting is another one), but the service holds the rule."""
    User.objects.filter(role_grants__role=Role.COORDINATOR).update(is_active=False)
    leaver = factories.make_user(Role.COORDINATOR)
    actor = factories.make_user(Role.DPO)
    before = _snapshot(leaver)
    with pytest.raises(RuleViolation, match="last active coordinator"):
        staff.staff_leave(actor=actor, leaver=leaver, successor=None, expected_version=leaver.version)
    assert _snapshot(leaver) == before


def test_i21_coordinator_cannot_hand_over_themselves() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    factories.make_user(Role.COORDINATOR)
    before = _snapshot(coordinator)
    with pytest.raises(RuleViolation):
        staff.staff_leave(actor=coordinator, leaver=coordinator, successor=None, expected_version=coordinator.version)
    assert _snapshot(coordinator) == before


# --- Pages ----------------------------------------------------------------------------------------


def test_i21_page_counts_what_moves_and_offers_only_coordinators(signed_in: SignedIn) -> None:
    team = _coordinators()
    leaver, successor = team["leaver"], team["successor"]
    client = signed_in(team["handler"])
    url = reverse("accounts:staff_leaving", kwargs={"user_id": leaver.pk})
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-kind="files">1<' in page
    assert 'data-kind="drafts">1<' in page
    assert 'data-kind="erasures">0<' in page
    offered = {str(pk) for pk, _label in response.context["form"].fields["successor"].widget.choices if pk}
    assert str(successor.pk) in offered
    assert str(team["caseworker"].pk) not in offered
    assert str(leaver.pk) not in offered

    refused = client.post(url, {"successor": team["caseworker"].pk, "version": leaver.version})
    assert refused.status_code == 400
    assert refused.context["form"].errors.get("successor")
    assert Instrument.objects.get(pk=team["draft"].pk).drafted_by_id == leaver.pk
    assert User.objects.get(pk=leaver.pk).is_active

    done = client.post(url, {"successor": successor.pk, "version": leaver.version})
    assert done.status_code == 302
    assert Instrument.objects.get(pk=team["draft"].pk).drafted_by_id == successor.pk
    assert Case.objects.get(pk=team["case"].pk).caseworker_id == successor.pk
    assert not User.objects.get(pk=leaver.pk).is_active


def test_i21_page_hands_over_a_dpo_and_ends_their_sessions(signed_in: SignedIn) -> None:
    team = _dpos()
    leaver, successor = team["leaver"], team["successor"]
    leaver_client = signed_in(leaver)
    assert leaver_client.get(reverse("privacy:erasure_list")).status_code == 200
    client = signed_in(team["coordinator"])
    url = reverse("accounts:staff_leaving", kwargs={"user_id": leaver.pk})
    page = client.get(url).content.decode()
    assert 'data-kind="erasures">1<' in page
    assert team["case"].reference in page
    done = client.post(url, {"successor": successor.pk, "version": leaver.version})
    assert done.status_code == 302
    assert ErasureRequest.objects.get(pk=team["request"].pk).requested_by_id == successor.pk
    assert leaver_client.get(reverse("privacy:erasure_list")).status_code == 302


def test_i21_page_refuses_the_last_dpo_with_a_message(signed_in: SignedIn) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    User.objects.filter(role_grants__role=Role.DPO).update(is_active=False)
    leaver = factories.make_user(Role.DPO)
    response = signed_in(coordinator).post(
        reverse("accounts:staff_leaving", kwargs={"user_id": leaver.pk}), {"successor": "", "version": leaver.version}
    )
    assert response.status_code == 400
    with translation.override("fr"):
        said = translation.gettext(
            "This is the last active data protection officer: grant the role to someone else first."
        )
    assert said in response.context["form"].non_field_errors()
    assert User.objects.get(pk=leaver.pk).is_active


def test_i21_list_shows_every_kind_of_leaver_in_few_queries(
    signed_in: SignedIn, django_assert_max_num_queries: Any
) -> None:
    team = _coordinators()
    dpo = factories.make_user(Role.DPO)
    for _n in range(5):
        worker = factories.make_user(Role.CASEWORKER, office=team["office"])
        case = factories.make_case(office=team["office"])
        staff.caseworker_set(actor=team["handler"], case=case, caseworker=worker, expected_version=case.version)
    client = signed_in(team["handler"])
    with django_assert_max_num_queries(20):
        response = client.get(reverse("accounts:staff_leaving_list"))
    page = response.content.decode()
    for person in (team["leaver"], team["caseworker"], dpo):
        assert reverse("accounts:staff_leaving", kwargs={"user_id": person.pk}) in page


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.DPO, Role.AUDITOR, Role.PARTNER, Role.TRAINER])
def test_i21_only_staff_handover_holders_reach_a_coordinator_or_dpo_handover(signed_in: SignedIn, role: Role) -> None:
    team = _coordinators()
    dpo_team = _dpos()
    client = signed_in(factories.make_user(role))
    assert client.get(reverse("accounts:staff_leaving_list")).status_code == 404
    for leaver, successor in ((team["leaver"], team["successor"]), (dpo_team["leaver"], dpo_team["successor"])):
        url = reverse("accounts:staff_leaving", kwargs={"user_id": leaver.pk})
        assert client.get(url).status_code == 404
        assert client.post(url, {"successor": successor.pk, "version": leaver.version}).status_code == 404
        assert User.objects.get(pk=leaver.pk).is_active
    assert Instrument.objects.get(pk=team["draft"].pk).drafted_by_id == team["leaver"].pk
    assert ErasureRequest.objects.get(pk=dpo_team["request"].pk).requested_by_id == dpo_team["leaver"].pk
