"""A dashboard or donor-report figure as the language writes it, amounts with their currency.

One formatter (core's `localnumber`) for every number; an amount block's figures are in euros, shown with the
sign in the interface (`1 234,50 €`) and with the ISO code in the donor report (`1 234,50 EUR`).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import TYPE_CHECKING

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from careplus.core.templatetags.ui import bar_height, bar_width, bar_y, localnumber

if TYPE_CHECKING:
    from careplus.reporting.figures import Block
    from careplus.reporting.periods import Period

register = template.Library()

# The reporting blocks' amounts are in euros (figures.Block kind "amount").
AMOUNT_CURRENCY = "EUR"


def _number(value: object, kind: str) -> str:
    # A score block's total counts the visits done (an int); its rows are averages with two decimals.
    if kind == "amount" or (kind == "score" and not isinstance(value, int)):
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


# The dashboard's repeated markup, written in Python: a programme of ten years offers 141 periods,
# and its blocks hold a hundred rows; through the template engine they cost more than the figures.


@register.simple_tag
def period_options(periods: Iterable[Period], selected: str) -> SafeString:
    """The <option>s of the period selector, the one shown selected."""
    return mark_safe(  # noqa: S308 - every value escaped
        "".join(
            f'<option value="{escape(p.key)}"{" selected" if p.key == selected else ""}>{escape(str(p.label))}</option>'
            for p in periods
        )
    )


@register.simple_tag
def block_chart(block: Block, k: int) -> SafeString:
    """A block's bar chart (SVG, no script) and its table of figures; a withheld cell reads "< k"."""
    rows = list(block.rows)
    height = bar_height(len(rows))
    maximum = block.max_value
    title = escape(str(block.title))
    bars = "".join(
        f'<rect x="0" y="{bar_y(index)}" height="14" width="{bar_width(value, maximum)}" fill="#0b4f8a"/>'
        for index, (_label, value) in enumerate(rows)
    )
    cells = "".join(
        f'<tr><th scope="row">{escape(str(label))}</th>'
        f"<td>{escape(f'< {k}' if value is None else figure(value, block.kind))}</td></tr>"
        for label, value in rows
    )
    return mark_safe(  # noqa: S308 - every value escaped
        f'<svg class="bars" role="img" aria-label="{title}" viewBox="0 0 300 {height}" width="300" height="{height}">'
        f"{bars}</svg>"
        f'<table class="table table--compact"><tbody>{cells}</tbody></table>'
    )


@register.simple_tag
def block_section(block: Block, k: int) -> SafeString:
    """A block of the dashboard: its title, its total against its target, then its chart, or why
    there is none (withheld under k, or nothing in the period)."""
    key, title = escape(block.key), escape(str(block.title))
    target = "" if block.target is None else f" · {escape(_('target'))} {escape(figure(block.target, block.kind))}"
    body: str
    if block.rows:
        body = block_chart(block, k)
    elif block.suppressed:
        withheld = _("Breakdown withheld: too few cases to publish it without re-identifying anyone.")
        body = f"<p>{escape(withheld)}</p>"
    else:
        body = f"<p>{escape(_('Nothing in this period.'))}</p>"
    return mark_safe(  # noqa: S308 - every value escaped
        f'<section class="card block" id="bloc-{key}" aria-labelledby="t-{key}"><h2 id="t-{key}">{title}</h2>'
        f"<p><strong>{escape(_('Total'))} : {escape(figure(block.total, block.kind))}</strong>{target}</p>"
        f"{body}</section>"
    )
