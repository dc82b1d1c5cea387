"""Presentation helpers: masking names in lists, showing erased values."""

from __future__ import annotations

import functools
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.forms import BaseForm, BoundField
from django.utils.formats import get_format, number_format
from django.utils.translation import get_language

from careplus.core.fields import ERASED
from careplus.core.forms import date_format_hint as _date_format_hint

register = template.Library()


@register.filter
def masked(value: object) -> str:
    """Show only the initial of each word of a name (lists mask names by default)."""
    if value is ERASED or value is None:
        return str(ERASED) if value is ERASED else "—"
    words = str(value).split()
    return " ".join(f"{word[0]}." for word in words if word) or "—"


@register.filter
def localnumber(value: object, places: int = 2) -> str:
    """A number as the interface language writes it: `0,88` and `1 634,39` in French.

    Takes numbers and the decimal strings stored in JSON (scores); rounds half-up to `places`.
    """
    if value is None or value == "":
        return "—"
    places = int(places)
    grouped, table = _separators(get_language())
    if grouped and type(value) is int:  # a count: most of a dashboard's figures
        return (f"{value:,}" + ("." + "0" * places if places > 0 else "")).translate(table)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if not number.is_finite():  # NaN, Infinity: no digits to group
        return str(value)
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if not rounded:  # a negative number rounded to zero reads 0, as Django's formatter writes it
        rounded = abs(rounded)
    if not grouped:  # Indian grouping and the like: Django's general formatter
        return number_format(rounded, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{rounded:,.{places}f}".translate(table)


@functools.lru_cache(maxsize=16)
def _separators(language: str | None) -> tuple[bool, dict[int, str]]:
    """Whether the language groups digits by threes, as Python does with "," (then "." its decimal
    point), and the table that writes Python's separators as the language does (Django's formats).
    A dashboard formats dozens of figures: Django's general formatter takes several times as long."""
    decimal = str(get_format("DECIMAL_SEPARATOR", language, use_l10n=True))
    thousands = str(get_format("THOUSAND_SEPARATOR", language, use_l10n=True))
    grouping = get_format("NUMBER_GROUPING", language, use_l10n=True)
    return grouping == 3, {ord(","): thousands, ord("."): decimal}


@register.simple_tag
def date_format_hint() -> str:
    """The expected format of a date, for date inputs written by hand in a template."""
    return _date_format_hint()


@register.filter
def get_item(mapping: object, key: object) -> object:
    """Look a key up in a dictionary (for labels of stored codes)."""
    if isinstance(mapping, dict):
        return mapping.get(key, key)
    return key


@register.filter
def get_field(form: BaseForm, name: str) -> BoundField:
    """Return a bound field of a form by name."""
    return form[name]


BAR_HEIGHT = 20


@register.filter
def bar_height(count: int) -> int:
    """Height of a bar chart with `count` bars."""
    return max(int(count), 1) * BAR_HEIGHT


@register.filter
def bar_y(index: int) -> int:
    return int(index) * BAR_HEIGHT + 3


@register.filter
def bar_width(value: float | Decimal | None, maximum: float | Decimal | None) -> int:
    """Width (0–300) of a bar; a suppressed value draws no bar."""
    if value is None or not maximum:
        return 0
    return round(float(value) / float(maximum) * 300)
