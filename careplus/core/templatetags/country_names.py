"""Show a stored country code as the country's name in the interface language."""

from __future__ import annotations

from django import template

from careplus.core.countries import country_name as _country_name

register = template.Library()


@register.filter
def country_name(code: object) -> str:
    """`{{ case.country_of_return|country_name }}` gives « Népal » in French, "Nepal" in English."""
    return _country_name(code) or "—"
