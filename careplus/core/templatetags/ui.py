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
