"""Money as people type it: one parser and one form field for every door (pages, imports, API).

Amounts accept the decimal comma and the thousands spaces French writes ("1 234,50"), and the
decimal point ("1234.50"). Conversions to euros are Decimal, rounded half-up to the cent.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
# Currencies whose parity with the euro is fixed by law: local units per euro.
FIXED_PARITY: dict[str, Decimal] = {
    "XAF": Decimal("655.957"),  # franc CFA of Central Africa (BEAC)
    "XOF": Decimal("655.957"),  # franc CFA of West Africa (BCEAO)
    "KMF": Decimal("491.96775"),  # Comorian franc
}
FIXED_PARITY_SOURCE = "parité fixe"

_SPACES = re.compile(r"[\s\u00a0\u202f\u2009']")
_AMOUNT = re.compile(r"^-?\d+(?:[.,]\d+)?$")
# 1,234.50: English grouping, read only when a decimal point follows (a lone "1,234" stays 1,234 as in French).
_GROUPED = re.compile(r"^-?\d{1,3}(?:,\d{3})+\.\d+$")

INVALID_AMOUNT = _("Enter a number.")  # Django's own message, already in every language


def parse_amount(value: object) -> Decimal | None:
    """Read an amount as typed; None when empty. Raise ValidationError when it is not a number."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value))
    text = _SPACES.sub("", str(value))
    if not text:
        return None
    if _GROUPED.match(text):
        text = text.replace(",", "")
    if not _AMOUNT.match(text):
        raise ValidationError(INVALID_AMOUNT, code="invalid")
    try:
        amount = Decimal(text.replace(",", "."))
    except InvalidOperation as error:
        raise ValidationError(INVALID_AMOUNT, code="invalid") from error
    if not amount.is_finite():
        raise ValidationError(INVALID_AMOUNT, code="invalid")
    return amount


def to_euros(local_amount: Decimal, rate: Decimal) -> Decimal:
    """Convert an amount in local currency at a rate given in local units per euro."""
    return (local_amount / rate).quantize(CENT, rounding=ROUND_HALF_UP)


class MoneyField(forms.DecimalField):
    """A DecimalField that reads the decimal comma and thousands spaces, whatever the language."""

    default_error_messages = {"invalid": INVALID_AMOUNT}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("localize", True)
        super().__init__(**kwargs)

    def to_python(self, value: object) -> Any:  # a Decimal or None; the stubs say int | None (IntegerField's)
        if value in self.empty_values:
            return None
        return parse_amount(value)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:  # Django's signature
        attrs = super().widget_attrs(widget)
        attrs["inputmode"] = "decimal"
        attrs.pop("step", None)
        return attrs
