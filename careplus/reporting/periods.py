"""Reporting periods: whole programme, semesters, months, or an explicit range."""

from __future__ import annotations

import calendar
import datetime
import functools
from dataclasses import dataclass

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from careplus.programmes.models import Programme

# A period is asked for within these dates: beyond them the date arithmetic of the figures overflows.
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2100, 12, 31)


def range_errors(start: datetime.date | None, end: datetime.date | None) -> dict[str, str]:
    """Return a message per field ("start", "end") for a range that cannot be reported on."""
    errors: dict[str, str] = {}
    bounds = {"earliest": EARLIEST.strftime("%d/%m/%Y"), "latest": LATEST.strftime("%d/%m/%Y")}
    for name, value in (("start", start), ("end", end)):
        if value is not None and not EARLIEST <= value <= LATEST:
            errors[name] = _("Enter a date from %(earliest)s to %(latest)s.") % bounds
    if not errors and start and end and start > end:
        errors["end"] = _("The end of the period is before its start.")
    return errors


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    start: datetime.date
    end: datetime.date


def _month_end(year: int, month: int) -> datetime.date:
    return datetime.date(year, month, calendar.monthrange(year, month)[1])


def choices(programme: Programme) -> list[Period]:
    """Return the periods offered for a programme: whole period, semesters, months."""
    return list(_choices(programme.starts_on, programme.ends_on, get_language()))


@functools.lru_cache(maxsize=64)
def _choices(starts_on: datetime.date, ends_on: datetime.date, _language: str | None) -> tuple[Period, ...]:
    """The periods between two dates, labelled in the active language (the cache's key): the dashboard
    lists over a hundred of them on every request."""
    periods = [Period("all", _("Whole programme period"), starts_on, ends_on)]
    for year in range(starts_on.year, ends_on.year + 1):
        for half, (first, last) in enumerate(((1, 6), (7, 12)), start=1):
            start, end = datetime.date(year, first, 1), _month_end(year, last)
            if end >= starts_on and start <= ends_on:
                label = _("First semester %(year)d") if half == 1 else _("Second semester %(year)d")
                periods.append(Period(f"{year}-S{half}", label % {"year": year}, start, end))
    year, month = starts_on.year, starts_on.month
    while datetime.date(year, month, 1) <= ends_on:
        start = datetime.date(year, month, 1)
        periods.append(Period(f"{year}-{month:02d}", start.strftime("%m/%Y"), start, _month_end(year, month)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return tuple(periods)


def resolve(
    programme: Programme, key: str, start: datetime.date | None = None, end: datetime.date | None = None
) -> Period:
    """Return the period asked for; an explicit range wins over a named period (checked by range_errors)."""
    if start or end:
        first = start or programme.starts_on
        last = end or programme.ends_on
        return Period(
            "custom",
            _("From %(start)s to %(end)s") % {"start": first.strftime("%d/%m/%Y"), "end": last.strftime("%d/%m/%Y")},
            first,
            last,
        )
    for period in choices(programme):
        if period.key == key:
            return period
    return choices(programme)[0]
