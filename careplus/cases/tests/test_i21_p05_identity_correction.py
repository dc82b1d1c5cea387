"""Issue 21 point 5: a coordinator corrects a person's identity on a case file (GDPR art. 16)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.audit.models import AuditEvent
from careplus.cases import services
from careplus.cases.models import Case, CaseEvent, CaseNote
from careplus.core import locking
from careplus.core.errors import RuleViolation, StaleObject
from careplus.privacy import rectification
from careplus.referrals import identity
from careplus.referrals.services import PossibleDuplicate
from careplus.search.selectors import search
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]
REASON = "The passport shows another spelling."


@pytest.fixture(autouse=True)
def _english() -> Any:
    """Service messages read in English here; the pages answer in French (the default language)."""
    with translation.override("en"):
        yield


def _fresh(case: Case) -> Case:
    return Case.objects.select_related("data_key").get(pk=case.pk)


def _changes_audited(case: Case) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_id=str(case.pk), action="change").order_by("seq"))


def _correct(actor: User, case: Case, **changes: Any) -> Case:
    return identity.identity_correct(
        actor=actor, case=case, changes=changes, reason=REASON, expected_version=case.version
    )


def test_i21_p05_correction_recomputes_the_indexes_so_search_finds_the_new_name_only() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name="Gurung", given_names="Sita")
    assert [c.pk for c in search(actor=coordinator, query="Gurung Sita").cases] == [case.pk]

    _correct(coordinator, case, family_name="Gurung-Tamang", date_of_birth=datetime.date(1994, 3, 14))

    saved = _fresh(case)
    assert saved.family_name == "Gurung-Tamang"
    assert saved.date_of_birth == datetime.date(1994, 3, 14)
    assert saved.birth_year == 1994
    assert saved.name_index == services.name_index(given_names="Sita", family_name="Gurung-Tamang")
    assert saved.person_index == services.person_index(
        given_names="Sita", family_name="Gurung-Tamang", date_of_birth=datetime.date(1994, 3, 14)
    )
    assert saved.version == case.version + 1
    assert [c.pk for c in search(actor=coordinator, query="Sita Gurung-Tamang").cases] == [case.pk]
    assert search(actor=coordinator, query="Gurung Sita").cases == []


def test_i21_p05_correction_is_timelined_and_audited_by_field_name_without_values() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name="Gurung", given_names="Sita")
    before = len(_changes_audited(case))

    _correct(coordinator, case, given_names="Sitaa", sex="x")

    events = _changes_audited(case)
    assert len(events) == before + 1
    audited = events[-1]
    assert audited.actor_id == str(coordinator.pk)
    assert sorted(audited.fields.split(",")) == ["given_names", "reason", "sex"]
    for value in ("Sitaa", "Sita", "Gurung", "passport", REASON):
        assert value not in audited.fields
    timeline = CaseEvent.objects.get(case=case, kind="identity_corrected")
    assert timeline.params == {"fields": ["given_names", "sex"], "reason": True}
    assert "Sitaa" not in str(timeline.params)
    note = CaseNote.objects.select_related("case__data_key").get(case=case)
    assert REASON in (note.body or "")


def test_i21_p05_nothing_changed_is_refused_and_nothing_recorded() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name="Gurung", given_names="Sita")
    before = len(_changes_audited(case))
    with pytest.raises(RuleViolation, match="Nothing was changed"):
        _correct(coordinator, case, family_name=" Gurung ", given_names="Sita")
    assert _fresh(case).version == case.version
    assert len(_changes_audited(case)) == before
    assert not CaseNote.objects.filter(case=case).exists()


def test_i21_p05_stale_version_is_refused_with_the_usual_message() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name="Gurung")
    seen = case.version
    _correct(coordinator, case, given_names="Sitaa")  # someone else saves first
    with pytest.raises(StaleObject) as stale:
        identity.identity_correct(
            actor=coordinator, case=case, changes={"family_name": "Tamang"}, reason=REASON, expected_version=seen
        )
    assert stale.value.message == locking.stale_message()  # the one wording of every stale edit
    assert _fresh(case).family_name == "Gurung"


@pytest.mark.parametrize("name", ["Gur\u202eung", "Gur\x00ung", "Gurung\nSita"])
def test_i21_p05_control_and_bidi_characters_are_refused(name: str) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name="Gurung")
    with pytest.raises(identity.FieldRefused) as refused:
        _correct(coordinator, case, family_name=name)
    assert refused.value.field == "family_name"
    assert _fresh(case).family_name == "Gurung"


def test_i21_p05_future_birth_date_missing_reason_and_empty_name_are_refused() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name="Gurung")
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(identity.FieldRefused, match="future"):
        _correct(coordinator, case, date_of_birth=tomorrow)
    with pytest.raises(identity.FieldRefused, match="Give the family name"):
        _correct(coordinator, case, family_name="  ")
    with pytest.raises(identity.FieldRefused) as refused:
        identity.identity_correct(
            actor=coordinator, case=case, changes={"family_name": "Tamang"}, reason=" ", expected_version=case.version
        )
    assert refused.value.field == "reason"
    saved = _fresh(case)
    assert (saved.family_name, saved.date_of_birth, saved.version) == ("Gurung", case.date_of_birth, case.version)


def test_i21_p05_erased_file_is_refused() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = services.case_erase(actor=None, case=factories.make_case())
    with pytest.raises(RuleViolation, match="erased"):
        _correct(coordinator, case, family_name="Tamang")


def test_i21_p05_identity_of_another_file_is_flagged_until_confirmed() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    other = factories.make_case(family_name="Tamang", given_names="Sita")
    case = factories.make_case(family_name="Gurung", given_names="Sita")
    with pytest.raises(PossibleDuplicate) as duplicate:
        _correct(coordinator, case, family_name="Tamang")
    assert duplicate.value.extra["references"] == [other.reference]
    assert _fresh(case).family_name == "Gurung"
    identity.identity_correct(
        actor=coordinator,
        case=case,
        changes={"family_name": "Tamang"},
        reason=REASON,
        expected_version=case.version,
        confirm_duplicate=True,
    )
    assert _fresh(case).person_index == other.person_index


def test_i21_p05_correction_appears_in_the_corrections_list() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name="Gurung")
    _correct(coordinator, case, family_name="Tamang", nationality="IN")
    latest = rectification.corrections(case)[0]
    assert latest.who == coordinator.full_name
    assert [label.lower() for label in latest.fields] == ["family name", "nationality (iso code)"]


# --- the page -------------------------------------------------------------------------------


def _url(case: Case) -> str:
    return reverse("cases:case_identity", kwargs={"case_id": case.pk})


def _post(case: Case, **overrides: Any) -> dict[str, Any]:
    data = {
        "family_name": "Gurung",
        "given_names": "Sita",
        "date_of_birth": "1995-03-14",
        "sex": "f",
        "nationality": "NP",
        "reason": REASON,
        "version": case.version,
    }
    data.update(overrides)
    return data


def test_i21_p05_coordinator_corrects_the_identity_from_the_summary(signed_in: SignedIn) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name="Gurung")
    client = signed_in(coordinator)
    summary = client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk}))
    assert _url(case) in summary.content.decode()
    page = client.get(_url(case))
    assert page.status_code == 200
    assert 'value="Gurung"' in page.content.decode()

    response = client.post(_url(case), _post(case, family_name="Tamang"))
    assert response.status_code == 302
    assert _fresh(case).family_name == "Tamang"
    history = client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk}) + "?onglet=historique")
    assert "Nom de famille" in history.content.decode()


def test_i21_p05_bad_input_on_the_page_says_why_and_changes_nothing(signed_in: SignedIn) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name="Gurung")
    client = signed_in(coordinator)
    before = len(_changes_audited(case))
    bidi = client.post(_url(case), _post(case, family_name="Gur\u202eung"))
    assert bidi.status_code == 400
    assert "U+202E" in bidi.content.decode()
    same = client.post(_url(case), _post(case))
    assert same.status_code == 400
    assert "Aucune modification" in same.content.decode() or "Nothing was changed" in same.content.decode()
    assert _fresh(case).version == case.version
    assert len(_changes_audited(case)) == before
    _correct(coordinator, case, given_names="Sitaa")  # someone else saves first
    stale = client.post(_url(case), _post(case, family_name="Tamang"))
    assert stale.status_code == 409
    assert "data-conflict" in stale.content.decode()
    assert _fresh(case).family_name == "Gurung"


def test_i21_p05_duplicate_is_said_on_the_page_then_confirmed(signed_in: SignedIn) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    other = factories.make_case(family_name="Tamang")
    case = factories.make_case(family_name="Gurung")
    client = signed_in(coordinator)
    warned = client.post(_url(case), _post(case, family_name="Tamang"))
    assert warned.status_code == 400
    assert other.reference in warned.content.decode()
    assert 'name="confirm_duplicate"' in warned.content.decode()
    confirmed = client.post(_url(case), _post(case, family_name="Tamang", confirm_duplicate="on"))
    assert confirmed.status_code == 302
    assert _fresh(case).family_name == "Tamang"


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.PARTNER, Role.DPO, Role.AUDITOR, Role.TRAINER])
def test_i21_p05_other_roles_get_404_and_no_link(role: Role, signed_in: SignedIn) -> None:
    office = factories.make_office()
    case = factories.make_case(office=office, family_name="Gurung")
    user = factories.make_user(role, office=office if role == Role.CASEWORKER else None)
    client = signed_in(user)
    assert client.get(_url(case)).status_code == 404
    assert client.post(_url(case), _post(case, family_name="Tamang")).status_code == 404
    assert _fresh(case).family_name == "Gurung"
    if role == Role.CASEWORKER:  # sees the file, not the correction
        summary = client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk}))
        assert summary.status_code == 200
        assert _url(case) not in summary.content.decode()


def test_i21_p05_restricted_file_asks_the_reason_first(signed_in: SignedIn) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name="Gurung")
    services.restriction_set(actor=coordinator, case=case, restricted=True, users=[], expected_version=case.version)
    case = _fresh(case)
    client = signed_in(coordinator)
    asked = client.post(_url(case), _post(case, family_name="Tamang"))
    assert asked.status_code in (302, 403)
    assert _fresh(case).family_name == "Gurung"
    client.post(
        reverse("cases:case_reason", kwargs={"case_id": case.pk}), {"reason": "Correction requested by the person"}
    )
    done = client.post(_url(case), _post(case, family_name="Tamang"))
    assert done.status_code == 302
    assert _fresh(case).family_name == "Tamang"


def test_i21_p05_erased_file_shows_no_correction(signed_in: SignedIn) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = services.case_erase(actor=None, case=factories.make_case())
    client = signed_in(coordinator)
    response = client.post(_url(case), _post(case, family_name="Tamang"))
    assert response.status_code == 302
    summary = client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk}))
    assert _url(case) not in summary.content.decode()
