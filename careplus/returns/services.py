"""Return and reintegration: departure, arrival, plan and budget, follow-up visits, reminders."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, TypedDict

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careplus.access import rules
from careplus.accounts.models import User
from careplus.accounts.selectors import local_zone
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.cases.models import Case, CaseAttachment
from careplus.cases.services import _event, ensure_writable
from careplus.core import instruments
from careplus.core.dates import add_months
from careplus.core.errors import CeilingExceeded, RuleViolation
from careplus.core.fields import encrypted_fields
from careplus.core.locking import bump, lock_for_edit, lock_for_upsert, touch
from careplus.core.models import Instrument
from careplus.programmes.models import Programme
from careplus.programmes.selectors import in_euros
from careplus.returns import sustainability
from careplus.returns.choices import ArrivalKind, ItemStatus, VisitMode, VisitStatus
from careplus.returns.models import (
    MAX_FOLLOW_UP_MONTHS,
    ArrivalItem,
    CeilingException,
    Departure,
    FollowUpAlert,
    PlanItem,
    ReminderDigest,
    TravelLeg,
    Visit,
)
from careplus.returns.selectors import tasks_for

ZERO = Decimal("0.00")


def _audit(case: Case, actor: User, fields: list[str]) -> None:
    record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=fields)


# --- Entries made offline (issue 23) --------------------------------------------------------------
# A device records a visit, a missed visit or an arrival assistance offline and syncs it later: the
# time it was entered travels with it. An offline package expires after 14 days (a day's margin for
# time zones and the sync itself); a device clock a little ahead of the server's is tolerated.
OFFLINE_MAX_AGE = datetime.timedelta(days=15)
OFFLINE_CLOCK_SKEW = datetime.timedelta(minutes=5)


def check_recorded_offline_at(value: datetime.datetime | None, *, now: datetime.datetime | None = None) -> None:
    """Refuse an offline time without its offset, in the future (beyond the clock skew) or older than 15 days."""
    if value is None:
        return
    if timezone.is_naive(value):
        raise RuleViolation(_("Give the time recorded offline with its offset from UTC. Nothing was saved."))
    now = now or timezone.now()
    if value > now + OFFLINE_CLOCK_SKEW:
        raise RuleViolation(
            _("The time recorded offline is in the future: check the device's clock. Nothing was saved.")
        )
    if value < now - OFFLINE_MAX_AGE:
        raise RuleViolation(
            _(
                "This entry was recorded offline more than 15 days ago, and an offline package expires after "
                "14 days. Nothing was saved: enter it again on a connection."
            )
        )


def _offline_iso(value: datetime.datetime) -> str:
    """The offline time in UTC, ISO 8601 with a Z (no comma: it fits an audit field)."""
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _offline_fields(value: datetime.datetime | None) -> list[str]:
    """The audit field naming when an entry was made offline (the event's own time is the sync's)."""
    return [] if value is None else [f"recorded_offline_at:{_offline_iso(value)}"]


def _offline_params(value: datetime.datetime | None) -> dict[str, str]:
    """The timeline parameter saying when an entry was made offline (shown as a date)."""
    return {} if value is None else {"recorded_offline_at": _offline_iso(value)}


@transaction.atomic
# values: the form's cleaned values
def departure_save(*, actor: User, case: Case, values: dict[str, Any], expected_version: int | None) -> Departure:
    """Record the departure; the reconfirmation is attributed to the person who records it."""
    ensure_writable(case)
    case = lock_for_edit(Case.objects.select_related("data_key"), case.pk, None)
    departure = lock_for_upsert(Departure, expected_version, compare=values, case=case)
    creating = departure is None
    if departure is None:
        departure = Departure(case=case, updated_by=actor)
    else:
        departure.case = case
    if values.get("wish_reconfirmed_on") != departure.wish_reconfirmed_on:
        departure.wish_reconfirmed_by = actor if values.get("wish_reconfirmed_on") else None
    for name, value in values.items():
        setattr(departure, name, value)
    departure.updated_by = actor
    if creating:
        departure.save()
    else:
        bump(departure)
    touch(case)
    _event(case, actor, "section_saved", label=gettext_lazy("Departure"))
    _audit(case, actor, sorted(f"departure.{name}" for name in values))
    return departure


@transaction.atomic
# values: the model's fields, passed through
def travel_leg_add(*, actor: User, case: Case, **values: Any) -> TravelLeg:
    ensure_writable(case)
    leg = TravelLeg.objects.create(case=case, **values)
    _event(case, actor, "section_saved", label=gettext_lazy("Travel leg"))
    _audit(case, actor, ["travel_legs"])
    return leg


@transaction.atomic
def arrival_item_add(
    *, actor: User, case: Case, kind: str, details: str, planned_on: datetime.date, nights: int | None = None
) -> ArrivalItem:
    ensure_writable(case)
    item = ArrivalItem(case=case, kind=kind, planned_on=planned_on, nights=nights)
    item.details = details
    item.save()
    _event(case, actor, "section_saved", label=ArrivalKind(item.kind).label)
    _audit(case, actor, ["arrival_items"])
    return item


@transaction.atomic
def arrival_item_deliver(
    *,
    actor: User,
    item: ArrivalItem,
    delivered_on: datetime.date,
    expected_version: int | None = None,
    recorded_offline_at: datetime.datetime | None = None,
) -> ArrivalItem:
    """Mark an arrival assistance delivered (once); `recorded_offline_at`: when it was entered on a device offline."""
    case = item.case
    ensure_writable(case)
    check_recorded_offline_at(recorded_offline_at)
    item = lock_for_edit(ArrivalItem, item.pk, expected_version)
    item.case = case
    if item.delivered_on is not None:
        raise RuleViolation(_("This assistance was already marked delivered."))
    item.delivered_on = delivered_on
    bump(item, "delivered_on")
    _event(case, actor, "section_saved", label=ArrivalKind(item.kind).label, **_offline_params(recorded_offline_at))
    _audit(case, actor, ["arrival_items.delivered_on", *_offline_fields(recorded_offline_at)])
    return item


# --- Reintegration plan and budget ------------------------------------------------------


def programme_of(case: Case) -> Programme | None:
    """Return the case's programme (the latest one for cases opened outside a referral)."""
    return case.programme or Programme.objects.order_by("-starts_on").first()


def ceiling_for(case: Case) -> Decimal | None:
    """Return the ceiling that applies to the case: its latest exception, or the programme's."""
    exception = case.ceiling_exceptions.order_by("-created_at").first()
    if exception is not None:
        return exception.new_ceiling
    programme = programme_of(case)
    if programme is None or programme.ceiling_per_beneficiary <= 0:
        return None
    return programme.ceiling_per_beneficiary


def committed_amount(case: Case, *, excluding: PlanItem | None = None) -> Decimal:
    """Return what the plan already commits: approved items' planned amounts, delivered items' costs."""
    items = PlanItem.objects.filter(case=case)
    if excluding is not None:
        items = items.exclude(pk=excluding.pk)
    approved = items.filter(status=ItemStatus.APPROVED).aggregate(total=Sum("planned_amount"))["total"] or Decimal("0")
    delivered = Decimal("0")
    for planned, actual in items.filter(status=ItemStatus.DELIVERED).values_list("planned_amount", "actual_cost"):
        delivered += actual if actual is not None else planned
    return approved + delivered


@transaction.atomic
# values: the model's fields, passed through
def plan_item_add(*, actor: User, case: Case, description: str, **values: Any) -> PlanItem:
    """Add a plan item; paid in local currency, its euro amount is converted at the reference rate of the day."""
    ensure_writable(case)
    currency = values.get("local_currency") or ""
    if currency and currency != "EUR":
        day = timezone.localdate()
        if values.get("local_amount") is None:
            raise RuleViolation(_("Give the amount in %(currency)s.") % {"currency": currency})
        conversion = in_euros(currency, values["local_amount"], day, programme_of(case))
        if conversion is None:
            raise RuleViolation(
                _("No reference rate for %(currency)s today. Nothing was saved.") % {"currency": currency}
            )
        values.update(
            planned_amount=conversion.euros,
            exchange_rate=conversion.rate.rate,
            rate_date=conversion.rate_date,
            rate_source=conversion.rate.source,
        )
    else:
        values.update(local_currency="", local_amount=None, exchange_rate=None, rate_date=None, rate_source="")
    item = PlanItem(case=case, **values)
    item.description = description
    item.full_clean(exclude=[f.name for f in encrypted_fields(PlanItem)] + ["case", "evidence"])
    item.save()
    _event(case, actor, "section_saved", label=gettext_lazy("Reintegration plan"))
    _audit(case, actor, ["plan_items"])
    return item


@transaction.atomic
def plan_item_approve(*, actor: User, item: PlanItem, expected_version: int) -> PlanItem:
    """Approve a planned item; refused if it takes the case over its ceiling without an exception."""
    case = item.case
    ensure_writable(case)
    lock_for_edit(Case.objects.select_related("data_key"), case.pk, None)
    item = lock_for_edit(PlanItem, item.pk, expected_version, required=True)
    item.case = case
    if not rules.may_approve_plan_item(actor, item):
        raise RuleViolation(_("You may not approve this item."))
    if not rules.plan_item_approvable(actor, item):
        raise RuleViolation(_("Only a planned item can be approved."))
    ceiling = ceiling_for(case)
    committed = committed_amount(case, excluding=item)
    if ceiling is not None and committed + item.planned_amount > ceiling:
        raise CeilingExceeded(
            _(
                "Approving %(amount)s € would bring the plan to %(total)s €, over the ceiling of %(ceiling)s €. "
                "A coordinator must first record an exception with a reason."
            )
            % {"amount": item.planned_amount, "total": committed + item.planned_amount, "ceiling": ceiling}
        )
    item.status, item.approved_by, item.approved_at = ItemStatus.APPROVED, actor, timezone.now()
    bump(item, "status", "approved_by", "approved_at")
    _event(case, actor, "section_saved", label=gettext_lazy("Reintegration plan"))
    record_event(action=AuditAction.TRANSITION, obj=item, actor=actor, fields=["status"])
    return item


# The largest amount the columns hold: euros on 10 digits, local amounts on 14 (2 decimals each).
MAX_EUROS = Decimal("99999999.99")
MAX_LOCAL = Decimal("999999999999.99")


def _amount(value: Decimal) -> str:
    return number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)


class DeliveryCost(TypedDict):
    """What a delivery stores of its cost (the local amount and its conversion only for an item paid locally)."""

    actual_cost: Decimal
    actual_local_cost: Decimal | None
    actual_exchange_rate: Decimal | None
    actual_rate_date: datetime.date | None
    actual_rate_source: str | None


def _delivery_cost(
    item: PlanItem, case: Case, actual_cost: Decimal | None, actual_local_cost: Decimal | None, day: datetime.date
) -> DeliveryCost:
    """The delivery's cost as stored: in euros, and for an item paid locally the local amount and its conversion.

    Paid in local currency, the amount actually paid is converted at the reference rate of the delivery date,
    by the same rule as the planned amount at the rate of its day; never typed in euros.
    """
    currency = item.local_currency
    if not currency:
        if actual_local_cost is not None:
            raise RuleViolation(_("This item is paid in euros: give the actual cost in euros."))
        if actual_cost is None:
            raise RuleViolation(_("Give the actual cost in euros."))
        if actual_cost < 0 or actual_cost > MAX_EUROS:
            raise RuleViolation(_("The actual cost must be between 0 and %(max)s €.") % {"max": _amount(MAX_EUROS)})
        return {
            "actual_cost": actual_cost,
            "actual_local_cost": None,
            "actual_exchange_rate": None,
            "actual_rate_date": None,
            "actual_rate_source": None,
        }
    if actual_cost is not None:
        raise RuleViolation(
            _(
                "This item is paid in %(currency)s: give the amount paid in %(currency)s; "
                "the amount in euros is computed from it."
            )
            % {"currency": currency}
        )
    if actual_local_cost is None:
        raise RuleViolation(_("Give the amount paid in %(currency)s.") % {"currency": currency})
    if actual_local_cost < 0 or actual_local_cost > MAX_LOCAL:
        raise RuleViolation(
            _("The amount paid must be between 0 and %(max)s %(currency)s.")
            % {"max": _amount(MAX_LOCAL), "currency": currency}
        )
    conversion = in_euros(currency, actual_local_cost, day, programme_of(case))
    if conversion is None:
        raise RuleViolation(
            _(
                "No reference rate for %(currency)s on %(day)s, the delivery date: a coordinator records it on the "
                "programme's page (Reference exchange rates). Nothing was saved."
            )
            % {"currency": currency, "day": date_format(day, "SHORT_DATE_FORMAT")}
        )
    if conversion.euros > MAX_EUROS:
        raise RuleViolation(_("The actual cost must be between 0 and %(max)s €.") % {"max": _amount(MAX_EUROS)})
    return {
        "actual_cost": conversion.euros,
        "actual_local_cost": actual_local_cost,
        "actual_exchange_rate": conversion.rate.rate,
        "actual_rate_date": conversion.rate_date,
        "actual_rate_source": conversion.rate.source,
    }


@transaction.atomic
def plan_item_deliver(
    *,
    actor: User,
    item: PlanItem,
    delivered_on: datetime.date,
    actual_cost: Decimal | None = None,
    actual_local_cost: Decimal | None = None,
    evidence: CaseAttachment | None = None,
    expected_version: int | None = None,
) -> PlanItem:
    """Mark an approved item delivered with what it actually cost, in the currency it was paid in."""
    case = item.case
    ensure_writable(case)
    item = lock_for_edit(PlanItem, item.pk, expected_version)
    item.case = case
    if not rules.plan_item_deliverable(actor, item):
        raise RuleViolation(_("Only an approved item can be marked delivered."))
    if evidence is not None and evidence.case_id != item.case_id:
        raise RuleViolation(_("The evidence must be a document of this case."))
    cost = _delivery_cost(item, case, actual_cost, actual_local_cost, delivered_on)
    for name, value in cost.items():
        setattr(item, name, value)
    item.status, item.delivered_on, item.evidence = ItemStatus.DELIVERED, delivered_on, evidence
    bump(item, "status", *cost, "delivered_on", "evidence")
    _event(item.case, actor, "section_saved", label=gettext_lazy("Reintegration plan"))
    record_event(
        action=AuditAction.TRANSITION,
        obj=item,
        actor=actor,
        fields=["status", "actual_cost", *(["actual_local_cost"] if item.local_currency else [])],
    )
    return item


@transaction.atomic
def plan_item_cancel(*, actor: User, item: PlanItem, expected_version: int | None = None) -> PlanItem:
    ensure_writable(item.case)
    item = lock_for_edit(PlanItem, item.pk, expected_version)
    if not rules.plan_item_cancellable(actor, item):
        raise RuleViolation(_("A delivered or cancelled item cannot be cancelled."))
    item.status = ItemStatus.CANCELLED
    bump(item, "status")
    record_event(action=AuditAction.TRANSITION, obj=item, actor=actor, fields=["status"])
    return item


@transaction.atomic
def ceiling_exception_grant(*, actor: User, case: Case, new_ceiling: Decimal, reason: str) -> CeilingException:
    """Allow this case's plan to reach a higher amount (a coordinator, with a reason)."""
    ensure_writable(case)
    if not reason.strip():
        raise RuleViolation(_("Give the reason for the exception."))
    exception = CeilingException(case=case, new_ceiling=new_ceiling, granted_by=actor)
    exception.reason = reason
    exception.save()
    _event(case, actor, "section_saved", label=gettext_lazy("Ceiling exception"))
    _audit(case, actor, ["ceiling_exception"])
    return exception


class Totals(TypedDict):
    planned: Decimal
    approved: Decimal
    delivered: Decimal


class PlanTotals(Totals):
    by_category: dict[str, Totals]


def plan_totals(case: Case) -> PlanTotals:
    """Return planned, approved and delivered totals, per category and overall (exact decimals)."""
    rows = PlanItem.objects.filter(case=case).exclude(status=ItemStatus.CANCELLED)
    totals: PlanTotals = {"planned": ZERO, "approved": ZERO, "delivered": ZERO, "by_category": {}}
    for category, status, planned, actual in rows.values_list("category", "status", "planned_amount", "actual_cost"):
        bucket = totals["by_category"].setdefault(category, {"planned": ZERO, "approved": ZERO, "delivered": ZERO})
        for target in (totals, bucket):
            target["planned"] += planned
            if status in {ItemStatus.APPROVED, ItemStatus.DELIVERED}:
                target["approved"] += planned
            if status == ItemStatus.DELIVERED:
                target["delivered"] += actual if actual is not None else planned
    return totals


# --- Follow-up ----------------------------------------------------------------------------------


def _latest_allowed(case: Case) -> datetime.date:
    departure = Departure.objects.filter(case=case).first()
    if departure is None or departure.arrival_on is None:
        raise RuleViolation(_("The arrival date is needed to plan the follow-up."))
    return add_months(departure.arrival_on, MAX_FOLLOW_UP_MONTHS)


def _check_within_year(case: Case, day: datetime.date) -> None:
    limit = _latest_allowed(case)
    if day > limit:
        raise RuleViolation(
            _("A visit cannot be later than 12 months after arrival (%(limit)s).")
            % {"limit": limit.strftime("%d/%m/%Y")}
        )


@transaction.atomic
def visit_schedule(*, actor: User, case: Case, planned_on: datetime.date) -> Visit:
    ensure_writable(case)
    _check_within_year(case, planned_on)
    visit = Visit.objects.create(case=case, planned_on=planned_on)
    _event(case, actor, "section_saved", label=gettext_lazy("Follow-up plan"))
    _audit(case, actor, ["visits"])
    return visit


@transaction.atomic
def visit_record(
    *,
    actor: User,
    visit: Visit,
    done_on: datetime.date,
    mode: str,
    progress: str,
    notes: str,
    answers: dict[str, str],
    expected_version: int | None = None,
    recorded_offline_at: datetime.datetime | None = None,
    instrument: Instrument | None = None,
) -> Visit:
    """Record a visit with its questionnaire; scores are computed and alerts raised at once.

    `instrument`: the questionnaire version the visit was answered on (taken offline, and retired
    since); the version in force when None.

    `recorded_offline_at`: when the visit was entered on a device offline (issue 23), kept in the audit.
    """
    case = visit.case
    ensure_writable(case)
    check_recorded_offline_at(recorded_offline_at)
    visit = lock_for_edit(Visit, visit.pk, expected_version)
    visit.case = case
    _check_within_year(case, done_on)
    if not rules.visit_recordable(actor, visit):
        raise RuleViolation(_("This visit was already recorded."))
    instrument = instrument or instruments.current(sustainability.INSTRUMENT)
    known = {item["code"] for item in instrument.data["items"]}
    answers = {code: value for code, value in answers.items() if code in known and value}
    visit.status, visit.done_on, visit.mode, visit.conducted_by = VisitStatus.DONE, done_on, mode, actor
    visit.progress, visit.notes, visit.answers = progress, notes, answers
    visit.put_scores(sustainability.score(instrument.data, answers))
    visit.instrument = instrument
    bump(visit)
    for item in sustainability.alerts(instrument.data, answers):
        FollowUpAlert.objects.create(case=case, visit=visit, item=item)
    _event(case, actor, "section_saved", label=gettext_lazy("Follow-up visit"), **_offline_params(recorded_offline_at))
    _audit(case, actor, ["visits.answers", "visits.notes", *_offline_fields(recorded_offline_at)])
    return visit


@transaction.atomic
def visit_mark_missed(
    *,
    actor: User,
    visit: Visit,
    reason: str,
    expected_version: int | None = None,
    recorded_offline_at: datetime.datetime | None = None,
) -> Visit:
    case = visit.case
    ensure_writable(case)
    check_recorded_offline_at(recorded_offline_at)
    visit = lock_for_edit(Visit, visit.pk, expected_version)
    visit.case = case
    if not rules.visit_recordable(actor, visit):
        raise RuleViolation(_("This visit was already recorded."))
    if not reason.strip():
        raise RuleViolation(_("Give the reason the visit was missed."))
    visit.status, visit.missed_reason = VisitStatus.MISSED, reason.strip()
    bump(visit, "status", "missed_reason")
    _event(case, actor, "section_saved", label=gettext_lazy("Follow-up visit"), **_offline_params(recorded_offline_at))
    _audit(case, actor, ["visits.status", *_offline_fields(recorded_offline_at)])
    return visit


# The fields of a visit a correction may change, compared to name them in the audit (never their values).
_CORRECTED_FIELDS = ("status", "done_on", "mode", "progress", "notes", "missed_reason", "answers", "scores")


def _or_none(value: object) -> object:
    """An empty value as None: a text never written and an empty one are the same to the audit."""
    return None if value in ("", {}) else value


@transaction.atomic
def visit_correct(
    *,
    actor: User,
    visit: Visit,
    expected_version: int,
    outcome: str,
    done_on: datetime.date | None = None,
    mode: str = "",
    progress: str = "",
    notes: str = "",
    answers: dict[str, str] | None = None,
    reason: str = "",
    recorded_offline_at: datetime.datetime | None = None,
    instrument: Instrument | None = None,
) -> Visit:
    """Store the values chosen on the conflict screen over a visit already recorded (done or missed).

    A visit recorded offline met a newer version at sync (412); the user kept one side, the other, or
    merged them field by field, against the version just read (`expected_version`, required). Done:
    the 12-month limit applies, the scores are computed again (with `instrument`, the version the
    visit was answered on, else the version in force), and an
    alerting answer raises its alert unless this visit already has one for that item (an alert is never
    removed, resolved or not). Missed: the reason is required; the date, mode, answers and scores go.
    A planned visit is recorded or marked missed instead.
    """
    case = visit.case
    ensure_writable(case)
    check_recorded_offline_at(recorded_offline_at)
    visit = lock_for_edit(Visit, visit.pk, expected_version, required=True)
    visit.case = case
    if not rules.visit_correctable(actor, visit):
        if visit.status == VisitStatus.PLANNED:
            raise RuleViolation(_("This visit is still planned: record it or mark it missed instead."))
        raise RuleViolation(_("You may not correct this visit."))
    before = {name: getattr(visit, name) for name in _CORRECTED_FIELDS}
    new_alerts: list[str] = []
    if outcome == VisitStatus.DONE:
        if done_on is None or not mode or not progress.strip():
            raise RuleViolation(_("A visit done needs its date, its mode and the progress on the plan."))
        if mode not in VisitMode.values:
            raise RuleViolation(_("Unknown visit mode."))
        _check_within_year(case, done_on)
        instrument = instrument or instruments.current(sustainability.INSTRUMENT)
        known = {item["code"] for item in instrument.data["items"]}
        unknown = sorted(code for code in answers or {} if code not in known)
        if unknown:
            raise RuleViolation(_("Unknown questionnaire items: %(codes)s.") % {"codes": ", ".join(unknown)})
        kept = {code: value for code, value in (answers or {}).items() if value}
        visit.status, visit.done_on, visit.mode = VisitStatus.DONE, done_on, mode
        visit.conducted_by = visit.conducted_by or actor
        visit.progress, visit.notes, visit.answers, visit.missed_reason = progress, notes, kept, ""
        visit.put_scores(sustainability.score(instrument.data, kept))
        visit.instrument = instrument
        alerted = set(FollowUpAlert.objects.filter(visit=visit).values_list("item", flat=True))
        new_alerts = [item for item in sustainability.alerts(instrument.data, kept) if item not in alerted]
    elif outcome == VisitStatus.MISSED:
        if not reason.strip():
            raise RuleViolation(_("Give the reason the visit was missed."))
        visit.status, visit.missed_reason = VisitStatus.MISSED, reason.strip()
        visit.done_on, visit.mode, visit.progress, visit.notes, visit.answers = None, "", progress, notes, {}
        visit.scores = None
        visit.score_economic = visit.score_social = visit.score_psychosocial = visit.score_composite = None
        visit.instrument = None
    else:
        raise RuleViolation(_("A corrected visit is either done or missed."))
    changed = [name for name in _CORRECTED_FIELDS if _or_none(getattr(visit, name)) != _or_none(before[name])]
    bump(visit)
    for item in new_alerts:
        FollowUpAlert.objects.create(case=case, visit=visit, item=item)
    _event(case, actor, "visit_corrected", **_offline_params(recorded_offline_at))
    _audit(
        case,
        actor,
        [
            *(f"visits.{name}" for name in changed),
            *(["visits.alerts"] if new_alerts else []),
            *_offline_fields(recorded_offline_at),
        ],
    )
    return visit


@transaction.atomic
def alert_resolve(*, actor: User, alert: FollowUpAlert) -> FollowUpAlert:
    alert.resolved_at, alert.resolved_by = timezone.now(), actor
    alert.save(update_fields=["resolved_at", "resolved_by"])
    _audit(alert.case, actor, ["alerts"])
    return alert


# --- Reminders ----------------------------------------------------------------------------------


def send_reminders(*, today: datetime.date | None = None) -> int:
    """Send each user with tasks one digest a day; return how many digests were sent."""
    today = today or timezone.localdate()
    sent = 0
    for user in User.objects.filter(is_active=True).order_by("email"):
        with timezone.override(local_zone(user)):  # an alert's date as the user's office reads it
            tasks = tasks_for(actor=user, today=today)
        if not tasks:
            continue
        try:
            with transaction.atomic():
                ReminderDigest.objects.create(user=user, day=today)
        except IntegrityError:
            continue  # already sent today
        with translation.override(user.language):
            subject = _("CARE+: your tasks")
            body = render_to_string(
                "returns/email/reminders.txt", {"tasks": tasks, "user": user, "base_url": settings.CAREPLUS_BASE_URL}
            )
        send_mail(subject, body, None, [user.email])
        sent += 1
    return sent
