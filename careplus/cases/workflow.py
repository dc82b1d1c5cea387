"""The case lifecycle: allowed transitions and the guards of each target status.

`missing_requirements` feeds both the checklist on the case page and the guard in
`services.case_transition`, so what the page lists is exactly what blocks the change.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import formats
from django.utils.translation import gettext as _

from careplus.cases.choices import CaseStatus, ConsentScope, Rating

ACTIVE = {CaseStatus.OPEN, CaseStatus.PRE_DEPARTURE, CaseStatus.READY_TO_DEPART}

ALLOWED: dict[str, set[str]] = {
    CaseStatus.OPEN: {CaseStatus.PRE_DEPARTURE, CaseStatus.WITHDRAWN, CaseStatus.SUSPENDED},
    CaseStatus.PRE_DEPARTURE: {CaseStatus.READY_TO_DEPART, CaseStatus.WITHDRAWN, CaseStatus.SUSPENDED},
    CaseStatus.READY_TO_DEPART: {
        CaseStatus.PRE_DEPARTURE,
        CaseStatus.RETURNED,
        CaseStatus.WITHDRAWN,
        CaseStatus.SUSPENDED,
    },
    CaseStatus.SUSPENDED: set(ACTIVE) | {CaseStatus.RETURNED},
    CaseStatus.WITHDRAWN: set(),
    CaseStatus.RETURNED: {CaseStatus.CLOSED, CaseStatus.SUSPENDED},
    CaseStatus.CLOSED: {CaseStatus.RETURNED},
}
RECONFIRMATION_DAYS = 7

# Transitions that need a written reason (going back, stopping, suspending, resuming).
REASON_NEEDED = {CaseStatus.WITHDRAWN, CaseStatus.SUSPENDED}


@dataclass(frozen=True)
class CaseFacts:
    """What the guards look at, gathered in a few queries."""

    status: str
    status_before_suspension: str
    is_minor: bool
    office_assigned: bool
    planned_departure_on: datetime.date | None
    consents: frozenset[str]
    risk_overall: str | None
    risk_approved: bool
    needs_done: bool
    skills_done: bool
    opportunities: int
    next_hearing_on: datetime.date | None
    family_assessment_done: bool
    bid_done: bool
    bid_in_favour: bool
    bid_approved_by_other: bool
    coordination_plan_done: bool
    actual_departure_on: datetime.date | None = None
    arrival_on: datetime.date | None = None
    wish_reconfirmed_on: datetime.date | None = None
    pending_visits: tuple[datetime.date, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)


# The facts that come from other tables than the case's own row, by the target statuses whose
# guards look at them: the case's summary reads only those of the targets it offers.
READ_BEYOND_THE_ROW: dict[str, frozenset[str]] = {
    CaseStatus.PRE_DEPARTURE: frozenset({"consents"}),
    CaseStatus.READY_TO_DEPART: frozenset({"consents", "opportunities"}),
    CaseStatus.CLOSED: frozenset({"pending_visits"}),
}
ALL_READS = frozenset({"consents", "opportunities", "pending_visits"})


def reads_for(facts: CaseFacts) -> frozenset[str]:
    """The facts beyond the case's row that the guards of the case's possible targets need."""
    return frozenset().union(*(READ_BEYOND_THE_ROW.get(target, frozenset()) for target in allowed_targets(facts)))


def allowed_targets(facts: CaseFacts) -> list[str]:
    """Return the statuses the case may move to from its current status."""
    if facts.status == CaseStatus.SUSPENDED:
        return [facts.status_before_suspension or CaseStatus.OPEN]
    return sorted(ALLOWED.get(facts.status, set()), key=list(CaseStatus.values).index)


# Rare or destructive transitions: offered behind "Other actions", after the main progression.
OTHER_ACTIONS = {CaseStatus.WITHDRAWN, CaseStatus.SUSPENDED}


def is_other_action(facts: CaseFacts, target: str) -> bool:
    """Whether `target` is a rare or destructive step (stopping, suspending, going back)."""
    going_back = facts.status == CaseStatus.READY_TO_DEPART and target == CaseStatus.PRE_DEPARTURE
    return target in OTHER_ACTIONS or going_back


def needs_reason(facts: CaseFacts, target: str) -> bool:
    going_back = facts.status == CaseStatus.READY_TO_DEPART and target == CaseStatus.PRE_DEPARTURE
    reopening = facts.status == CaseStatus.CLOSED
    return target in REASON_NEEDED or going_back or reopening or facts.status == CaseStatus.SUSPENDED


def _date(day: datetime.date) -> str:
    return str(formats.date_format(day, "SHORT_DATE_FORMAT"))


def missing_requirements(facts: CaseFacts, target: str) -> list[str]:
    """Return, as sentences, what is missing before the case can move to `target`."""
    missing: list[str] = []
    opening = target == CaseStatus.PRE_DEPARTURE and facts.status == CaseStatus.OPEN
    if opening and ConsentScope.DATA_PROCESSING not in facts.consents:
        missing.append(_("Record the person's consent to the processing of their data."))
    if target == CaseStatus.READY_TO_DEPART:
        missing += _ready_to_depart(facts)
    if target == CaseStatus.RETURNED and facts.status != CaseStatus.CLOSED:
        missing += _returned(facts)
    if target == CaseStatus.CLOSED:
        missing += [
            _("The visit planned on %(day)s must be done or marked missed with a reason.") % {"day": _date(day)}
            for day in facts.pending_visits
        ]
    return missing


def _returned(facts: CaseFacts) -> list[str]:
    missing: list[str] = []
    if facts.actual_departure_on is None:
        missing.append(_("Record the actual departure date."))
    if facts.arrival_on is None:
        missing.append(_("Record the arrival date."))
    if facts.wish_reconfirmed_on is None:
        missing.append(_("Record when and by whom the wish to return was reconfirmed."))
    elif facts.actual_departure_on is not None and not (
        facts.actual_departure_on - datetime.timedelta(days=RECONFIRMATION_DAYS)
        <= facts.wish_reconfirmed_on
        <= facts.actual_departure_on
    ):
        missing.append(_("The wish to return must be reconfirmed no earlier than 7 days before departure."))
    if facts.actual_departure_on and facts.arrival_on and facts.arrival_on < facts.actual_departure_on:
        missing.append(_("The arrival date cannot be before the departure date."))
    return missing


def risk_needs_approval(overall: str | None) -> bool:
    """A risk assessment whose overall risk is high needs a coordinator's approval before departure."""
    return overall == Rating.HIGH


def _ready_to_depart(facts: CaseFacts) -> list[str]:
    missing: list[str] = []
    if facts.risk_overall is None:
        missing.append(_("Complete the risk assessment."))
    elif risk_needs_approval(facts.risk_overall) and not facts.risk_approved:
        missing.append(_("The overall risk is high: a coordinator must approve the risk assessment."))
    if not facts.needs_done:
        missing.append(_("Complete the needs assessment."))
    if not facts.skills_done:
        missing.append(_("Complete the skills and motivation assessment."))
    if facts.opportunities == 0:
        missing.append(_("Identify at least one verified reintegration opportunity."))
    if ConsentScope.SHARE_RETURN_OFFICE not in facts.consents:
        missing.append(_("Record the person's consent to share data with the office in the country of return."))
    if not facts.office_assigned:
        missing.append(_("Assign the office of the country of return."))
    if facts.planned_departure_on is None:
        missing.append(_("Set the planned departure date."))
    if facts.next_hearing_on is not None and (
        facts.planned_departure_on is None or facts.next_hearing_on >= facts.planned_departure_on
    ):
        missing.append(
            _("A hearing is set on %(day)s, after the planned departure: resolve it with the court first.")
            % {"day": _date(facts.next_hearing_on)}
        )
    if facts.is_minor:
        missing += _child_procedure(facts)
    return missing


def _child_procedure(facts: CaseFacts) -> list[str]:
    missing: list[str] = []
    if ConsentScope.GUARDIAN not in facts.consents:
        missing.append(_("Minor: record the guardian's consent to the return."))
    if not facts.family_assessment_done:
        missing.append(_("Minor: the office of the country of return must complete the family assessment."))
    if not facts.bid_done:
        missing.append(_("Minor: record the best-interests determination."))
    elif not facts.bid_in_favour:
        missing.append(
            _("Minor: the best-interests determination does not conclude that return is in the child's best interests.")
        )
    elif not facts.bid_approved_by_other:
        missing.append(_("Minor: a coordinator other than its author must approve the best-interests determination."))
    if not facts.coordination_plan_done:
        missing.append(
            _("Minor: complete the coordination plan naming the actors in both countries, escort and reception.")
        )
    return missing


ADULT_AGE = 18
MAX_AGE = 120  # an age or a date of birth beyond it is a typing error (every door refuses it)


def age_on(*, date_of_birth: datetime.date | None, estimated_age: int | None, day: datetime.date) -> int | None:
    """Return the age in whole years on a day, from the birth date or the estimated age."""
    if date_of_birth is not None:
        before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
        return day.year - date_of_birth.year - int(before_birthday)
    return estimated_age


def is_minor_on(*, date_of_birth: datetime.date | None, estimated_age: int | None, day: datetime.date) -> bool:
    """The rule that puts a file under the child procedure: under 18 on the day the referral was
    received (from the date of birth, else the estimated age; neither known: not a minor).

    Used when a referral is recorded, when a file is imported and when a coordinator corrects the
    date of birth of a file."""
    age = age_on(date_of_birth=date_of_birth, estimated_age=estimated_age, day=day)
    return age is not None and age < ADULT_AGE


@dataclass(frozen=True)
class Procedure:
    """Which procedure applies to the case and why, with the date of majority for a minor."""

    child: bool
    explanation: str
    majority_on: datetime.date | None = None
    majority_before_departure: bool = False


def majority_date(date_of_birth: datetime.date) -> datetime.date:
    """The 18th birthday (1 March for a person born on 29 February, in a common year)."""
    try:
        return date_of_birth.replace(year=date_of_birth.year + ADULT_AGE)
    except ValueError:
        return datetime.date(date_of_birth.year + ADULT_AGE, 3, 1)


def procedure(
    *,
    is_minor: bool,
    date_of_birth: datetime.date | None,
    planned_departure_on: datetime.date | None,
    today: datetime.date,
) -> Procedure:
    """The procedure decided at referral stays in force for the whole case: a minor who comes of
    age before the departure keeps the child procedure (its safeguards are not dropped on the way),
    and the page says so beside the planned departure."""
    if not is_minor:
        return Procedure(child=False, explanation=_("Adult procedure: the person was an adult when referred."))
    if date_of_birth is None:
        return Procedure(
            child=True,
            explanation=_(
                "Child procedure: the person was a minor when referred (age estimated, date of birth unknown). "
                "It stays in force until the return."
            ),
        )
    majority_on = majority_date(date_of_birth)
    days = {"majority": _date(majority_on)}
    before_departure = planned_departure_on is not None and majority_on <= planned_departure_on
    if majority_on <= today:
        explanation = (
            _(
                "Child procedure: the person was a minor when referred and has been an adult since %(majority)s. "
                "The child procedure decided at referral stays in force until the return."
            )
            % days
        )
    elif before_departure and planned_departure_on is not None:
        explanation = _(
            "Child procedure: the person was a minor when referred and turns 18 on %(majority)s, before the "
            "planned departure on %(departure)s. The child procedure decided at referral stays in force until "
            "the return."
        ) % {**days, "departure": _date(planned_departure_on)}
    else:
        explanation = _("Child procedure: the person is a minor (turns 18 on %(majority)s).") % days
    return Procedure(
        child=True, explanation=explanation, majority_on=majority_on, majority_before_departure=before_departure
    )
