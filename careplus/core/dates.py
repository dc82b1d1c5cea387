"""Calendar arithmetic (follow-up schedules, import checks, synthetic data) and dates as lists show them."""

from __future__ import annotations

import calendar
import datetime
import functools
from collections.abc import Callable

from django.utils.dateformat import format as django_format

# Django's format characters that are a bare number of the date or time, as str.format writes them
# (the same digits as `django.utils.dateformat`: "d" two digits, "j" as is, "Y" four...).
_NUMBERS = {
    "d": "{0.day:02d}",
    "j": "{0.day}",
    "m": "{0.month:02d}",
    "n": "{0.month}",
    "Y": "{0.year:04d}",
    "H": "{0.hour:02d}",
    "G": "{0.hour}",
    "i": "{0.minute:02d}",
    "s": "{0.second:02d}",
}


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Return the same day `months` later, clamped to the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last))


@functools.lru_cache(maxsize=32)
def formatter(format_string: str) -> Callable[[datetime.date], str]:
    """Django's `dateformat.format` for one format, prepared once for the rows of a list.

    A format of bare numbers and separators (the short formats: "d/m/Y H:i") becomes one
    `str.format` call, several times quicker per row; any other (a month's name, "P", an escape)
    is left to Django. The value is written as it is: localise a datetime first.
    """
    parts = []
    for char in format_string:
        if char in _NUMBERS:
            parts.append(_NUMBERS[char])
        elif char.isalpha() or char == "\\":
            return functools.partial(django_format, format_string=format_string)
        else:
            parts.append(char.replace("{", "{{").replace("}", "}}"))
    return "".join(parts).format
