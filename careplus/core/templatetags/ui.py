"""Presentation helpers: masking names in lists, showing erased values."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.forms import BaseForm, BoundField
from django.utils.formats import number_format

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
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    rounded = number.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    return number_format(rounded, decimal_pos=int(places), use_l10n=True, force_grouping=True)


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
