"""Case services: transitions with audit, approvals, version checks, consents, handover, restriction."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from careplus.access.roles import Role
from careplus.access.scopes import cases_visible_to
from careplus.audit.choices import AuditAction
from careplus.audit.models import AuditEvent
from careplus.cases import services
from careplus.cases.choices import CaseStatus
from careplus.cases.models import Case, CaseEvent, NeedsAssessment, RiskAssessment, SkillsAssessment
from careplus.core.errors import RuleViolation, StaleObject, TransitionBlocked
from tests import factories

pytestmark = pytest.mark.django_db

FUTURE = datetime.date(2030, 6, 1)
RISK = {"ratings": {"re_trafficking": "low"}, "overall": "low", "mitigation": "Hébergement sûr."}
SKILLS = {
    "education": "Lycée",
    "languages": "népali",
    "work_experience": "Couture",
    "skills": "Couture",
    "motivation": "Forte",
    "preferred_path": "iga",
    "constraints": "",
}


def prepared_case(**kwargs: Any) -> tuple[Case, Any]:
    """A case with every pre-departure requirement met, in pre_departure."""
    coordinator = factories.make_user(Role.COORDINATOR)
    office = factories.make_office("NPL")
    case = factories.make_case(office=office, **kwargs)
    services.consent_record(actor=coordinator, case=case, scope="data_processing", given_on=datetime.date(2018, 4, 2))
    case = services.case_transition(
        actor=coordinator, case=case, target=CaseStatus.PRE_DEPARTURE, expected_version=_v(case)
    )
    services.section_save(
        actor=coordinator, case=case, model=RiskAssessment, values=RISK, expected_version=None, label="r"
    )
    services.section_save(
        actor=coordinator,
        case=case,
        model=NeedsAssessment,
        values={"priorities": {"medical": "high"}, "notes": ""},
        expected_version=None,
        label="n",
    )
    services.section_save(
        actor=coordinator, case=case, model=SkillsAssessment, values=SKILLS, expected_version=None, label="s"
    )
    services.opportunity_add(
        actor=coordinator,
        case=case,
        kind="iga",
        description="Atelier de couture",
        verified_on=datetime.date(2018, 5, 1),
    )
    services.case_plan_save(
        actor=coordinator, case=case, expected_version=_v(case), planned_departure_on=FUTURE, safe_contact={}
    )
    return Case.objects.select_related("data_key").get(pk=case.pk), coordinator


def _v(case: Case) -> int:
    return Case.objects.get(pk=case.pk).version


def test_transition_to_ready_writes_status_timeline_and_one_audit_event() -> None:
    case, coordinator = prepared_case()
    before = AuditEvent.objects.filter(action=AuditAction.TRANSITION).count()
    case = services.case_transition(
        actor=coordinator, case=case, target=CaseStatus.READY_TO_DEPART, expected_version=case.version
    )
    assert case.status == CaseStatus.READY_TO_DEPART
    assert AuditEvent.objects.filter(action=AuditAction.TRANSITION).count() == before + 1
    last = CaseEvent.objects.filter(case=case, kind="transition").last()
    assert last is not None
    assert last.params["to"] == "ready_to_depart"


def test_blocked_transition_lists_what_is_missing_and_changes_nothing() -> None:
    case, coordinator = prepared_case()
    RiskAssessment.objects.filter(case=case).delete()
    with pytest.raises(TransitionBlocked) as blocked:
        services.case_transition(
            actor=coordinator, case=case, target=CaseStatus.READY_TO_DEPART, expected_version=case.version
        )
    assert any("risques" in item for item in blocked.value.extra["missing"])
    assert Case.objects.get(pk=case.pk).status == CaseStatus.PRE_DEPARTURE


def test_high_risk_waits_for_a_coordinator_and_a_new_rating_needs_a_new_approval() -> None:
    case, coordinator = prepared_case()
    risk = RiskAssessment.objects.get(case=case)
    services.section_save(
        actor=coordinator,
        case=case,
        model=RiskAssessment,
        values={**RISK, "overall": "high"},
        expected_version=risk.version,
        label="r",
    )
    with pytest.raises(TransitionBlocked):
        services.case_transition(
            actor=coordinator, case=case, target=CaseStatus.READY_TO_DEPART, expected_version=_v(case)
        )
    services.risk_approve(actor=coordinator, case=case)
    services.case_transition(actor=coordinator, case=case, target=CaseStatus.READY_TO_DEPART, expected_version=_v(case))
    risk = RiskAssessment.objects.get(case=case)
    services.section_save(
        actor=coordinator,
        case=case,
        model=RiskAssessment,
        values={**RISK, "overall": "medium"},
        expected_version=risk.version,
        label="r",
    )
    services.section_save(
        actor=coordinator,
        case=case,
        model=RiskAssessment,
        values={**RISK, "overall": "high"},
        expected_version=risk.version + 1,
        label="r",
    )
    assert RiskAssessment.objects.get(case=case).approved_at is None


def test_concurrent_edits_the_second_is_refused_and_the_first_survives() -> None:
    case, coordinator = prepared_case()
    version = RiskAssessment.objects.get(case=case).version
    services.section_save(
        actor=coordinator,
        case=case,
        model=RiskAssessment,
        values={**RISK, "mitigation": "Première"},
        expected_version=version,
        label="r",
    )
    with pytest.raises(StaleObject) as stale:
        services.section_save(
            actor=coordinator,
            case=case,
            model=RiskAssessment,
            values={**RISK, "mitigation": "Seconde"},
            expected_version=version,
            label="r",
        )
    assert stale.value.extra["fields"] == ["mitigation"]
    assert "mesures d'atténuation" in str(stale.value.message)
    stored = RiskAssessment.objects.get(case=case)
    stored.case = case
    assert stored.mitigation == "Première"


def test_bid_author_cannot_approve_it() -> None:
    case, coordinator = prepared_case(is_minor=True)
    from careplus.cases.models import BestInterestsDetermination

    services.section_save(
        actor=coordinator,
        case=case,
        model=BestInterestsDetermination,
        values={"participants": "Panel", "reasoning": "Retour souhaité", "return_in_best_interests": True},
        expected_version=None,
        label="bid",
    )
    with pytest.raises(RuleViolation):
        services.bid_approve(actor=coordinator, case=case)
    other = factories.make_user(Role.COORDINATOR)
    bid = services.bid_approve(actor=other, case=case)
    assert bid.approved_by == other


def test_withdrawn_sharing_consent_hides_the_case_and_blocks_the_handover() -> None:
    case, coordinator = prepared_case()
    worker = factories.make_user(Role.CASEWORKER, office=case.office)
    assert cases_visible_to(worker).filter(pk=case.pk).exists()
    consent = case.consents.get(scope="share_return_office")
    services.consent_withdraw(actor=coordinator, consent=consent, withdrawn_on=datetime.date(2018, 6, 1))
    assert not cases_visible_to(worker).filter(pk=case.pk).exists()
    with pytest.raises(RuleViolation, match="consenti"):
        services.handover_send(
            actor=coordinator, case=case, office=factories.make_office("KTM9"), expected_version=_v(case)
        )


def test_restricted_case_stays_restricted_after_edit_and_handover() -> None:
    case, coordinator = prepared_case()
    worker = factories.make_user(Role.CASEWORKER, office=case.office)
    services.restriction_set(actor=coordinator, case=case, restricted=True, users=[], expected_version=_v(case))
    assert not cases_visible_to(worker).filter(pk=case.pk).exists()
    services.case_plan_save(
        actor=coordinator,
        case=case,
        expected_version=_v(case),
        planned_departure_on=FUTURE,
        safe_contact={"alias": "A"},
    )
    services.section_save(
        actor=coordinator,
        case=case,
        model=SkillsAssessment,
        values={**SKILLS, "motivation": "Très forte"},
        expected_version=2 - 1,
        label="s",
    )
    services.handover_send(
        actor=coordinator, case=case, office=factories.make_office("KTM2"), expected_version=_v(case)
    )
    case.refresh_from_db()
    assert case.restricted
    assert list(case.restricted_users.all()) == [coordinator]
    other_coordinator = factories.make_user(Role.COORDINATOR)
    assert not cases_visible_to(other_coordinator).filter(pk=case.pk).exists()


def test_transition_refuses_a_stale_version_and_a_missing_reason() -> None:
    case, coordinator = prepared_case()
    with pytest.raises(StaleObject):
        services.case_transition(
            actor=coordinator, case=case, target=CaseStatus.SUSPENDED, expected_version=case.version - 1, reason="x"
        )
    with pytest.raises(RuleViolation):
        services.case_transition(
            actor=coordinator, case=case, target=CaseStatus.SUSPENDED, expected_version=case.version
        )
    case = services.case_transition(
        actor=coordinator,
        case=case,
        target=CaseStatus.SUSPENDED,
        expected_version=case.version,
        reason="Menaces signalées",
    )
    case = services.case_transition(
        actor=coordinator,
        case=case,
        target=CaseStatus.PRE_DEPARTURE,
        expected_version=case.version,
        reason="Menace écartée",
    )
    assert case.status == CaseStatus.PRE_DEPARTURE


def test_erasure_tombstones_every_record_keyed_by_the_case() -> None:
    case, coordinator = prepared_case()
    services.note_add(actor=coordinator, case=case, body=factories.CANARY)
    services.case_erase(actor=None, case=case)
    from careplus.cases.models import CaseNote

    note = CaseNote.objects.get(case=case)
    note.case = Case.objects.select_related("data_key").get(pk=case.pk)
    assert str(note.body) == "[effacé]"
