"""Reads on programmes, by the access policy."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from careplus.access.policy import can
from careplus.access.roles import Action
from careplus.core.money import FIXED_PARITY, FIXED_PARITY_SOURCE, to_euros
from careplus.programmes.models import Programme, ReferenceRate


def programmes_for(actor: Any) -> QuerySet[Programme]:
    if can(actor, Action.PROGRAMMES_MANAGE):
        return Programme.objects.order_by("-starts_on")
    return Programme.objects.none()


def programme_of(actor: Any, pk: str) -> Programme | None:
    try:
        return programmes_for(actor).filter(pk=pk).first()
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
