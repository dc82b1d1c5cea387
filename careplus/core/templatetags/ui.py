"""Presentation helpers: masking names in lists, showing erased values."""

from __future__ import annotations

from typing import Any

from django import template

from careplus.core.fields import ERASED

register = template.Library()


@register.filter
def masked(value: Any) -> str:
    """Show only the initial of each word of a name (lists mask names by default)."""
    if value is ERASED or value is None:
        return str(ERASED) if value is ERASED else "—"
    words = str(value).split()
    return " ".join(f"{word[0]}." for word in words if word) or "—"


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """Look a key up in a dictionary (for labels of stored codes)."""
    if isinstance(mapping, dict):
        return mapping.get(key, key)
    return key


@register.filter
def get_field(form: Any, name: str) -> Any:
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
def bar_width(value: Any, maximum: Any) -> int:
    """Width (0–300) of a bar; a suppressed value draws no bar."""
    if value is None or not maximum:
        return 0
    return round(float(value) / float(maximum) * 300)
