"""Guards of the case lifecycle, as sentences, for adults and minors."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import pytest

from careplus.cases.choices import CaseStatus
from careplus.cases.workflow import CaseFacts, allowed_targets, missing_requirements, needs_reason

READY = CaseFacts(
    status=CaseStatus.PRE_DEPARTURE,
    status_before_suspension="",
    is_minor=False,
    office_assigned=True,
    planned_departure_on=datetime.date(2030, 6, 1),
    consents=frozenset({"data_processing", "share_return_office"}),
    risk_overall="medium",
    risk_approved=False,
    needs_done=True,
    skills_done=True,
    opportunities=1,
    next_hearing_on=None,
    family_assessment_done=False,
    bid_done=False,
    bid_in_favour=False,
    bid_approved_by_other=False,
    coordination_plan_done=False,
)


def missing(**changes: Any) -> list[str]:
    return missing_requirements(dataclasses.replace(READY, **changes), CaseStatus.READY_TO_DEPART)


def test_a_complete_adult_case_has_nothing_missing() -> None:
    assert missing() == []


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"risk_overall": None}, "évaluation des risques"),
        ({"risk_overall": "high"}, "approuver"),
        ({"needs_done": False}, "évaluation des besoins"),
        ({"skills_done": False}, "compétences et motivations"),
        ({"opportunities": 0}, "opportunité de réinsertion"),
        ({"consents": frozenset({"data_processing"})}, "partager"),
        ({"office_assigned": False}, "bureau du pays de retour"),
        ({"planned_departure_on": None}, "date de départ"),
        ({"next_hearing_on": datetime.date(2030, 7, 1)}, "audience"),
    ],
)
def test_each_missing_item_is_named(changes: dict[str, Any], fragment: str) -> None:
    items = missing(**changes)
    assert len(items) >= 1
    assert any(fragment in item for item in items), items


def test_an_approved_high_risk_passes() -> None:
    assert missing(risk_overall="high", risk_approved=True) == []


def test_a_hearing_before_departure_does_not_block() -> None:
    assert missing(next_hearing_on=datetime.date(2030, 5, 1)) == []


def test_a_minor_needs_the_whole_child_procedure() -> None:
    items = missing(is_minor=True)
    assert len(items) == 4
    assert all(item.startswith("Mineur") for item in items)
    complete = {
        "is_minor": True,
        "consents": frozenset({"data_processing", "share_return_office", "guardian"}),
        "family_assessment_done": True,
        "bid_done": True,
        "bid_in_favour": True,
        "bid_approved_by_other": True,
        "coordination_plan_done": True,
    }
    assert missing(**complete) == []
    assert any("autre que son auteur" in i for i in missing(**{**complete, "bid_approved_by_other": False}))
    assert any("intérêt supérieur" in i for i in missing(**{**complete, "bid_in_favour": False}))


def test_allowed_targets_and_reasons() -> None:
    assert allowed_targets(dataclasses.replace(READY, status=CaseStatus.OPEN)) == [
        CaseStatus.PRE_DEPARTURE,
        CaseStatus.WITHDRAWN,
        CaseStatus.SUSPENDED,
    ]
    suspended = dataclasses.replace(
        READY, status=CaseStatus.SUSPENDED, status_before_suspension=CaseStatus.PRE_DEPARTURE
    )
    assert allowed_targets(suspended) == [CaseStatus.PRE_DEPARTURE]
    assert needs_reason(suspended, CaseStatus.PRE_DEPARTURE)
    assert needs_reason(READY, CaseStatus.WITHDRAWN)
    assert not needs_reason(READY, CaseStatus.READY_TO_DEPART)
    assert allowed_targets(dataclasses.replace(READY, status=CaseStatus.WITHDRAWN)) == []


def test_open_to_pre_departure_needs_the_processing_consent() -> None:
    facts = dataclasses.replace(READY, status=CaseStatus.OPEN, consents=frozenset())
    assert len(missing_requirements(facts, CaseStatus.PRE_DEPARTURE)) == 1
