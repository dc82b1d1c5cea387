"""Reads on programmes, by the access policy."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from careplus.access.policy import Actor
from careplus.access.roles import Action
from careplus.access.scopes import programmes_visible_to
from careplus.accounts.selectors import names_by_id
from careplus.audit.models import AuditEvent
from careplus.core.money import FIXED_PARITY, FIXED_PARITY_SOURCE, to_euros
from careplus.programmes.choices import PlanCategory
from careplus.programmes.models import Programme, ReferenceRate
from careplus.returns.choices import ItemStatus
from careplus.returns.models import PlanItem


def programme_of(actor: Actor, pk: str) -> Programme | None:
    try:
        return programmes_visible_to(actor, action=Action.PROGRAMMES_MANAGE).filter(pk=pk).first()
    except ValueError:
        return None


@dataclass(frozen=True)
class Rate:
    """The rate that applies: local units per euro, since when, and where it comes from."""

    currency: str
    rate: Decimal
    valid_from: datetime.date | None
    source: str
    fixed: bool = False


def fixed_parities() -> list[Rate]:
    return [Rate(code, rate, None, FIXED_PARITY_SOURCE, fixed=True) for code, rate in sorted(FIXED_PARITY.items())]


def rate_on(currency: str, day: datetime.date, programme: Programme | None) -> Rate | None:
    """Return a currency's rate on a day: the legal parity, else the programme's rate, else the general one."""
    if currency in FIXED_PARITY:
        return Rate(currency, FIXED_PARITY[currency], None, FIXED_PARITY_SOURCE, fixed=True)
    rates = ReferenceRate.objects.filter(currency=currency, valid_from__lte=day)
    for scope in ((Q(programme=programme),) if programme is not None else ()) + (Q(programme__isnull=True),):
        found = rates.filter(scope).order_by("-valid_from").first()
        if found is not None:
            return Rate(currency, found.rate, found.valid_from, found.source)
    return None


@dataclass(frozen=True)
class Conversion:
    """A local amount in euros: the rate in force on the day of the operation, and that rate's date."""

    euros: Decimal
    rate: Rate
    rate_date: datetime.date


def in_euros(currency: str, amount: Decimal, day: datetime.date, programme: Programme | None) -> Conversion | None:
    """Convert an amount paid in a currency on a day at that day's rate (planning and delivery alike).

    None when no rate is known for that currency on that day.
    """
    rate = rate_on(currency, day, programme)
    return None if rate is None else convert(amount, rate, day)


def convert(amount: Decimal, rate: Rate, day: datetime.date) -> Conversion:
    """Convert an amount at a rate found for a day; a fixed parity is dated the day of the operation."""
    return Conversion(to_euros(amount, rate.rate), rate, rate.valid_from or day)


def reference_rates(programme: Programme) -> QuerySet[ReferenceRate]:
    """The rates a programme's plan items use: its own and the general ones."""
    return ReferenceRate.objects.filter(Q(programme=programme) | Q(programme__isnull=True)).order_by(
        "currency", "-valid_from"
    )


@dataclass(frozen=True)
class BudgetRow:
    """One assistance category: its budget, what plans commit (planned or approved) and what was delivered."""

    category: str
    label: str
    budget: Decimal | None
    planned: Decimal
    delivered: Decimal

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.planned + self.delivered > self.budget


def budget_by_category(programme: Programme) -> list[BudgetRow]:
    """The programme's budget lines beside the plans of its files, in euros, category by category."""
    items = PlanItem.objects.filter(case__programme=programme).order_by()
    planned = dict(
        items.filter(status__in=[ItemStatus.PLANNED, ItemStatus.APPROVED])
        .values_list("category")
        .annotate(total=Sum("planned_amount"))
    )
    delivered = dict(
        items.filter(status=ItemStatus.DELIVERED)
        .values_list("category")
        .annotate(total=Sum(Coalesce("actual_cost", "planned_amount")))
    )
    budgets = dict(programme.budget_lines.values_list("category", "amount"))
    zero = Decimal("0.00")
    return [
        BudgetRow(
            category, str(label), budgets.get(category), planned.get(category) or zero, delivered.get(category) or zero
        )
        for category, label in PlanCategory.choices
        if category in budgets or category in planned or category in delivered
    ]


@dataclass(frozen=True)
class SettingChange:
    """One line of a programme's change history: when, who, which setting, old → new."""

    at: datetime.datetime
    actor: str
    setting: str
    old: str
    new: str


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _display(value: str) -> str:
    """A stored value as the page shows it: dates and numbers in the reader's format."""
    if _ISO_DATE.match(value):
        return date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")
    if _NUMBER.match(value):
        number = Decimal(value)
        places = max(2, -int(number.as_tuple().exponent)) if "." in value else None  # 20000.5 → 20 000,50
        return number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)
    return value


def programme_history(
    programme: Programme, *, label: Callable[[str, str], str], limit: int = 200
) -> list[SettingChange]:
    """The audited changes of a programme's settings and reference rates, newest first, with old → new.

    `label(setting, currency)` names a setting as the page does (the form's labels: programmes.forms).
    """
    rates = {str(pk): code for pk, code in programme.reference_rates.values_list("pk", "currency")}
    events = AuditEvent.objects.filter(
        Q(object_type=Programme._meta.label_lower, object_id=str(programme.pk))
        | Q(object_type=ReferenceRate._meta.label_lower, object_id__in=list(rates))
    ).order_by("-seq")[:limit]
    names = names_by_id(event.actor_id for event in events)
    lines: list[SettingChange] = []
    for event in events:
        actor = names.get(event.actor_id, event.actor_label) if event.actor_id else str(_("System"))
        currency = rates.get(event.object_id, "")
        lines.extend(
            SettingChange(event.at, actor, label(name, currency), _display(old), _display(new))
            for name, old, new in event.changes
        )
    return lines
