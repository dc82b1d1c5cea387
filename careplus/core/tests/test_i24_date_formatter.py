"""The lists' rows write dates with `core.dates.formatter`: exactly what Django's `dateformat.format`
writes, in French and in English, for every value."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from django.utils import translation
from django.utils.dateformat import format as django_format
from django.utils.formats import get_format

from careplus.core.dates import formatter

VALUES = [
    datetime.datetime(2026, 12, 2, 9, 5, 7, tzinfo=datetime.UTC),
    datetime.datetime(1999, 1, 31, 23, 59, 0, tzinfo=datetime.UTC),
    datetime.datetime(5, 3, 4, 0, 0, 0, tzinfo=datetime.UTC),  # a year of one digit: Django writes four
    datetime.datetime(2026, 6, 1, 12, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Kathmandu")),
]
DATE_FORMATS = ["d/m/Y", "Y-m-d", "j.n.Y", "{d}", "j F Y", "d \\d\\e m", "D d M"]
DATETIME_FORMATS = ["d/m/Y H:i", "j.n.Y G:i:s", "m/d/Y P", "Y-m-d H:i:s"]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_format_writes_what_django_writes(language: str) -> None:
    with translation.override(language):
        for format_string in [*DATE_FORMATS, *DATETIME_FORMATS, get_format("SHORT_DATETIME_FORMAT")]:
            for value in VALUES:
                assert formatter(format_string)(value) == django_format(value, format_string), format_string
        for format_string in [*DATE_FORMATS, get_format("SHORT_DATE_FORMAT")]:
            for value in VALUES:
                day = value.date()
                assert formatter(format_string)(day) == django_format(day, format_string), format_string


def test_a_month_name_stays_in_the_active_language() -> None:
    with translation.override("fr"):
        assert formatter("j F Y")(datetime.date(2026, 12, 2)) == "2 décembre 2026"
    with translation.override("en"):
        assert formatter("j F Y")(datetime.date(2026, 12, 2)) == "2 December 2026"
