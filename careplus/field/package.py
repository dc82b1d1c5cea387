"""The offline package: what a caseworker's browser keeps to record follow-up visits and arrival
assistance where there is no connection (issue 23).

Only what the visit needs leaves the server: the case number, the person's safe-contact alias or
first given name (never the full name or the file), the planned date, the last scores, and the
questionnaire version the visit will be recorded with. A package holds at most `MAX_FILES` of the
user's own files (those where they are the caseworker), the most urgent first; the files left out
and the restricted files (opened only with a reason, never taken offline) are counted and said,
never dropped silently. Each file taken offline is written to the audit log as an export.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from careplus.access.scopes import cases_visible_to
from careplus.accounts.models import User
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.cases.choices import CaseStatus
from careplus.cases.models import Case
from careplus.core import instruments
from careplus.core.errors import RuleViolation
from careplus.returns import selectors as returns_selectors
from careplus.returns import sustainability
from careplus.returns.choices import ArrivalKind, VisitStatus
from careplus.returns.models import ArrivalItem, Visit

MAX_FILES = 50
MAX_DAYS = 60  # how far ahead a package may reach
DEFAULT_DAYS = 14
VALID_FOR = datetime.timedelta(days=14)  # the browser wipes a package older than this


@dataclass(frozen=True)
class Option:
    code: str
    label: str


@dataclass(frozen=True)
class Question:
    code: str
    dimension: str
    label: str
    options: list[Option]
    alerting: list[str]  # the option codes that raise an alert for the caseworker at once


@dataclass(frozen=True)
class Questionnaire:
    instrument_id: int
    version: str
    questions: list[Question]


@dataclass(frozen=True)
class OfflineVisit:
    id: uuid.UUID
    version: int
    case_id: uuid.UUID
    case_reference: str
    person: str
    planned_on: datetime.date
    overdue: bool
    last_scores: dict[str, str] | None


@dataclass(frozen=True)
class OfflineArrival:
    id: uuid.UUID
    version: int
    case_id: uuid.UUID
    case_reference: str
    person: str
    kind: str
    kind_label: str
    planned_on: datetime.date


@dataclass(frozen=True)
class Package:
    id: uuid.UUID
    user_id: uuid.UUID
    generated_at: datetime.datetime
    expires_at: datetime.datetime
    days: int
    questionnaire: Questionnaire
    visits: list[OfflineVisit] = field(default_factory=list)
    arrivals: list[OfflineArrival] = field(default_factory=list)
    files_left_out: int = 0
    restricted_left_out: int = 0


def check_days(days: int) -> int:
    """The number of days ahead a package covers, from 1 to MAX_DAYS (anything else is refused, not clamped)."""
    if not 1 <= days <= MAX_DAYS:
        raise RuleViolation(_("Choose between 1 and %(max)d days ahead.") % {"max": MAX_DAYS})
    return days


def questionnaire_offline() -> Questionnaire:
    """The sustainability questionnaire in force, labelled in the active language, with its alert answers."""
    instrument = instruments.current(sustainability.INSTRUMENT)
    alerting: dict[str, list[str]] = {}
    for rule in instrument.data.get("alerts", []):
        alerting.setdefault(rule["item"], []).append(rule["answer"])
    return Questionnaire(
        instrument_id=instrument.pk,
        version=instrument.version,
        questions=[  # the questionnaire as the visit page shows it, with the answers that alert
            Question(
                code=item["code"],
                dimension=item["dimension"],
                label=item["label"],
                options=[Option(option["code"], option["label"]) for option in item["options"]],
                alerting=alerting.get(item["code"], []),
            )
            for item in returns_selectors.questionnaire(instrument)
        ],
    )


def person_shown(case: Case) -> str:
    """The person as the package names them: the safe-contact alias if one is set, else the first given name."""
    contact = case.safe_contact if isinstance(case.safe_contact, dict) else {}
    alias = str(contact.get("alias") or "").strip()
    if alias:
        return alias
    given = (case.given_names or "").split()
    return given[0] if given else ""


def _scores(visit: Visit | None) -> dict[str, str] | None:
    if visit is None or visit.score_composite is None:
        return None
    values = {
        "economic": visit.score_economic,
        "social": visit.score_social,
        "psychosocial": visit.score_psychosocial,
        "composite": visit.score_composite,
    }
    return {name: str(value) for name, value in values.items() if value is not None}


@transaction.atomic
def take_offline(*, actor: User, days: int = DEFAULT_DAYS, today: datetime.date | None = None) -> Package:
    """Build the user's offline package for the visits and arrival assistance due within `days`.

    The user's files are those they are the caseworker of, in their scope and not closed; each
    file taken is audited (an export of the file to the device).
    """
    check_days(days)
    today = today or timezone.localdate()
    horizon = today + datetime.timedelta(days=days)
    own = cases_visible_to(actor).filter(caseworker=actor).exclude(status=CaseStatus.CLOSED)
    due = Q(visits__status=VisitStatus.PLANNED, visits__planned_on__lte=horizon) | Q(
        arrival_items__delivered_on__isnull=True, arrival_items__planned_on__lte=horizon
    )
    # The most urgent first: the earliest planned visit or arrival assistance still to do.
    urgency = Min("visits__planned_on", filter=Q(visits__status=VisitStatus.PLANNED, visits__planned_on__lte=horizon))
    arrival_urgency = Min(
        "arrival_items__planned_on",
        filter=Q(arrival_items__delivered_on__isnull=True, arrival_items__planned_on__lte=horizon),
    )
    candidates = (
        own.filter(due)
        .annotate(first_visit=urgency, first_arrival=arrival_urgency)
        .values_list("pk", "restricted", "first_visit", "first_arrival")
        .distinct()
    )
    open_files: list[tuple[datetime.date, str, uuid.UUID]] = []
    restricted = 0
    for pk, is_restricted, first_visit, first_arrival in candidates:
        if is_restricted:
            restricted += 1
            continue
        first = min(day for day in (first_visit, first_arrival) if day is not None)
        open_files.append((first, str(pk), pk))
    open_files.sort()
    chosen = [pk for _first, _key, pk in open_files[:MAX_FILES]]
    cases = {case.pk: case for case in Case.objects.filter(pk__in=chosen).select_related("data_key")}
    visits = _visits(cases, horizon, today)
    arrivals = _arrivals(cases, horizon)
    now = timezone.now()
    package = Package(
        id=uuid.uuid4(),
        user_id=actor.pk,
        generated_at=now,
        expires_at=now + VALID_FOR,
        days=days,
        questionnaire=questionnaire_offline(),
        visits=visits,
        arrivals=arrivals,
        files_left_out=max(len(open_files) - MAX_FILES, 0),
        restricted_left_out=restricted,
    )
    _audit(actor, package, cases.values())
    return package


def _visits(cases: dict[uuid.UUID, Case], horizon: datetime.date, today: datetime.date) -> list[OfflineVisit]:
    planned = Visit.objects.filter(case__in=list(cases), status=VisitStatus.PLANNED, planned_on__lte=horizon)
    done = Visit.objects.filter(case__in=list(cases), status=VisitStatus.DONE, score_composite__isnull=False)
    last: dict[uuid.UUID, Visit] = {}
    for visit in done.order_by("case_id", "-done_on", "-updated_at"):
        last.setdefault(visit.case_id, visit)
    return [
        OfflineVisit(
            id=visit.pk,
            version=visit.version,
            case_id=visit.case_id,
            case_reference=cases[visit.case_id].reference,
            person=person_shown(cases[visit.case_id]),
            planned_on=visit.planned_on,
            overdue=visit.planned_on < today,
            last_scores=_scores(last.get(visit.case_id)),
        )
        for visit in planned.order_by("planned_on", "id")
    ]


def _arrivals(cases: dict[uuid.UUID, Case], horizon: datetime.date) -> list[OfflineArrival]:
    items = ArrivalItem.objects.filter(case__in=list(cases), delivered_on__isnull=True, planned_on__lte=horizon)
    return [
        OfflineArrival(
            id=item.pk,
            version=item.version,
            case_id=item.case_id,
            case_reference=cases[item.case_id].reference,
            person=person_shown(cases[item.case_id]),
            kind=item.kind,
            kind_label=str(ArrivalKind(item.kind).label),
            planned_on=item.planned_on,
        )
        for item in items.order_by("planned_on", "id")
    ]


def _audit(actor: User, package: Package, cases: Iterable[Case]) -> None:
    expires = package.expires_at.isoformat(timespec="seconds")
    for case in cases:
        record_event(
            action=AuditAction.EXPORT,
            obj=case,
            actor=actor,
            fields=["offline_package", f"package:{package.id}", f"expires:{expires}"],
        )
