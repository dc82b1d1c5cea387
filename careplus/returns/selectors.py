"""Reads for return, reintegration and follow-up; the task list of each user."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careplus.access import compiled, rules
from careplus.access.policy import Actor, can
from careplus.access.roles import Action
from careplus.access.scopes import case_in_scope, referrals_visible_to
from careplus.cases.models import Case, Handover
from careplus.cases.selectors import OfCase, pending_handovers
from careplus.cases.slugs import case_tab_url
from careplus.core import instruments
from careplus.core.links import uuid_link
from careplus.core.models import Instrument
from careplus.referrals.models import Referral
from careplus.referrals.screening import label
from careplus.returns import sustainability
from careplus.returns.choices import ItemStatus, VisitStatus
from careplus.returns.models import ArrivalItem, Departure, FollowUpAlert, PlanItem, TravelLeg, Visit

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

UPCOMING_DAYS = 7


@dataclass(frozen=True)
class Task:
    due: datetime.date | None
    text: str
    url: str
    overdue: bool = False
    kind: str = "visit"  # visit | approval | handover | referral | alert


def _attach(items: list[OfCase], case: Case) -> list[OfCase]:
    for item in items:
        item.case = case
    return items


def departure(case: Case) -> Departure | None:
    found = Departure.objects.filter(case=case).select_related("wish_reconfirmed_by").first()
    if found is not None:
        found.case = case
    return found


def travel_legs(case: Case) -> list[TravelLeg]:
    return list(TravelLeg.objects.filter(case=case))


def arrival_items(case: Case) -> list[ArrivalItem]:
    return _attach(list(ArrivalItem.objects.filter(case=case)), case)


def plan_items(case: Case) -> list[PlanItem]:
    return _attach(list(PlanItem.objects.filter(case=case).select_related("approved_by", "evidence")), case)


def visits(case: Case) -> list[Visit]:
    return _attach(list(Visit.objects.filter(case=case).select_related("conducted_by")), case)


def open_alerts(case: Case) -> list[FollowUpAlert]:
    return list(FollowUpAlert.objects.filter(case=case, resolved_at__isnull=True).select_related("visit"))


class Trend(TypedDict):
    """The score trend chart: its size, the visits drawn, each series as SVG points."""

    width: int
    height: int
    visits: list[Visit]
    lines: dict[str, str]
    points: dict[str, list[tuple[float, float]]]


def trend(case_visits: list[Visit]) -> Trend:
    """Return the points of the score trend chart (SVG coordinates, no script needed)."""
    done = [v for v in case_visits if v.status == VisitStatus.DONE and v.scores]
    width, height, pad = 480, 160, 20
    series: dict[str, list[tuple[float, float]]] = {"economic": [], "social": [], "psychosocial": [], "composite": []}
    for index, visit in enumerate(done):
        x = pad + (index * (width - 2 * pad) / max(len(done) - 1, 1))
        for name, points in series.items():
            value = (visit.scores or {}).get(name)
            if value is not None:
                points.append((round(x, 1), round(height - pad - float(Decimal(value)) * (height - 2 * pad), 1)))
    return {
        "width": width,
        "height": height,
        "visits": done,
        "lines": {name: " ".join(f"{x},{y}" for x, y in points) for name, points in series.items()},
        "points": series,
    }


TASKS_PER_KIND = 50


# The inbox's five lists, each a function of its inputs alone: `compiled.rows` runs their SQL
# again for the same inputs (the actor's scope among them) without building it anew.


# Planned without Memoize: the plan PostgreSQL keeps for any values of a prepared statement, and
# at a million files the plan made for the values too, set up two caches of cases (Memoize) sized
# for their guess of the cases met, 1-3 ms before the fifty rows are read; the same plan without
# them reads the rows in a third of a millisecond (`compiled.planned_without_memoize`).
@compiled.planned_without_memoize
def _visits_due(
    actor: Actor, horizon: datetime.date, per_kind: int
) -> QuerySet[Visit, tuple[datetime.date, UUID, str]]:
    return (
        Visit.objects.filter(case_in_scope(actor), status=VisitStatus.PLANNED, planned_on__lte=horizon)
        .order_by("planned_on", "id")
        .values_list("planned_on", "case_id", "case__reference")[:per_kind]
    )


def _items_awaiting(actor: Actor, per_kind: int) -> QuerySet[PlanItem, tuple[UUID, str]]:
    return (
        PlanItem.objects.filter(case_in_scope(actor), status=ItemStatus.PLANNED)
        .order_by("created_at")
        .values_list("case_id", "case__reference")[:per_kind]
    )


def _handovers_due(actor: Actor, per_kind: int) -> QuerySet[Handover, tuple[datetime.date, UUID, str, str]]:
    return pending_handovers(actor=actor).values_list("due_on", "case_id", "case__reference", "office__name")[:per_kind]


def _referrals_received(actor: Actor, per_kind: int) -> QuerySet[Referral, tuple[datetime.date, UUID, str]]:
    return (
        referrals_visible_to(actor)
        .filter(status="received")
        .order_by("received_on")
        .values_list("received_on", "pk", "reference")[:per_kind]
    )


def _open_alerts(actor: Actor, per_kind: int) -> QuerySet[FollowUpAlert, tuple[datetime.datetime, UUID, str]]:
    return (
        FollowUpAlert.objects.filter(case_in_scope(actor), resolved_at__isnull=True)
        .order_by("created_at")
        .values_list("created_at", "case_id", "case__reference")[:per_kind]
    )


def tasks_for(*, actor: Actor, today: datetime.date, per_kind: int = TASKS_PER_KIND) -> list[Task]:
    """Return the user's tasks: visits overdue or within 7 days, approvals, handovers, alerts.

    At most `per_kind` of each kind, the most urgent first, so the inbox stays quick for an office
    with thousands of files; each kind is read as the few columns its task shows (one query each,
    its SQL compiled once per actor's scope and day: `careplus.access.compiled`), and the return
    page's address reversed once.
    """
    if not can(actor, Action.CASES_VIEW):
        return []
    horizon = today + datetime.timedelta(days=UPCOMING_DAYS)
    overview = uuid_link("returns:overview", "case_id")
    tasks = [
        Task(
            due=planned_on,
            text=_("Follow-up visit of %(reference)s") % {"reference": reference},
            url=overview(case_id) + "#suivi",
            overdue=rules.planned_visit_overdue(planned_on, today),
        )
        for planned_on, case_id, reference in compiled.rows(_visits_due, horizon, per_kind, actor=actor)
    ]
    if can(actor, Action.CASES_APPROVE):
        tasks.extend(
            Task(
                due=None,
                text=_("Plan item of %(reference)s awaiting approval") % {"reference": reference},
                url=overview(case_id) + "#plan",
                kind="approval",
            )
            for case_id, reference in compiled.rows(_items_awaiting, per_kind, actor=actor)
        )
    tasks.extend(
        Task(
            due=due_on,
            text=_("Handover of %(reference)s to %(office)s to acknowledge")
            % {"reference": reference, "office": office},
            url=case_tab_url(case_id, "consents", anchor="bureaux"),
            overdue=due_on < today,
            kind="handover",
        )
        for due_on, case_id, reference, office in compiled.rows(_handovers_due, per_kind, actor=actor)
    )
    if can(actor, Action.REFERRALS_DECIDE):
        referral_url = uuid_link("referrals:referral_detail", "referral_id")
        tasks.extend(
            Task(
                due=received_on,
                text=_("Referral %(reference)s to decide") % {"reference": reference},
                url=referral_url(pk),
                kind="referral",
            )
            for received_on, pk, reference in compiled.rows(_referrals_received, per_kind, actor=actor)
        )
    tasks.extend(
        Task(
            due=timezone.localdate(created_at),
            text=_("%(reference)s: a visit answer calls for psychological support") % {"reference": reference},
            url=overview(case_id) + "#alertes",
            overdue=True,
            kind="alert",
        )
        for created_at, case_id, reference in compiled.rows(_open_alerts, per_kind, actor=actor)
    )
    return sorted(tasks, key=lambda t: (not t.overdue, t.due or today))


INBOX_SECTIONS = (
    ("alerts", gettext_lazy("Alerts to act on")),
    ("overdue", gettext_lazy("Overdue")),
    ("week", gettext_lazy("Due within a week")),
    ("approval", gettext_lazy("Waiting for your approval")),
    ("handover", gettext_lazy("Handovers to acknowledge")),
    ("referral", gettext_lazy("Referrals to decide")),
)


def capped(tasks: list[Task], per_kind: int = TASKS_PER_KIND) -> bool:
    """Tell whether some kind of task reached the cap, so the inbox shows only part of it."""
    return any(count >= per_kind for count in Counter(task.kind for task in tasks).values())


def inbox(tasks: list[Task]) -> list[tuple[str, StrOrPromise, list[Task]]]:
    """Group the tasks into the inbox's sections (empty sections left out), most urgent first."""

    def section(task: Task) -> str:
        if task.kind == "alert":
            return "alerts"
        if task.overdue:
            return "overdue"
        return "week" if task.kind == "visit" else task.kind

    grouped: dict[str, list[Task]] = {}
    for task in tasks:
        grouped.setdefault(section(task), []).append(task)
    return [(key, label, grouped[key]) for key, label in INBOX_SECTIONS if key in grouped]


class Option(TypedDict):
    code: str
    label: str


class Question(TypedDict):
    """A question of the sustainability questionnaire, labelled in the active language."""

    code: str
    dimension: str
    label: str
    options: list[Option]


# A questionnaire version taken offline may be retired meanwhile: it still scores the visits answered
# on it while an offline package taken under it may still be synced (14 days, a day's margin).
RETIRED_VERSION_ACCEPTED = datetime.timedelta(days=15)


def questionnaire_version(instrument_id: int, *, today: datetime.date | None = None) -> Instrument | None:
    """The sustainability questionnaire version a visit was answered on: the version in force, or one
    in force within the last 15 days (retired since); None for any other (unknown, a draft, long retired)."""
    today = today or timezone.localdate()
    instrument = Instrument.objects.filter(
        pk=instrument_id, kind=sustainability.INSTRUMENT, status=Instrument.Status.APPROVED
    ).first()
    if instrument is None:
        return None
    try:
        in_force_then = {instruments.current(sustainability.INSTRUMENT, on=today - RETIRED_VERSION_ACCEPTED).pk}
    except instruments.InstrumentMissing:
        in_force_then = set()
    versions_in_window = in_force_then | set(
        Instrument.objects.filter(
            kind=sustainability.INSTRUMENT,
            status=Instrument.Status.APPROVED,
            active=True,
            effective_from__gt=today - RETIRED_VERSION_ACCEPTED,
            effective_from__lte=today,
        ).values_list("pk", flat=True)
    )
    return instrument if instrument.pk in versions_in_window else None


def questionnaire(instrument: Instrument | None = None) -> list[Question]:
    """Return the sustainability questionnaire (the version given, else the current one): items with
    their dimension and options."""
    data = (instrument or instruments.current(sustainability.INSTRUMENT)).data
    dimensions = {d["code"]: label(d["label"]) for d in data["dimensions"]}
    return [
        {
            "code": item["code"],
            "dimension": dimensions[item["dimension"]],
            "label": label(item["label"]),
            "options": [{"code": o["code"], "label": label(o["label"])} for o in data["scales"][item["scale"]]],
        }
        for item in data["items"]
    ]
