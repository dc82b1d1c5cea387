"""The programme's figures for a period, as blocks (total, target, breakdown) every output shares."""

from __future__ import annotations

import contextlib
import datetime
import functools
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeAlias, TypedDict, overload

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from careplus.access import compiled
from careplus.accounts.choices import OrganisationType
from careplus.accounts.models import Organisation
from careplus.cases.choices import CaseStatus, Sex
from careplus.cases.models import Case
from careplus.core.countries import country_name
from careplus.programmes.choices import PlanCategory
from careplus.programmes.models import Programme
from careplus.referrals.choices import ExploitationForm
from careplus.referrals.models import Referral
from careplus.reporting import sdc
from careplus.reporting.models import SCORE_SCALE, CaseFigure, DeliveryMonth, VisitMonth
from careplus.reporting.periods import Period
from careplus.returns.choices import ItemStatus, VisitStatus
from careplus.returns.models import PlanItem, Visit
from careplus.trainings import indicators as training_indicators
from careplus.trainings.choices import ProfessionalType

TWO = Decimal("0.01")

# A figure: a count, an amount or a score; None where disclosure control hides it or nothing is set.
Figure: TypeAlias = int | Decimal | None


# The blocks whose totals head the dashboard: the programme's targets (components I and II).
HEADLINES = frozenset({"referrals", "beneficiaries", "trainings", "professionals"})


@dataclass(frozen=True)
class Block:
    key: str
    component: str
    title: str
    total: Figure
    target: Figure = None
    rows: Sequence[tuple[str, Figure]] = field(default_factory=list)
    kind: str = "count"  # count | amount | score
    suppressed: bool = False
    codes: dict[str, str] = field(default_factory=dict)  # a row's code by its label (countries: ISO code)

    @property
    def headline(self) -> bool:
        """Whether the dashboard repeats this block's total among its key figures at the top."""
        return self.key in HEADLINES

    @property
    def beyond_target(self) -> bool:
        """Tell whether an exact total goes beyond the block's target (shown, never capped)."""
        return isinstance(self.total, int) and isinstance(self.target, int) and 0 < self.target < self.total

    @property
    def max_value(self) -> int | Decimal:
        values = [v for _label, v in self.rows if isinstance(v, int | Decimal)]
        return max(values) if values else 0


def _labelled(
    counter: Mapping[str, int] | Mapping[str | None, int], labels: Mapping[str, object]
) -> list[tuple[str, int]]:
    """Label the counts, largest first (ties in label order), leaving out codes counted zero."""
    rows = [(str(labels.get(code or "", code) or "—"), count) for code, count in counter.items() if count]
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def _cases(programme: Programme, period: Period) -> QuerySet[Case]:
    return (
        Case.objects.filter(programme=programme, opened_on__lte=period.end)
        .exclude(status=CaseStatus.WITHDRAWN)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=period.start))
    )


def compute(programme: Programme, period: Period, *, from_rollups: bool | None = None) -> list[Block]:
    """Compute every block of the dashboard for a programme and a period (exact figures).

    A period of whole months is read from the rollups (reporting.models), any other from the
    source rows; both give the same figures (tested). The referrals' and the rollups' queries are
    functions of the programme's id and the period's dates, their SQL compiled once for each
    (`access.compiled`): building and compiling them cost a fifth of the page. They are read in
    one batch (`compiled.Batch`: on PostgreSQL one pipeline).
    """
    return _queue(compiled.Batch(), programme, period, from_rollups=from_rollups)()


@contextlib.contextmanager
def computing(
    programme: Programme, period: Period, *, exact: bool, k: int, then: Callable[[], object]
) -> Iterator[Sequence[Block]]:
    """The blocks `compute` gives (disclosed with `k` unless `exact`), their queries sent when the
    block starts and read at the blocks' first use: on PostgreSQL the server runs them while the
    caller goes on. The dashboard renders its layout, menu and filters meanwhile, which the blocks
    come after; before that use, the caller should make no query of its own (it would wait).

    `then` is called once the figures are read, before any of them is used (the dashboard records
    its view there): at the blocks' first use, or when the block ends if nothing used them."""
    batch = compiled.Batch()
    build = _queue(batch, programme, period)
    with batch.sent():
        blocks = _Deferred(build if exact else lambda: disclose(build(), k=k), then)
        yield blocks
        blocks._ready()


class _Deferred(Sequence[Block]):
    """The blocks, computed at their first use, `then` called once they are."""

    def __init__(self, build: Callable[[], list[Block]], then: Callable[[], object]) -> None:
        self._build: Callable[[], list[Block]] | None = build
        self._then = then
        self._blocks: list[Block] = []

    def _ready(self) -> list[Block]:
        if self._build is not None:
            blocks = self._build()
            self._then()  # if it fails, so does every later use: no figure is shown without it
            self._blocks, self._build = blocks, None
        return self._blocks

    def __len__(self) -> int:
        return len(self._ready())

    def __iter__(self) -> Iterator[Block]:
        return iter(self._ready())

    @overload
    def __getitem__(self, index: int) -> Block: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Block]: ...
    def __getitem__(self, index: int | slice) -> Block | Sequence[Block]:
        return self._ready()[index]


def _queue(
    batch: compiled.Batch, programme: Programme, period: Period, *, from_rollups: bool | None = None
) -> Callable[[], list[Block]]:
    """Queue the blocks' queries in `batch`: the call answers the blocks (reading the batch)."""
    if from_rollups is None:
        from_rollups = covers_whole_months(period)
    if from_rollups:
        read_counts = _queue_case_figures_from_rollups(batch, programme, period)
        read_history = _queue_history_from_rollups(batch, programme, period)
    else:
        cases = _cases(programme, period)
        read_counts, read_history = functools.partial(_case_figures, cases), functools.partial(_history, cases, period)
    read_trainings = training_indicators.queue_summary(batch, programme, start=period.start, end=period.end)
    types = batch.rows(_organisation_types)
    referrals = batch.rows(_referrals_by_organisation, programme.pk, period.start, period.end)

    def build() -> list[Block]:
        type_of: dict[uuid.UUID | None, str] = dict(types.get())  # the first read: the whole batch's
        by_org: Counter[str | None] = Counter()
        for organisation_id, count in referrals.get():
            by_org[type_of.get(organisation_id)] += count
        return _blocks(programme, by_org, read_counts(), read_history(), read_trainings())

    return build


def _blocks(
    programme: Programme,
    by_org: Counter[str | None],
    counts: CaseCounts,
    history: History,
    trainings: training_indicators.TrainingSummary,
) -> list[Block]:
    spent, visit_status, scores = history
    status, country, sex, forms = counts["status"], counts["country"], counts["sex"], counts["forms"]
    minors = counts["age"]["minor"]
    total_cases = sum(status.values())
    names = {code: country_name(code) for code in country if code}  # a handful: not all 250 sorted
    return [
        Block(
            "referrals",
            "I",
            _("Referrals received"),
            sum(by_org.values()),
            None,
            _labelled(by_org, dict(OrganisationType.choices)),
        ),
        Block(
            "beneficiaries",
            "I",
            _("Beneficiaries assisted, by status"),
            total_cases,
            programme.target_beneficiaries,
            _labelled(status, dict(CaseStatus.choices)),
        ),
        Block(
            "countries",
            "I",
            _("Beneficiaries by country of return"),
            total_cases,
            None,
            _labelled(country, names),
            codes={names.get(code, code): code for code in country if code},
        ),
        Block("sex", "I", _("Beneficiaries by sex"), total_cases, None, _labelled(sex, dict(Sex.choices))),
        Block(
            "age",
            "I",
            _("Beneficiaries by age group"),
            total_cases,
            None,
            [(str(_("Minors")), minors), (str(_("Adults")), total_cases - minors)],
        ),
        Block(
            "exploitation",
            "I",
            _("Beneficiaries by form of exploitation"),
            total_cases,
            None,
            _labelled(forms, dict(ExploitationForm.choices)),
        ),
        Block(
            "spent",
            "I",
            _("Reintegration assistance delivered (EUR), by category"),
            sum(spent.values(), Decimal("0.00")),
            programme.budget,
            [(str(dict(PlanCategory.choices).get(c, c)), v.quantize(TWO)) for c, v in sorted(spent.items())],
            kind="amount",
        ),
        Block(
            "followup",
            "I",
            _("Follow-up visits due in the period"),
            sum(visit_status.values()),
            None,
            _labelled(visit_status, dict(VisitStatus.choices)),
        ),
        Block(
            "scores",
            "I",
            _("Average sustainability scores (0 to 1)"),
            scores["count"],
            None,
            scores["rows"],
            kind="score",
        ),
        Block(
            "trainings",
            "II",
            _("Trainings held, by city"),
            trainings.sessions_held,
            programme.target_trainings,
            _labelled(trainings.by_city, {}),
        ),
        Block(
            "professionals",
            "II",
            _("Professionals trained, by organisation type"),
            trainings.professionals_trained,
            programme.target_professionals or None,
            _labelled(trainings.by_organisation_type, dict(ProfessionalType.choices)),
        ),
    ]


CaseCounts = dict[str, Counter[str]]


def _case_figures(cases: QuerySet[Case]) -> CaseCounts:
    """Count the cases by status, country, sex, age and form of exploitation, from the source rows."""
    counts: CaseCounts = {dimension: Counter() for dimension in ("status", "country", "sex", "age", "forms")}
    # One pass over the cases gives every breakdown of the beneficiaries.
    profiles = cases.values_list("status", "country_of_return", "sex", "is_minor").annotate(n=Count("*"))
    for case_status, case_country, case_sex, is_minor, count in profiles.order_by():
        counts["status"][case_status] += count
        counts["country"][case_country or ""] += count
        counts["sex"][case_sex or ""] += count
        counts["age"]["minor" if is_minor else "adult"] += count
    referrals = Referral.objects.filter(case__in=cases)
    for forms, count in referrals.values_list("forms_of_exploitation").annotate(n=Count("*")).order_by():
        for code in set(forms or []):  # a referral may name several forms
            counts["forms"][code] += count
    return counts


def _organisation_types() -> QuerySet[Organisation, tuple[uuid.UUID, str]]:
    return Organisation.objects.order_by().values_list("id", "type")


@compiled.planned_each_run  # an aggregate over a range: planned with its values
def _referrals_by_organisation(
    programme_id: uuid.UUID, start: datetime.date, end: datetime.date
) -> QuerySet[Referral, tuple[uuid.UUID | None, int]]:
    referrals = Referral.objects.filter(programme_id=programme_id, received_on__range=(start, end))
    return referrals.values_list("organisation_id").annotate(n=Count("*")).order_by()


@compiled.planned_each_run  # an aggregate over a range: planned with its values
def _case_figure_sums(
    programme_id: uuid.UUID, start: datetime.date, end: datetime.date
) -> QuerySet[CaseFigure, tuple[str, str, int]]:
    rows = CaseFigure.objects.filter(**_rollup_scope(programme_id, start, end)).values_list("dimension", "value")
    return rows.annotate(Sum("cases")).order_by()


def _queue_case_figures_from_rollups(
    batch: compiled.Batch, programme: Programme, period: Period
) -> Callable[[], CaseCounts]:
    """The same counts read from the case rollup (whole months only): its query queued in `batch`."""
    sums = batch.rows(_case_figure_sums, programme.pk, period.start, period.end)

    def read() -> CaseCounts:
        counts: CaseCounts = {dimension: Counter() for dimension in ("status", "country", "sex", "age", "forms")}
        for dimension, value, count in sums.get():
            if dimension == "forms":
                for code in set(json.loads(value or "[]")):
                    counts["forms"][code] += count
            else:
                counts[dimension][value] += count
        return counts

    return read


def _rollup_scope(programme_id: uuid.UUID, start: datetime.date, end: datetime.date) -> dict[str, object]:
    """The dashboard's case scope on the rollups: opened by the end, not closed before the start."""
    return {
        "programme_id": programme_id,
        "opened_month__lte": end,
        "closed_month__gte": start,
        "withdrawn": False,
    }


class Scores(TypedDict):
    count: int
    rows: list[tuple[str, Figure]]


History = tuple[dict[str, Decimal], dict[str, int], Scores]


def covers_whole_months(period: Period) -> bool:
    """Whether the period starts on a first and ends on a last day of month (the rollups answer it)."""
    return period.start.day == 1 and (period.end + datetime.timedelta(days=1)).day == 1


def _history(cases: QuerySet[Case], period: Period) -> History:
    """Spending, visits and scores computed from the source rows (any period)."""
    delivered = PlanItem.objects.filter(
        case__in=cases, status=ItemStatus.DELIVERED, delivered_on__range=(period.start, period.end)
    )
    amounts = delivered.values_list("category").annotate(total=Sum(Coalesce("actual_cost", "planned_amount")))
    spent = {category: _exact(float(total), 2) for category, total in amounts.order_by()}
    visits = Visit.objects.filter(case__in=cases, planned_on__range=(period.start, period.end))
    fields = {name: f"score_{name}" for name in SCORE_DIMENSIONS}
    rows = visits.values_list("status").annotate(
        visits=Count("id"),
        **{name: Sum(column) for name, column in fields.items()},
        **{f"{name}_n": Count(column) for name, column in fields.items()},
    )
    visit_status, done = _by_status(rows.order_by(), lambda total: _exact(float(total or 0)))
    return spent, visit_status, _average_scores(done)


@compiled.planned_each_run  # an aggregate over a range: planned with its values
def _delivery_sums(
    programme_id: uuid.UUID, start: datetime.date, end: datetime.date
) -> QuerySet[DeliveryMonth, tuple[str, int, int]]:
    scope = {**_rollup_scope(programme_id, start, end), "month__range": (start, end)}
    return DeliveryMonth.objects.filter(**scope).values_list("category").annotate(Sum("items"), Sum("cents")).order_by()


@compiled.planned_each_run  # an aggregate over a range: planned with its values
def _visit_sums(
    programme_id: uuid.UUID, start: datetime.date, end: datetime.date
) -> QuerySet[VisitMonth, tuple[object, ...]]:
    scope = {**_rollup_scope(programme_id, start, end), "month__range": (start, end)}
    sums = {name: Sum(name) for name in SCORE_DIMENSIONS}
    counts = {f"{name}_n": Sum(f"{name}_n") for name in SCORE_DIMENSIONS}
    rows = VisitMonth.objects.filter(**scope).values_list("status")
    return rows.annotate(visits=Sum("visits"), **sums, **counts).order_by()


def _queue_history_from_rollups(batch: compiled.Batch, programme: Programme, period: Period) -> Callable[[], History]:
    """The same figures read from the monthly rollups (whole months only), their two queries queued
    in `batch`: the call reads them."""
    inputs = (programme.pk, period.start, period.end)
    amounts, rows = batch.rows(_delivery_sums, *inputs), batch.rows(_visit_sums, *inputs)

    def read() -> History:
        spent = {category: Decimal(cents) / 100 for category, items, cents in amounts.get() if items}
        visit_status, done = _by_status(rows.get(), lambda total: Decimal(total or 0) / SCORE_SCALE)
        return spent, visit_status, _average_scores(done)

    return read


def _by_status(
    rows: Iterable[tuple[Any, ...]],  # values_list rows: Django does not type their columns
    exact: Callable[[Any], Decimal],  # the database's sum: a float, a Decimal or None
) -> tuple[dict[str, int], dict[str, int | Decimal]]:
    """Split grouped visit rows into counts per status and the totals of the visits done."""
    visit_status: dict[str, int] = {}
    done: dict[str, int | Decimal] = {"visits": 0}
    for status, visits, *totals in rows:
        if visits:
            visit_status[status] = int(visits)
        if status == VisitStatus.DONE:
            sums, counts = totals[: len(SCORE_DIMENSIONS)], totals[len(SCORE_DIMENSIONS) :]
            done = {"visits": int(visits or 0)}
            for name, total, count in zip(SCORE_DIMENSIONS, sums, counts, strict=True):
                done[name], done[f"{name}_n"] = exact(total), int(count or 0)
    return visit_status, done


SCORE_DIMENSIONS = ("economic", "social", "psychosocial", "composite")


def _exact(total: float | None, places: int = 4) -> Decimal:
    """Return a database sum of values with `places` decimals as the exact decimal it stands for."""
    return Decimal(str(round(total or 0.0, places)))


def _average_scores(totals: dict[str, int | Decimal]) -> Scores:
    """Average each score over the visits done, from the exact sums and counts of their scores."""
    rows: list[tuple[str, Figure]] = []
    for name, label in zip(
        SCORE_DIMENSIONS, (_("Economic"), _("Social"), _("Psychosocial"), _("Composite")), strict=True
    ):
        count = totals.get(f"{name}_n", 0)
        mean = (Decimal(totals[name]) / count).quantize(TWO, ROUND_HALF_UP) if count else None
        rows.append((str(label), mean))
    return {"count": int(totals["visits"]), "rows": rows}


def disclose(blocks: list[Block], *, k: int) -> list[Block]:
    """Apply disclosure control: count breakdowns suppressed below k, small-sample averages hidden."""
    published = []
    for block in blocks:
        if block.kind == "count":
            cells = sdc.suppress({label: int(value or 0) for label, value in block.rows}, k)
            published.append(replace(block, rows=list(cells.items()), suppressed=bool(block.rows) and not cells))
        elif block.kind == "score" and isinstance(block.total, int) and 0 < block.total < k:
            published.append(replace(block, rows=[(label, None) for label, _v in block.rows], suppressed=True))
        else:
            published.append(block)
    return published
