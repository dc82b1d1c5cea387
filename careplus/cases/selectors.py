"""Reads on case files, starting from the access scopes."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeAlias, TypeVar, cast, overload
from uuid import UUID

from django.core.paginator import Page
from django.db import models
from django.db.models import Count, QuerySet, Subquery
from django.utils import timezone

from careplus.access import compiled
from careplus.access.fetch import get_child_of_case
from careplus.access.policy import Actor
from careplus.access.scopes import case_in_scope, cases_visible_to, office_in_scope
from careplus.accounts.models import Office, User
from careplus.audit.choices import AuditAction
from careplus.audit.models import AuditEvent
from careplus.cases import workflow
from careplus.cases.choices import ConsentScope, SafeContactChannel
from careplus.cases.models import (
    SECTION_MODELS,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseNote,
    CaseSection,
    Consent,
    Handover,
    Opportunity,
)
from careplus.cases.workflow import ALL_READS, CaseFacts
from careplus.core.fields import EncryptedField
from careplus.core.models import DataKey
from careplus.core.pagination import bounded_page_of
from careplus.returns.models import Visit


class _OfCase(Protocol):
    case: Case


OfCase = TypeVar("OfCase", bound=_OfCase)
Section = TypeVar("Section", bound=CaseSection)

# A values() row of the case summary's 36 columns (dates, ids, text, booleans of several tables),
# read by column name: Django does not type a row by its columns.
SummaryRow: TypeAlias = dict[str, Any]


def case_list(*, actor: Actor, status: str = "") -> QuerySet[Case]:
    """Return the cases in the actor's scope with what the list shows."""
    cases = cases_visible_to(actor).select_related("office", "data_key")
    if status:
        cases = cases.filter(status=status)
    return cases


@dataclass(frozen=True, slots=True)
class CaseRow:
    """What a row of the case list shows (the names in clear; the list masks them)."""

    pk: UUID
    reference: str
    status: str
    country_of_return: str
    office: str
    opened_on: datetime.date
    given_names: object  # the text, ERASED (`core.fields`) or None, as the attribute reads
    family_name: object


# The columns a row is read from: its own, its office's, and the data key that opens the names.
_LIST_COLUMNS = (
    "pk",
    "reference",
    "status",
    "country_of_return",
    "opened_on",
    "office__name",
    "office__code",
    "given_names",
    "family_name",
    "data_key_id",
    "data_key__master_key_id",
    "data_key__wrapped",
)


def case_list_page(
    *, actor: Actor, status: str = "", number: int | str | None = 1, per_page: int = 25
) -> Page[CaseRow]:
    """One page of the case list, with only the columns a row shows.

    The page's ids are read from the list's index alone (an office's list is counted, ordered
    and skipped through without touching the table); then the rows of those ids, as bare
    columns (25 rows do not need 75 model instances), their names opened with their file's key.
    Both queries' SQL is compiled once per actor's scope, filter and page (`access.compiled`).
    """

    def count_to(limit: int) -> int:
        return compiled.count(_list_ids, status, limit, actor=actor)

    return bounded_page_of(_CaseRows(actor, status), count_to, per_page, number)


def _list_ids(actor: Actor, status: str, limit: int) -> QuerySet[Case, tuple[UUID]]:
    # Order does not change a count: without it the database stops at the limit from any index.
    return case_list(actor=actor, status=status).order_by().values_list("pk")[:limit]


def _list_rows(actor: Actor, status: str, start: int, stop: int) -> QuerySet[Case, tuple[Any, ...]]:
    # One query: the page's ids as a subquery (read from the index), then their rows in the same order.
    ids = case_list(actor=actor, status=status).values_list("pk", flat=True)[start:stop]
    return Case.objects.filter(pk__in=ids).values_list(*_LIST_COLUMNS)


@dataclass(frozen=True)
class _CaseRows(Sequence[CaseRow]):
    """The case list as the pager slices it: each slice read as one page of rows."""

    actor: Actor
    status: str

    @overload
    def __getitem__(self, index: int) -> CaseRow: ...
    @overload
    def __getitem__(self, index: slice) -> list[CaseRow]: ...
    def __getitem__(self, index: int | slice) -> CaseRow | list[CaseRow]:
        if not isinstance(index, slice) or index.start is None or index.stop is None or index.step is not None:
            raise TypeError("The case list is read a page at a time.")
        return [
            _case_row(row) for row in compiled.rows(_list_rows, self.status, index.start, index.stop, actor=self.actor)
        ]

    def __len__(self) -> int:
        raise TypeError("The case list is counted up to a bound (core.pagination), never in full.")


_GIVEN_NAMES = cast(EncryptedField, Case._meta.get_field("given_names"))
_FAMILY_NAME = cast(EncryptedField, Case._meta.get_field("family_name"))


def _case_row(row: tuple[Any, ...]) -> CaseRow:  # a values_list row: Django does not type its columns
    (
        pk,
        reference,
        status,
        country,
        opened_on,
        office_name,
        office_code,
        given_names,
        family_name,
        key_id,
        master_key_id,
        wrapped,
    ) = row  # the order of _LIST_COLUMNS
    data_key = DataKey(id=key_id, master_key_id=master_key_id, wrapped=wrapped)
    return CaseRow(
        pk=pk,
        reference=reference,
        status=status,
        country_of_return=country,
        office=Office.label(office_name, office_code) if office_name is not None else "",
        opened_on=opened_on,
        given_names=_GIVEN_NAMES.open_column(pk, given_names, data_key),
        family_name=_FAMILY_NAME.open_column(pk, family_name, data_key),
    )


def case_viewers(*, case: Case, limit: int = 50) -> QuerySet[AuditEvent]:
    """Return the latest views of a case file (who and when)."""
    return AuditEvent.objects.filter(
        object_type=Case._meta.label_lower, object_id=str(case.pk), action=AuditAction.VIEW
    ).order_by("-seq")[:limit]


def active_consents(case: Case) -> list[Consent]:
    return list(case.consents.filter(withdrawn_on__isnull=True).select_related("recorded_by"))


def _one(case: Case, name: str) -> CaseSection | None:
    try:
        record = getattr(case, name)
    except Exception:
        return None
    return record if isinstance(record, CaseSection) else None


def _section_names() -> dict[str, str]:
    return {slug: _reverse_name(model) for slug, model in SECTION_MODELS.items()}


@dataclass(frozen=True)
class SectionState:
    """What the summary shows of a section record: when and by whom it was last saved, and its approval."""

    updated_at: datetime.date  # a datetime
    updated_by_name: str
    overall: str = ""
    approved_at: datetime.datetime | None = None
    author_id: UUID | None = None  # the best-interests determination's (its author may not approve it)


# Per section, the columns the workflow facts read besides when and by whom it was saved.
_FACT_COLUMNS = {
    "risk_assessment": ("overall", "approved_at"),
    "legal_situation": ("next_hearing_on",),
    "best_interests": ("return_in_best_interests", "author_id", "approved_by_id", "approved_at"),
}
_CASE_COLUMNS = ("status", "status_before_suspension", "is_minor", "office_id", "planned_departure_on")
_DEPARTURE_COLUMNS = ("actual_departure_on", "arrival_on", "wish_reconfirmed_on")


def _summary_row(case: Case) -> SummaryRow:
    """What the facts and the summary read of the case's row, each section's state and the
    departure: one row, no record built, its SQL compiled once for every file (`access.compiled`)."""
    (values,) = compiled.rows(_summary_query, compiled.Param(case.pk))
    return dict(zip(_summary_columns(), values, strict=True))


@functools.cache
def _summary_columns() -> tuple[str, ...]:
    """The summary's 36 columns: the case's, its departure's, and each section's."""
    columns = [*_CASE_COLUMNS, *(f"departure__{name}" for name in _DEPARTURE_COLUMNS)]
    for name in _section_names().values():
        columns += [f"{name}__id", f"{name}__updated_at", f"{name}__updated_by__full_name"]
        columns += [f"{name}__{column}" for column in _FACT_COLUMNS.get(name, ())]
    return tuple(columns)


def _summary_query(case_id: UUID) -> QuerySet[Case, tuple[object, ...]]:
    return Case.objects.filter(pk=case_id).values_list(*_summary_columns())


def _facts(case: Case, row: SummaryRow, reads: frozenset[str] | None = None) -> CaseFacts:
    """The workflow facts: those of the row, then those of other tables that `reads` names (all by
    default). The others keep their empty values, which only targets not offered would look at."""

    def done(name: str) -> bool:
        return row[f"{name}__id"] is not None

    bid_author, bid_approver = row["best_interests__author_id"], row["best_interests__approved_by_id"]
    facts = CaseFacts(
        status=row["status"],
        status_before_suspension=row["status_before_suspension"],
        is_minor=row["is_minor"],
        office_assigned=row["office_id"] is not None,
        planned_departure_on=row["planned_departure_on"],
        consents=frozenset(),
        risk_overall=row["risk_assessment__overall"],
        risk_approved=row["risk_assessment__approved_at"] is not None,
        needs_done=done("needs_assessment"),
        skills_done=done("skills_assessment"),
        opportunities=0,
        next_hearing_on=row["legal_situation__next_hearing_on"],
        family_assessment_done=done("family_assessment"),
        bid_done=done("best_interests"),
        bid_in_favour=bool(row["best_interests__return_in_best_interests"]),
        bid_approved_by_other=bool(bid_approver and bid_approver != bid_author),
        coordination_plan_done=done("coordination_plan"),
        actual_departure_on=row["departure__actual_departure_on"],
        arrival_on=row["departure__arrival_on"],
        wish_reconfirmed_on=row["departure__wish_reconfirmed_on"],
    )
    wanted = ALL_READS if reads is None else reads
    beyond: SummaryRow = {}  # more facts, each of its own type
    if "consents" in wanted:
        beyond["consents"] = frozenset(scope for (scope,) in compiled.rows(_active_consents, compiled.Param(case.pk)))
    if "opportunities" in wanted:
        beyond["opportunities"] = compiled.count(_opportunities, compiled.Param(case.pk))
    if "pending_visits" in wanted:
        beyond["pending_visits"] = tuple(day for (day,) in compiled.rows(_planned_visits, compiled.Param(case.pk)))
    return replace(facts, **beyond)


def _active_consents(case_id: UUID) -> QuerySet[Consent, tuple[str]]:
    return Consent.objects.filter(case_id=case_id, withdrawn_on__isnull=True).values_list("scope")


def _opportunities(case_id: UUID) -> QuerySet[Opportunity, tuple[UUID]]:
    return Opportunity.objects.filter(case_id=case_id).values_list("pk")


def _planned_visits(case_id: UUID) -> QuerySet[Visit, tuple[datetime.date]]:
    return Visit.objects.filter(case_id=case_id, status="planned").order_by("planned_on").values_list("planned_on")


def _states(row: SummaryRow) -> dict[str, SectionState | None]:
    return {
        slug: SectionState(
            updated_at=row[f"{name}__updated_at"],
            updated_by_name=row[f"{name}__updated_by__full_name"],
            overall=row.get(f"{name}__overall") or "",
            approved_at=row.get(f"{name}__approved_at"),
            author_id=row.get(f"{name}__author_id"),
        )
        if row[f"{name}__id"] is not None
        else None
        for slug, name in _section_names().items()
    }


def case_facts(case: Case) -> CaseFacts:
    """Gather what the workflow guards need (a fixed number of queries)."""
    return _facts(case, _summary_row(case))


def case_summary(case: Case) -> tuple[CaseFacts, dict[str, SectionState | None]]:
    """The workflow facts and the state of each section, for the case file's summary: the case's
    row, then only what the guards of the targets offered from its status look at."""
    row = _summary_row(case)
    offered = workflow.reads_for(_facts(case, row, reads=frozenset()))
    return _facts(case, row, reads=offered), _states(row)


def case_procedure(case: Case, facts: CaseFacts) -> workflow.Procedure:
    """Which procedure applies to the case and why (the date of birth of an erased file is gone)."""
    birth = None if case.erased_at else case.date_of_birth
    return workflow.procedure(
        is_minor=facts.is_minor,
        date_of_birth=birth if isinstance(birth, datetime.date) else None,
        planned_departure_on=facts.planned_departure_on,
        today=timezone.localdate(),
    )


def case_sections(case: Case) -> dict[str, CaseSection | None]:
    """Return each section's record by key (`SECTION_MODELS`; one query for all of them, whatever the history)."""
    names = _section_names()
    loaded = Case.objects.filter(pk=case.pk).select_related(*names.values()).get()
    records: dict[str, CaseSection | None] = {}
    for slug, name in names.items():
        record = _one(loaded, name)
        if record is not None:
            record.case = case
        records[slug] = record
    return records


TIMELINE_RECENT = 50


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """A line of a file's history: when, what, its details and who (no one for the system)."""

    at: datetime.datetime
    kind: str
    params: dict[str, object]
    actor_name: str | None


@dataclass(frozen=True)
class Timeline:
    events: list[TimelineEvent]
    total: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.events)


def timeline(case: Case, *, everything: bool = False) -> Timeline:
    """Return the case's events in order: the most recent ones only, unless everything is asked for.

    The case page stays as fast for a file with years of history as for a new one; its queries'
    SQL is compiled once for every file (`access.compiled`).
    """
    if everything:
        shown = [TimelineEvent(*row) for row in compiled.rows(_events, compiled.Param(case.pk))]
        return Timeline(shown, len(shown))
    recent = compiled.rows(_latest_events, compiled.Param(case.pk))
    total = recent[0][-1] if recent else 0
    return Timeline([TimelineEvent(*row[:-1]) for row in reversed(recent)], total)


_LINE = ("at", "kind", "params", "actor__full_name")  # only what a line shows


def _events(case_id: UUID) -> QuerySet[CaseEvent, tuple[datetime.datetime, str, dict[str, object], str | None]]:
    """All of a file's lines, in order."""
    return CaseEvent.objects.filter(case_id=case_id).values_list(*_LINE).order_by("at", "id")


def _latest_events(
    case_id: UUID,
) -> QuerySet[CaseEvent, tuple[datetime.datetime, str, dict[str, object], str | None, int]]:
    """The latest lines, latest first, each with the number of all the file's lines.

    Their ids are read first, from the end of the file's index (case, at, id) and no further: a plan
    made for any file (PostgreSQL prepares it once, for a file of a few lines) would otherwise sort
    the whole history of a long one. The lines are counted by the same query (a subquery reading
    the same index, once), in the same round trip.
    """
    events = CaseEvent.objects.filter(case_id=case_id)
    latest = events.order_by("-at", "-id").values("pk")[:TIMELINE_RECENT]
    counted = events.order_by().values("case_id").annotate(lines=Count("pk")).values("lines")
    lines = CaseEvent.objects.filter(pk__in=latest).annotate(total=Subquery(counted))
    return lines.values_list(*_LINE, "total").order_by("-at", "-id")


def pending_handovers(*, actor: Actor) -> QuerySet[Handover]:
    """Return the handovers to the actor's offices not yet acknowledged (their tasks), of the files
    the actor may open.

    The office is compared with the actor's own (not looked for among the files the actor sees):
    PostgreSQL then keeps one plan for the prepared statement instead of planning seven tables at
    each run: 1.0-1.4 ms in the request at a million files for a query that runs in 0.03 ms."""
    return (
        Handover.objects.filter(case_in_scope(actor), office_in_scope(actor), acknowledged_at__isnull=True)
        .select_related("case", "office")
        .order_by("due_on")
    )


def sharing_consented(case: Case) -> bool:
    return case.consents.filter(scope=ConsentScope.SHARE_RETURN_OFFICE, withdrawn_on__isnull=True).exists()


def _attach(items: list[OfCase], case: Case) -> list[OfCase]:
    """Point each row at the already loaded case, so decryption needs no extra query."""
    for item in items:
        item.case = case
    return items


def section_record(case: Case, model: type[Section]) -> Section | None:
    """Return the one-per-case record of a section, or None."""
    record = model._default_manager.filter(case=case).first()
    if record is not None:
        record.case = case
    return record


def _reverse_name(model: type[CaseSection]) -> str:
    """The name a case reaches its one-to-one section record by (e.g. risk_assessment)."""
    field = model._meta.get_field("case")
    if not isinstance(field, models.OneToOneField):
        raise TypeError(f"{model.__name__}.case is not one-to-one")
    return field.related_query_name()


def consents(case: Case) -> list[Consent]:
    return _attach(
        list(case.consents.select_related("recorded_by", "withdrawn_by").order_by("scope", "given_on")), case
    )


def opportunities(case: Case) -> list[Opportunity]:
    return _attach(list(case.opportunities.select_related("verified_by")), case)


def handovers(case: Case) -> list[Handover]:
    return _attach(list(case.handovers.select_related("office", "sent_by", "acknowledged_by")), case)


def notes(case: Case) -> list[CaseNote]:
    return _attach(list(case.notes.select_related("author")), case)


def attachments(case: Case) -> list[CaseAttachment]:
    # The contents are not loaded for the list.
    return _attach(list(case.attachments.select_related("uploaded_by").defer("content")), case)


def restricted_users(case: Case) -> list[User]:
    return list(case.restricted_users.all())


def consent_of(case: Case, consent_id: str) -> Consent:
    consent: Consent = get_child_of_case(Consent, consent_id, case)
    return consent


def handover_of(case: Case, handover_id: str) -> Handover:
    handover: Handover = get_child_of_case(Handover.objects.select_related("office"), handover_id, case)
    return handover


def attachment_of(case: Case, attachment_id: str) -> CaseAttachment:
    return get_child_of_case(case.attachments.all(), attachment_id, case)


def safe_contact_channel_label(case: Case) -> str:
    """The safe contact's channel as the person reads it: a known channel by its label, else as typed."""
    contact = case.safe_contact if isinstance(case.safe_contact, dict) else {}
    channel = str(contact.get("channel") or "")
    return str(dict(SafeContactChannel.choices).get(channel, channel))
