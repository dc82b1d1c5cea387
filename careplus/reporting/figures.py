"""The programme's figures for a period, as blocks (total, target, breakdown) every output shares."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, Sum, TextField
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext as _

from careplus.accounts.choices import OrganisationType
from careplus.cases.choices import CaseStatus, Sex
from careplus.cases.models import Case
from careplus.programmes.models import Programme
from careplus.referrals.choices import ExploitationForm
from careplus.referrals.models import Referral
from careplus.reporting import sdc
from careplus.reporting.periods import Period
from careplus.returns.choices import ItemStatus, PlanCategory, VisitStatus
from careplus.returns.models import PlanItem, Visit
from careplus.trainings import indicators as training_indicators
from careplus.trainings.choices import ProfessionalType

TWO = Decimal("0.01")


@dataclass(frozen=True)
class Block:
    key: str
    component: str
    title: str
    total: Any
    target: Any = None
    rows: list[tuple[str, Any]] = field(default_factory=list)
    kind: str = "count"  # count | amount | score
    suppressed: bool = False

    @property
    def max_value(self) -> Any:
        values = [v for _label, v in self.rows if isinstance(v, int | Decimal)]
        return max(values) if values else 0


def _labelled(counter: dict[str, int], labels: dict[str, Any]) -> list[tuple[str, int]]:
    return [(str(labels.get(code, code) or "—"), count) for code, count in sorted(counter.items(), key=lambda i: -i[1])]


def _cases(programme: Programme, period: Period) -> Any:
    return (
        Case.objects.filter(programme=programme, opened_on__lte=period.end)
        .exclude(status=CaseStatus.WITHDRAWN)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=period.start))
    )


def compute(programme: Programme, period: Period) -> list[Block]:
    """Compute every block of the dashboard for a programme and a period (exact figures)."""
    referrals = Referral.objects.filter(programme=programme, received_on__range=(period.start, period.end))
    by_org = dict(referrals.values_list("organisation__type").annotate(n=Count("id")).order_by())
    cases = _cases(programme, period)
    status = dict(cases.values_list("status").annotate(n=Count("id")).order_by())
    country = dict(cases.values_list("country_of_return").annotate(n=Count("id")).order_by())
    sex = dict(cases.values_list("sex").annotate(n=Count("id")).order_by())
    minors = cases.filter(is_minor=True).count()
    total_cases = cases.count()
    forms = _forms_of_exploitation(Referral.objects.filter(case__in=cases))
    delivered = PlanItem.objects.filter(
        case__in=cases, status=ItemStatus.DELIVERED, delivered_on__range=(period.start, period.end)
    )
    amounts = delivered.values_list("category").annotate(total=Sum(Coalesce("actual_cost", "planned_amount")))
    spent = {category: _exact(float(total), 2) for category, total in amounts.order_by()}
    visits = Visit.objects.filter(case__in=cases, planned_on__range=(period.start, period.end))
    visit_status = dict(visits.values_list("status").annotate(n=Count("id")).order_by())
    scores = _average_scores(visits.filter(status=VisitStatus.DONE))
    trainings = training_indicators.compute(programme, start=period.start, end=period.end)
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
        Block("countries", "I", _("Beneficiaries by country of return"), total_cases, None, _labelled(country, {})),
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
            _labelled(dict(forms), dict(ExploitationForm.choices)),
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
            _labelled(_trainings_by_city(programme, period), {}),
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


def _forms_of_exploitation(referrals: Any) -> dict[str, int]:
    """Count referrals per form of exploitation in one pass (a referral may name several)."""
    text = referrals.annotate(forms_text=Cast("forms_of_exploitation", TextField()))
    counts = text.aggregate(
        **{code: Count("id", filter=Q(forms_text__contains=f'"{code}"')) for code in ExploitationForm.values}
    )
    return {code: count for code, count in counts.items() if count}


def _trainings_by_city(programme: Programme, period: Period) -> dict[str, int]:
    from careplus.trainings.models import TrainingSession

    held = TrainingSession.objects.filter(programme=programme, status="held", held_on__range=(period.start, period.end))
    return dict(held.values_list("city").annotate(n=Count("id")).order_by())


SCORE_DIMENSIONS = ("economic", "social", "psychosocial", "composite")


def _exact(total: float | None, places: int = 4) -> Decimal:
    """Return a database sum of values with `places` decimals as the exact decimal it stands for."""
    return Decimal(str(round(total or 0.0, places)))


def _average_scores(visits: Any) -> dict[str, Any]:
    """Average each score over the visits done, summed in the database from a covering index."""
    fields = {name: f"score_{name}" for name in SCORE_DIMENSIONS}
    sums = {name: Sum(column) for name, column in fields.items()}
    counts = {f"{name}_n": Count(column) for name, column in fields.items()}
    totals = visits.aggregate(visits=Count("id"), **sums, **counts)  # recorded visits all carry scores
    rows = []
    for name, label in zip(
        SCORE_DIMENSIONS, (_("Economic"), _("Social"), _("Psychosocial"), _("Composite")), strict=True
    ):
        count = totals[f"{name}_n"]
        mean = (_exact(float(totals[name] or 0)) / count).quantize(TWO, ROUND_HALF_UP) if count else None
        rows.append((str(label), mean))
    return {"count": totals["visits"], "rows": rows}


def disclose(blocks: list[Block], *, k: int) -> list[Block]:
    """Apply disclosure control: count breakdowns suppressed below k, small-sample averages hidden."""
    published = []
    for block in blocks:
        if block.kind == "count":
            cells = sdc.suppress({label: int(value) for label, value in block.rows}, k)
            published.append(replace(block, rows=list(cells.items()), suppressed=bool(block.rows) and not cells))
        elif block.kind == "score" and isinstance(block.total, int) and 0 < block.total < k:
            published.append(replace(block, rows=[(label, None) for label, _v in block.rows], suppressed=True))
        else:
            published.append(block)
    return published
