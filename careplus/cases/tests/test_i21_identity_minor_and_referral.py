"""Issue 21 (identity correction, follow-up): a corrected date of birth recomputes the child procedure,
and the file's referral is corrected with it (names, date of birth, blind indexes)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest

from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.audit.models import AuditEvent
from careplus.cases import selectors, services, workflow
from careplus.cases.choices import CaseStatus
from careplus.cases.events import describe
from careplus.cases.models import Case, CaseEvent, CaseNote
from careplus.programmes.models import Programme
from careplus.referrals import identity
from careplus.referrals import services as referral_services
from careplus.referrals.choices import DecisionOutcome
from careplus.referrals.models import Referral
from careplus.search.selectors import search
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]
REASON = "The birth certificate shows another date."
RECEIVED = datetime.date(2018, 4, 3)  # the factories' referral day
ADULT_BIRTH = datetime.date(1995, 5, 4)  # 22 when referred
MINOR_BIRTH = datetime.date(2002, 9, 1)  # 15 when referred (an adult today: the referral's day decides)


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


def _accepted(coordinator: User, **person: Any) -> tuple[Case, Referral]:
    """A referral accepted by a coordinator, and the file it opened."""
    if not Programme.objects.exists():
        factories.make_programme()
        factories.make_office("TUN", country="TN")  # the file's return office
    referral = factories.make_referral(**person)
    referral_services.referral_decide(
        actor=coordinator,
        referral=referral,
        outcome=DecisionOutcome.ACCEPT,
        expected_version=referral.version,
        reason="All conditions met.",
        override_reason="Guardian being appointed.",
    )
    referral = _fresh_referral(referral)
    assert referral.case_id is not None
    return _fresh(Case(pk=referral.case_id)), referral


def _fresh(case: Case) -> Case:
    return Case.objects.select_related("data_key").get(pk=case.pk)


def _fresh_referral(referral: Referral) -> Referral:
    return Referral.objects.select_related("data_key").get(pk=referral.pk)


def _audited(obj: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_id=str(obj.pk), action="change").order_by("seq"))


def _correct(actor: User, case: Case, **changes: Any) -> Case:
    return identity.identity_correct(
        actor=actor, case=case, changes=changes, reason=REASON, expected_version=case.version
    )


def _child_steps(case: Case) -> list[str]:
    facts = selectors.case_facts(case)
    return [item for item in workflow.missing_requirements(facts, CaseStatus.READY_TO_DEPART) if "Minor" in item]


def _set_status(case: Case, status: str) -> Case:
    Case.objects.filter(pk=case.pk).update(status=status)
    return _fresh(case)


# --- the child procedure --------------------------------------------------------------------


def test_i21_adult_file_becomes_a_minors_file_and_the_child_steps_are_now_required() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case, referral = _accepted(coordinator, date_of_birth=ADULT_BIRTH)
    assert not case.is_minor
    assert not referral.is_minor
    assert _child_steps(case) == []

    saved = _correct(coordinator, case, date_of_birth=MINOR_BIRTH)

    case = _fresh(case)
    assert case.is_minor is True
    assert _fresh_referral(referral).is_minor is True
    # The same rule as when the referral was recorded, on the day it was received.
    assert case.is_minor == workflow.is_minor_on(date_of_birth=MINOR_BIRTH, estimated_age=None, day=RECEIVED)
    # The guards of "ready to depart" now demand the child procedure's steps.
    steps = _child_steps(case)
    assert len(steps) == 4
    assert any("guardian" in step for step in steps)
    assert any("best-interests" in step for step in steps)
    # Audited by field name (is_minor among them), no value of the person.
    audited = _audited(case)[-1]
    assert sorted(audited.fields.split(",")) == ["date_of_birth", "is_minor", "reason"]
    assert "2002" not in audited.fields
    # On the timeline, with the procedure the file now follows; no value of the person.
    event = CaseEvent.objects.get(case=case, kind=identity.PROCEDURE_EVENT)
    assert event.params == {"procedure": "child", "flagged": False}
    assert "child procedure" in describe(event.kind, event.params)
    # The coordinator is told, with what is now required; no alert (nothing was skipped).
    notice = identity.procedure_notice(saved, was_minor=False)
    assert "now follows the child procedure" in notice
    assert "guardian's consent" in notice
    assert "coordination plan" in notice
    assert identity.procedure_alert(case, selectors.case_facts(case)) == []


def test_i21_minors_file_becomes_an_adults_file_when_the_birth_date_was_wrong() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case, referral = _accepted(coordinator, date_of_birth=MINOR_BIRTH)
    assert case.is_minor
    assert referral.is_minor
    assert _child_steps(case)

    saved = _correct(coordinator, case, date_of_birth=ADULT_BIRTH)

    case = _fresh(case)
    assert case.is_minor is False
    assert _fresh_referral(referral).is_minor is False
    assert _child_steps(case) == []
    assert "is_minor" in _audited(case)[-1].fields.split(",")
    assert "is_minor" in _audited(referral)[-1].fields.split(",")
    event = CaseEvent.objects.get(case=case, kind=identity.PROCEDURE_EVENT)
    assert event.params == {"procedure": "adult", "flagged": False}
    assert "adult procedure" in describe(event.kind, event.params)
    assert "now follows the adult procedure" in identity.procedure_notice(saved, was_minor=True)


def test_i21_birth_date_change_without_switch_keeps_the_procedure_and_says_nothing() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case, referral = _accepted(coordinator, date_of_birth=ADULT_BIRTH)

    saved = _correct(coordinator, case, date_of_birth=datetime.date(1994, 5, 4))

    case = _fresh(case)
    assert case.is_minor is False
    assert case.date_of_birth == datetime.date(1994, 5, 4)
    assert _fresh_referral(referral).date_of_birth == datetime.date(1994, 5, 4)
    assert sorted(_audited(case)[-1].fields.split(",")) == ["date_of_birth", "reason"]
    assert not CaseEvent.objects.filter(case=case, kind=identity.PROCEDURE_EVENT).exists()
    assert identity.procedure_notice(saved, was_minor=False) == ""


def test_i21_birth_date_removed_without_estimated_age_keeps_the_child_procedure() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case, _referral = _accepted(coordinator, date_of_birth=MINOR_BIRTH)
    _correct(coordinator, case, date_of_birth=None)
    case = _fresh(case)
    assert case.date_of_birth is None
    assert case.is_minor is True  # nothing shows the child procedure was wrong


def test_i21_file_past_the_child_check_is_corrected_and_flagged_until_the_steps_are_recorded() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case, _referral = _accepted(coordinator, date_of_birth=ADULT_BIRTH)
    case = _set_status(case, CaseStatus.READY_TO_DEPART)
    facts = selectors.case_facts(case)
    assert identity.procedure_alert(case, facts) == []

    saved = _correct(coordinator, case, date_of_birth=MINOR_BIRTH)

    case = _fresh(case)
    assert case.is_minor is True
    assert case.status == CaseStatus.READY_TO_DEPART  # a true correction is not refused
    event = CaseEvent.objects.get(case=case, kind=identity.PROCEDURE_EVENT)
    assert event.params == {"procedure": "child", "flagged": True}
    assert "alert" in describe(event.kind, event.params)
    alert = identity.procedure_alert(case, selectors.case_facts(case))
    assert len(alert) == 4
    assert all(step.startswith("Minor") for step in alert)
    notice = identity.procedure_notice(saved, was_minor=False)
    assert "already ready to depart" in notice
    assert "pre-departure" in notice

    # Corrected back (the first correction was the mistake): no alert any more.
    _correct(coordinator, case, date_of_birth=ADULT_BIRTH)
    case = _fresh(case)
    assert identity.procedure_alert(case, selectors.case_facts(case)) == []


def test_i21_returned_file_becoming_a_minors_file_is_flagged() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case, _referral = _accepted(coordinator, date_of_birth=ADULT_BIRTH)
    case = _set_status(case, CaseStatus.RETURNED)
    saved = _correct(coordinator, case, date_of_birth=MINOR_BIRTH)
    assert "past the departure" in identity.procedure_notice(saved, was_minor=False)
    assert identity.procedure_alert(saved, selectors.case_facts(saved))


def test_i21_minor_file_imported_past_the_check_is_not_flagged_without_a_correction() -> None:
    case = factories.make_case(is_minor=True, date_of_birth=MINOR_BIRTH)
    case = _set_status(case, CaseStatus.RETURNED)
    assert identity.procedure_alert(case, selectors.case_facts(case)) == []


# --- the referral ---------------------------------------------------------------------------


def test_i21_referral_names_and_indexes_follow_the_correction() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case, referral = _accepted(coordinator, family_name="Haddad", given_names="Leila")
    old_index = referral.person_index
    assert [r.pk for r in search(actor=coordinator, query="Leila Haddad").referrals] == [referral.pk]
    before = len(_audited(referral))

    _correct(coordinator, case, family_name="Haddad-Mansour", sex="x")

    saved = _fresh_referral(referral)
    assert saved.family_name == "Haddad-Mansour"
    assert saved.sex == "x"
    assert saved.name_index == services.name_index(given_names="Leila", family_name="Haddad-Mansour")
    assert saved.person_index == _fresh(case).person_index != old_index
    assert saved.version == referral.version + 1
    found = search(actor=coordinator, query="Leila Haddad-Mansour")
    assert [r.pk for r in found.referrals] == [referral.pk]
    assert [c.pk for c in found.cases] == [case.pk]
    stale = search(actor=coordinator, query="Leila Haddad")
    assert stale.referrals == []
    assert stale.cases == []
    # Duplicate detection no longer finds the person under the wrong name.
    assert referral_services.duplicates_of(index=old_index) == []
    # The referral's audit: field names only.
    events = _audited(referral)
    assert len(events) == before + 1
    assert sorted(events[-1].fields.split(",")) == ["family_name", "sex"]
    assert "Haddad" not in events[-1].fields


def test_i21_referral_submitted_under_the_old_name_is_detected_as_a_duplicate_under_the_new_one() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case, referral = _accepted(coordinator, family_name="Haddad", given_names="Leila")
    _correct(coordinator, case, family_name="Mansour")
    new_index = services.person_index(given_names="Leila", family_name="Mansour", date_of_birth=ADULT_BIRTH)
    assert [r.pk for r in referral_services.duplicates_of(index=new_index)] == [referral.pk]


# --- bad dates of birth ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (lambda: timezone.localdate() + datetime.timedelta(days=1), "future"),
        (lambda: "2001-02-31", "valid date"),
        (lambda: "someday", "valid date"),
        (lambda: datetime.date(1850, 1, 1), "120 years"),
        (lambda: datetime.date(2019, 1, 1), "after the day the referral was received (03/04/2018)"),
    ],
)
def test_i21_bad_birth_date_is_refused_with_a_clear_message_and_changes_nothing(
    value: Callable[[], Any], message: str
) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case, referral = _accepted(coordinator, date_of_birth=ADULT_BIRTH)
    audited_case, audited_referral = len(_audited(case)), len(_audited(referral))
    with pytest.raises(identity.FieldRefused, match=re.escape(message)) as refused:
        _correct(coordinator, case, date_of_birth=value(), family_name="Mansour")
    assert refused.value.field == "date_of_birth"
    saved, saved_referral = _fresh(case), _fresh_referral(referral)
    assert (saved.date_of_birth, saved.family_name, saved.is_minor, saved.version) == (
        ADULT_BIRTH,
        case.family_name,
        False,
        case.version,
    )
    assert (saved_referral.family_name, saved_referral.person_index, saved_referral.version) == (
        referral.family_name,
        referral.person_index,
        referral.version,
    )
    assert (len(_audited(case)), len(_audited(referral))) == (audited_case, audited_referral)
    assert not CaseNote.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, kind__in=["identity_corrected", identity.PROCEDURE_EVENT]).exists()


# --- the page -------------------------------------------------------------------------------


def _post(case: Case, **overrides: Any) -> dict[str, Any]:
    data = {
        "family_name": case.family_name,
        "given_names": case.given_names,
        "date_of_birth": case.date_of_birth.isoformat() if case.date_of_birth else "",
        "sex": case.sex,
        "nationality": case.nationality,
        "reason": REASON,
        "version": case.version,
    }
    data.update(overrides)
    return data


def test_i21_page_tells_the_coordinator_the_file_now_follows_the_child_procedure(signed_in: SignedIn) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case, referral = _accepted(coordinator, date_of_birth=ADULT_BIRTH)
    case = _set_status(case, CaseStatus.READY_TO_DEPART)
    client = signed_in(coordinator)
    url = reverse("cases:case_identity", kwargs={"case_id": case.pk})
    summary_url = reverse("cases:case_detail", kwargs={"case_id": case.pk})
    assert 'data-testid="procedure-alert"' not in client.get(summary_url).content.decode()

    response = client.post(url, _post(case, date_of_birth=MINOR_BIRTH.isoformat()), follow=True)

    assert response.redirect_chain[-1][0] == summary_url
    page = response.content.decode()
    assert page.count("message--warning") == 2  # the notice, and the alert that stays on the summary
    assert 'data-testid="procedure-alert"' in page
    assert "badge--warning" in page  # the minor's badge
    assert _fresh(case).is_minor
    assert _fresh_referral(referral).is_minor
    # The notice is said once; the alert stays.
    again = client.get(summary_url).content.decode()
    assert again.count("message--warning") == 1
    assert 'data-testid="procedure-alert"' in again


def test_i21_page_refuses_a_birth_date_after_the_referral_and_changes_nothing(signed_in: SignedIn) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case, referral = _accepted(coordinator, date_of_birth=ADULT_BIRTH)
    client = signed_in(coordinator)
    url = reverse("cases:case_identity", kwargs={"case_id": case.pk})
    response = client.post(url, _post(case, date_of_birth="2020-01-01", family_name="Mansour"))
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert "03/04/2018" in response.content.decode()
    assert (_fresh(case).family_name, _fresh(case).version) == (case.family_name, case.version)
    assert _fresh_referral(referral).family_name == referral.family_name
    unreadable = client.post(url, _post(case, date_of_birth="31/31/2001"))
    assert unreadable.status_code == 400
    assert _fresh(case).date_of_birth == ADULT_BIRTH


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.PARTNER])
def test_i21_other_roles_cannot_switch_the_procedure(role: Role, signed_in: SignedIn) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case, _referral = _accepted(coordinator, date_of_birth=ADULT_BIRTH)
    user = factories.make_user(role, office=case.office if role == Role.CASEWORKER else None)
    client = signed_in(user)
    url = reverse("cases:case_identity", kwargs={"case_id": case.pk})
    assert client.post(url, _post(case, date_of_birth=MINOR_BIRTH.isoformat())).status_code == 404
    assert _fresh(case).is_minor is False
