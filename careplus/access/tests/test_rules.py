"""The per-object rules of `careplus.access.rules`, as tables: role × state of the record → answer.

The rules are pure: the users here carry their role grants already loaded (as `policy.grants_of`
caches them), the records are unsaved instances, and no test touches the database.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest

from careplus.access import rules
from careplus.access.policy import Grant, remember_grants
from careplus.access.roles import Role
from careplus.cases.choices import Rating
from careplus.cases.models import BestInterestsDetermination, Case, NeedsAssessment, RiskAssessment
from careplus.cases.sections import SECTIONS
from careplus.cases.selectors import SectionState
from careplus.privacy.models import ErasureRequest, ErasureStatus
from careplus.referrals.choices import ReferralStatus
from careplus.referrals.models import Referral
from careplus.returns.choices import ItemStatus, VisitStatus
from careplus.returns.models import PlanItem, Visit

TODAY = datetime.date(2026, 3, 10)
ALL_ROLES = tuple(Role)


@dataclass
class FakeUser:
    """A signed-in user whose grants are already loaded (what `grants_of` caches on a real one)."""

    roles: tuple[Role, ...] = ()
    pk: uuid.UUID = field(default_factory=uuid.uuid4)
    is_authenticated: bool = True
    is_active: bool = True

    def __post_init__(self) -> None:
        remember_grants(self, tuple(Grant(role, None, None) for role in self.roles))


def user(role: Role | None) -> Any:
    return FakeUser(() if role is None else (role,))


# --- Sections of a case file --------------------------------------------------------------------

LEGAL = SECTIONS["legal"]
RISK = SECTIONS["risk"]
FAMILY = SECTIONS["family_assessment"]


@pytest.mark.parametrize(
    ("role", "section", "minor", "expected"),
    [
        (Role.COORDINATOR, LEGAL, False, True),
        (Role.CASEWORKER, LEGAL, False, False),  # the legal situation is read by coordinators only
        (Role.CASEWORKER, RISK, False, True),
        (Role.COORDINATOR, FAMILY, False, False),  # the child-only records on a minor's file only
        (Role.COORDINATOR, FAMILY, True, True),
        (Role.CASEWORKER, FAMILY, True, True),
        (Role.DPO, RISK, False, False),  # no case file for oversight roles
        (Role.PARTNER, RISK, True, False),
        (None, RISK, False, False),
    ],
)
def test_section_visible(role: Role | None, section: Any, minor: bool, expected: bool) -> None:
    case = Case(is_minor=minor)
    assert rules.section_visible(user(role), case, section) is expected


# --- Approvals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(
    ("overall", "approved", "may", "offered"),
    [
        (Rating.HIGH, False, True, True),
        (Rating.HIGH, True, True, False),  # approved already: nothing to offer
        (Rating.MEDIUM, False, False, False),
        (Rating.LOW, False, False, False),
    ],
)
def test_risk_approval(role: Role, overall: str, approved: bool, may: bool, offered: bool) -> None:
    risk = RiskAssessment(overall=overall, approved_at=TODAY if approved else None)
    coordinator = role == Role.COORDINATOR
    assert rules.may_approve(user(role), risk) is (may and coordinator)
    assert rules.may_approve_risk(user(role), risk) is (may and coordinator)
    assert rules.approval_offered(user(role), RiskAssessment, risk) is (offered and coordinator)
    # The summary page reads what it loaded of the record, not the record: the same answer.
    state = SectionState(updated_at=TODAY, updated_by_name="", overall=overall, approved_at=risk.approved_at)
    assert rules.approval_offered(user(role), RiskAssessment, state) is (offered and coordinator)
    assert rules.may_approve_risk(user(role), None) is False


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(
    ("author", "approved", "may", "offered"),
    [(False, False, True, True), (True, False, False, False), (False, True, True, False)],
)
def test_bid_approval_is_by_a_coordinator_other_than_its_author(
    role: Role, author: bool, approved: bool, may: bool, offered: bool
) -> None:
    someone = user(role)
    bid = BestInterestsDetermination(
        author_id=someone.pk if author else uuid.uuid4(), approved_at=TODAY if approved else None
    )
    coordinator = role == Role.COORDINATOR
    assert rules.may_approve(someone, bid) is (may and coordinator)
    assert rules.may_approve_bid(someone, bid) is (may and coordinator)
    assert rules.approval_offered(someone, BestInterestsDetermination, bid) is (offered and coordinator)
    state = SectionState(updated_at=TODAY, updated_by_name="", approved_at=bid.approved_at, author_id=bid.author_id)
    assert rules.approval_offered(someone, BestInterestsDetermination, state) is (offered and coordinator)


def test_nothing_else_is_approved_through_may_approve() -> None:
    coordinator = user(Role.COORDINATOR)
    assert rules.may_approve(coordinator, None) is False
    assert rules.approval_offered(coordinator, RiskAssessment, None) is False
    state = SectionState(updated_at=TODAY, updated_by_name="", overall=Rating.HIGH)
    assert rules.approval_offered(coordinator, NeedsAssessment, state) is False  # needs no approval


# --- Reintegration plan and follow-up -----------------------------------------------------------


def _edits(role: Role | None) -> bool:
    return role in {Role.COORDINATOR, Role.CASEWORKER}


@pytest.mark.parametrize("role", [*ALL_ROLES, None])
@pytest.mark.parametrize(
    ("status", "approve", "deliver", "cancel"),
    [
        (ItemStatus.PLANNED, True, False, True),
        (ItemStatus.APPROVED, False, True, True),
        (ItemStatus.DELIVERED, False, False, False),
        (ItemStatus.CANCELLED, False, False, False),
    ],
)
def test_plan_item_actions(role: Role | None, status: str, approve: bool, deliver: bool, cancel: bool) -> None:
    item = PlanItem(status=status)
    actions = rules.plan_item_actions(user(role), item)
    assert actions == rules.PlanItemActions(
        approve=approve and role == Role.COORDINATOR,  # approving: coordinators only
        deliver=deliver and _edits(role),
        cancel=cancel and _edits(role),
    )
    assert rules.plan_item_approvable(user(role), item) is actions.approve
    assert rules.plan_item_deliverable(user(role), item) is actions.deliver
    assert rules.plan_item_cancellable(user(role), item) is actions.cancel


@pytest.mark.parametrize("role", [*ALL_ROLES, None])
@pytest.mark.parametrize(
    ("status", "open_"), [(VisitStatus.PLANNED, True), (VisitStatus.DONE, False), (VisitStatus.MISSED, False)]
)
def test_visit_recordable(role: Role | None, status: str, open_: bool) -> None:
    assert rules.visit_recordable(user(role), Visit(status=status, planned_on=TODAY)) is (open_ and _edits(role))


@pytest.mark.parametrize(
    ("status", "planned_on", "overdue"),
    [
        (VisitStatus.PLANNED, TODAY - datetime.timedelta(days=1), True),
        (VisitStatus.PLANNED, TODAY, False),  # due today is not late yet
        (VisitStatus.PLANNED, TODAY + datetime.timedelta(days=3), False),
        (VisitStatus.DONE, TODAY - datetime.timedelta(days=30), False),
        (VisitStatus.MISSED, TODAY - datetime.timedelta(days=30), False),
    ],
)
def test_visit_overdue(status: str, planned_on: datetime.date, overdue: bool) -> None:
    assert rules.visit_overdue(Visit(status=status, planned_on=planned_on), TODAY) is overdue


# --- Referrals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [*ALL_ROLES, None])
@pytest.mark.parametrize(
    ("status", "erased", "open_"),
    [
        (ReferralStatus.RECEIVED, False, True),
        (ReferralStatus.RECEIVED, True, False),  # the person data is gone: nothing more is recorded
        (ReferralStatus.ACCEPTED, False, False),
        (ReferralStatus.NOT_ELIGIBLE, False, False),
        (ReferralStatus.REDIRECTED, False, False),
        (ReferralStatus.WITHDRAWN, False, False),
    ],
)
def test_referral_screening_and_decision(role: Role | None, status: str, erased: bool, open_: bool) -> None:
    referral = Referral(status=status, erased_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC) if erased else None)
    assert rules.referral_open(referral) is open_
    assert rules.referral_screenable(user(role), referral) is (open_ and role in {Role.COORDINATOR, Role.PARTNER})
    assert rules.referral_decidable(user(role), referral) is (open_ and role == Role.COORDINATOR)


@pytest.mark.parametrize(("role", "expected"), [(role, role == Role.COORDINATOR) for role in ALL_ROLES])
def test_only_the_coordination_enters_referrals_for_any_organisation(role: Role, expected: bool) -> None:
    assert rules.enters_for_any_organisation(user(role)) is expected


# --- Erasure requests ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(
    ("status", "who", "expected"),
    [
        (ErasureStatus.REQUESTED, "other", True),
        (ErasureStatus.REQUESTED, "requester", False),  # four eyes: never the one who asked
        (ErasureStatus.REQUESTED, "original", False),  # nor the one who asked before a staff handover
        (ErasureStatus.ERASED, "other", False),
        (ErasureStatus.REFUSED, "other", False),
    ],
)
def test_may_decide_erasure(role: Role, status: str, who: str, expected: bool) -> None:
    someone = user(role)
    requester = someone.pk if who == "requester" else uuid.uuid4()
    original = str(someone.pk) if who == "original" else str(requester)
    request = ErasureRequest(status=status, requested_by_id=requester)
    decides = role in {Role.COORDINATOR, Role.DPO}
    assert rules.may_decide_erasure(someone, request, original) is (expected and decides)
    assert rules.is_erasure_requester(someone, request, original) is (who != "other")
