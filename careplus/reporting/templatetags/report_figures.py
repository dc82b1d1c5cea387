"""A dashboard or donor-report figure as the language writes it, amounts with their currency.

One formatter (core's `localnumber`) for every number; an amount block's figures are in euros, shown with the
sign in the interface (`1 234,50 €`) and with the ISO code in the donor report (`1 234,50 EUR`).
"""

from __future__ import annotations

from django import template

from careplus.core.templatetags.ui import localnumber

register = template.Library()

# The reporting blocks' amounts are in euros (figures.Block kind "amount").
AMOUNT_CURRENCY = "EUR"


def _number(value: object, kind: str) -> str:
    if kind in {"amount", "score"}:
        return localnumber(value)
    return localnumber(value, 0) if isinstance(value, int) else str(value)


@register.filter
def figure(value: object, kind: str) -> str:
    """A figure on the dashboard: counts grouped, scores with two decimals, amounts in euros with the sign."""
    text = _number(value, kind)
    return f"{text}\u00a0€" if kind == "amount" and value is not None else text


@register.filter
def report_figure(value: object, kind: str) -> str:
    """A figure in the donor report: as on the dashboard, but an amount states its currency's ISO code."""
    text = _number(value, kind)
    return f"{text}\u00a0{AMOUNT_CURRENCY}" if kind == "amount" and value is not None else text
