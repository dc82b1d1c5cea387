"""Per-object rules: may this user do this to this record, now?

Each rule is a pure function of a user and a record (and, for dates, of today): it reads the
user's role grants (cached on the user, `policy.grants_of`) and the record's fields, never the
database. One rule, one function, called from every place that needs it:

- services call it before writing and raise on a refusal (each with its own error and message);
- views and API views call it and hand the booleans to templates and serializers;
- templates read those booleans only: they never compare a status, a role or a date.

So a screen never offers what the service would refuse, and changing who may do something is a
change to one function here. The function-level permissions (which role may do which action at
all) stay in `roles.ROLE_ACTIONS`; the records a user may see at all in `scopes`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from careplus.access.policy import Actor, can
from careplus.access.roles import Action
from careplus.cases import workflow
from careplus.cases.models import BestInterestsDetermination, RiskAssessment
from careplus.privacy.models import ErasureStatus
from careplus.referrals.choices import ReferralStatus
from careplus.returns.choices import ItemStatus, VisitStatus

if TYPE_CHECKING:
    from careplus.cases.models import Case
    from careplus.cases.sections import Section
    from careplus.privacy.models import ErasureRequest
    from careplus.referrals.models import Referral
    from careplus.returns.models import PlanItem, Visit


# --- Parts of a case file ----------------------------------------------------------------------


def section_visible(user: Actor, case: Case, section: Section) -> bool:
    """Tell whether the user sees this assessment or plan of the case (its row in the summary, its API
    record): the child-only records on a minor's file only, the legal situation only to the holders
    of its own permission."""
    return (not section.minor_only or case.is_minor) and can(user, section.read_action)


# --- Approvals: the approver is a coordinator who is not the author ----------------------------
# The rules read a record, or what the case summary loaded of it (`cases.selectors.SectionState`).


class _Assessed(Protocol):
    @property
    def overall(self) -> str: ...


class _Authored(Protocol):
    @property
    def author_id(self) -> object: ...


class _Approved(Protocol):
    @property
    def approved_at(self) -> object: ...


def may_approve_risk(user: Actor, risk: _Assessed | None) -> bool:
    """A coordinator approves a completed assessment whose overall risk is high."""
    return can(user, Action.CASES_APPROVE) and approval_needed(RiskAssessment, risk)


def may_approve_bid(user: Actor, bid: _Authored | None) -> bool:
    """A coordinator approves a best-interests determination they did not write."""
    return can(user, Action.CASES_APPROVE) and bid is not None and bid.author_id != user.pk


def may_approve(user: Actor, record: RiskAssessment | BestInterestsDetermination | None) -> bool:
    """Tell whether the user may approve this risk assessment or best-interests determination."""
    return record is not None and _approval_rule(type(record), user, record)


def _approval_rule(model: type[object], user: Actor, record: Any) -> bool:
    # `record`: a record of `model`, or what the summary loaded of it (read through the protocols above).
    if model is RiskAssessment:
        return may_approve_risk(user, record)
    if model is BestInterestsDetermination:
        return may_approve_bid(user, record)
    return False  # the other assessments and plans need no approval


def approval_needed(model: type[object], record: _Assessed | None) -> bool:
    """Whether a section's record (of this model) needs an approval: a risk assessment rated high,
    every best-interests determination; the other assessments and plans need none."""
    if record is None:
        return False
    if model is RiskAssessment:
        return workflow.risk_needs_approval(record.overall)
    return model is BestInterestsDetermination


def approval_offered(user: Actor, model: type[object], record: _Approved | None) -> bool:
    """Whether the page offers to approve a section's record (of this model): the user may approve it
    and it awaits its approval."""
    return record is not None and record.approved_at is None and _approval_rule(model, user, record)


# --- Reintegration plan and follow-up ------------------------------------------------------------


@dataclass(frozen=True)
class PlanItemActions:
    """What the user may do to one item of the reintegration plan now."""

    approve: bool
    deliver: bool
    cancel: bool


def may_approve_plan_item(user: Actor, item: PlanItem) -> bool:
    """Who may approve a planned item: a coordinator (holder of the approval permission)."""
    return can(user, Action.CASES_APPROVE)


def plan_item_approvable(user: Actor, item: PlanItem) -> bool:
    """A planned item, approved by whoever `may_approve_plan_item` names."""
    return item.status == ItemStatus.PLANNED and may_approve_plan_item(user, item)


def plan_item_deliverable(user: Actor, item: PlanItem) -> bool:
    """An approved item is marked delivered by someone who records on the file."""
    return item.status == ItemStatus.APPROVED and can(user, Action.CASES_EDIT)


def plan_item_cancellable(user: Actor, item: PlanItem) -> bool:
    """An item not yet delivered (nor cancelled) is cancelled by someone who records on the file."""
    return item.status in {ItemStatus.PLANNED, ItemStatus.APPROVED} and can(user, Action.CASES_EDIT)


def plan_item_actions(user: Actor, item: PlanItem) -> PlanItemActions:
    """The buttons of a plan item's row: approve, mark delivered, cancel."""
    return PlanItemActions(
        approve=plan_item_approvable(user, item),
        deliver=plan_item_deliverable(user, item),
        cancel=plan_item_cancellable(user, item),
    )


def visit_recordable(user: Actor, visit: Visit) -> bool:
    """A planned visit is recorded (or marked missed) once, by someone who records on the file."""
    return visit.status == VisitStatus.PLANNED and can(user, Action.CASES_EDIT)


def visit_correctable(user: Actor, visit: Visit) -> bool:
    """A visit already recorded (done or missed) is corrected, after a sync conflict, by the file's
    caseworker or whoever recorded the visit (the two sides of the conflict); a planned one is recorded
    or marked missed instead."""
    own = user.pk is not None and user.pk in {visit.case.caseworker_id, visit.conducted_by_id}
    return visit.status in {VisitStatus.DONE, VisitStatus.MISSED} and can(user, Action.CASES_EDIT) and own


def visit_overdue(visit: Visit, today: datetime.date) -> bool:
    """A visit still planned for a day already past."""
    return visit.status == VisitStatus.PLANNED and planned_visit_overdue(visit.planned_on, today)


def planned_visit_overdue(planned_on: datetime.date, today: datetime.date) -> bool:
    """A planned visit is overdue once its day has passed."""
    return planned_on < today


# --- Referrals -----------------------------------------------------------------------------------


def enters_for_any_organisation(user: Actor) -> bool:
    """The coordination enters the referrals received by e-mail or telephone: it chooses the referring
    organisation, the channel and the date, and is told of possible duplicates across organisations
    (a partner only of those of their own organisation)."""
    return can(user, Action.REFERRALS_DECIDE)


def referral_open(referral: Referral) -> bool:
    """A referral awaiting its decision whose person data is still there."""
    return referral.erased_at is None and referral.status == ReferralStatus.RECEIVED


def referral_screenable(user: Actor, referral: Referral) -> bool:
    """An identification screening is recorded on a referral awaiting its decision."""
    return can(user, Action.REFERRALS_SCREEN) and referral_open(referral)


def referral_decidable(user: Actor, referral: Referral) -> bool:
    """A coordinator decides on a referral awaiting its decision."""
    return can(user, Action.REFERRALS_DECIDE) and referral_open(referral)


# --- Data-subject requests -----------------------------------------------------------------------


def is_erasure_requester(user: Actor, request: ErasureRequest, original_requester_id: str) -> bool:
    """Whether the user asked for the erasure, or holds the request after a staff handover.

    `original_requester_id` is whoever first asked (the audit log keeps it:
    `careplus.privacy.erasure.original_requester`).
    """
    return request.requested_by_id == user.pk or original_requester_id == str(user.pk)


def may_decide_erasure(user: Actor, request: ErasureRequest, original_requester_id: str) -> bool:
    """An open erasure request is approved or refused by a second person (four eyes)."""
    return (
        request.status == ErasureStatus.REQUESTED
        and can(user, Action.ERASURE_APPROVE)
        and not is_erasure_requester(user, request, original_requester_id)
    )
