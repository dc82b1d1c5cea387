"""`localnumber` writes a number exactly as Django's `number_format` does (rounded half up, grouped),
in French and in English and in a language grouping otherwise, for every kind of value it is given;
it only takes a quicker way for the languages that group digits by threes."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal

import pytest

from django.utils import translation
from django.utils.formats import number_format

from careplus.core.templatetags.ui import localnumber

GENERATOR = random.Random(24)
VALUES: list[object] = [
    0,
    1,
    -1,
    999,
    1000,
    -1000,
    1_234_567,
    10**20 + 1,  # beyond a float's exact integers
    -(10**15),
    Decimal("0.005"),
    Decimal("-0.005"),  # rounds to zero: written 0, without a sign
    Decimal("-0"),
    Decimal("1634.385"),
    Decimal("1E+5"),
    Decimal("1E-10"),
    0.88,
    -1234.5,
    "0.8750",  # a score as JSON stores it
    "-12345.675",
    *(GENERATOR.uniform(-1e9, 1e9) for _ in range(300)),
    *(GENERATOR.randint(-(10**12), 10**12) for _ in range(300)),
]


def _django(value: object, places: int) -> str:
    number = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return number_format(number, decimal_pos=places, use_l10n=True, force_grouping=True)


@pytest.mark.parametrize("language", ["fr", "en", "zh-hans"])  # zh-hans groups by fours
def test_every_value_is_written_as_django_writes_it(language: str) -> None:
    with translation.override(language):
        for places in (0, 2, 4):
            for value in VALUES:
                assert localnumber(value, places) == _django(value, places), (value, places)


def test_french_groups_with_a_non_breaking_space_and_writes_a_decimal_comma() -> None:
    with translation.override("fr"):
        assert localnumber(1_234_567) == "1\u00a0234\u00a0567,00"
        assert localnumber(Decimal("1634.385")) == "1\u00a0634,39"
        assert localnumber(-1000, 0) == "-1\u00a0000"
    with translation.override("en"):
        assert localnumber(1_234_567) == "1,234,567.00"


def test_what_is_not_a_finite_number_is_shown_as_given() -> None:
    with translation.override("fr"):
        assert localnumber(None) == "—"
        assert localnumber("") == "—"
        assert localnumber("abc") == "abc"
        assert localnumber(Decimal("NaN")) == "NaN"
        assert localnumber(float("inf")) == "inf"
        assert localnumber(True) == "True"  # a yes/no is not counted as 1
