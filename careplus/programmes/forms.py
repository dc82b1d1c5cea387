"""Programme form (shape and input checks)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careplus.core.currencies import is_known_currency
from careplus.core.forms import CarePlusForm, DateInput
from careplus.core.money import MoneyField
from careplus.core.templatetags.ui import localnumber
from careplus.core.text import validate_person_text
from careplus.programmes.choices import PlanCategory

if TYPE_CHECKING:
    from careplus.programmes.models import Programme


class ProgrammeForm(CarePlusForm):
    name = forms.CharField(label=_("Name"), max_length=200, validators=[validate_person_text])
    funder = forms.CharField(label=_("Funder"), max_length=200, validators=[validate_person_text])
    co_funders = forms.CharField(
        label=_("Co-funders"), max_length=300, required=False, validators=[validate_person_text]
    )
    starts_on = forms.DateField(label=_("Start of the period"), widget=DateInput())
    ends_on = forms.DateField(label=_("End of the period"), widget=DateInput())
    target_beneficiaries = forms.IntegerField(label=_("Target: beneficiaries assisted"), min_value=0, max_value=100000)
    target_trainings = forms.IntegerField(label=_("Target: trainings held"), min_value=0, max_value=10000)
    target_professionals = forms.IntegerField(label=_("Target: professionals trained"), min_value=0, max_value=1000000)
    budget = MoneyField(label=_("Budget (EUR)"), min_value=Decimal("0"), max_digits=12, decimal_places=2)
    ceiling_per_beneficiary = MoneyField(
        label=_("Ceiling per beneficiary (EUR)"), min_value=Decimal("0"), max_digits=10, decimal_places=2
    )
    currencies = forms.CharField(
        label=_("Currencies used besides the euro"),
        max_length=200,
        required=False,
        help_text=_("ISO codes separated by commas or spaces, e.g. XOF, NPR, TND. Their rates are set by date below."),
    )
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    BUDGET_PREFIX = "budget_"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for category, label in PlanCategory.choices:
            self.fields[self.BUDGET_PREFIX + category] = MoneyField(
                label=_("Budget: %(category)s (EUR)") % {"category": label},
                min_value=Decimal("0"),
                max_digits=12,
                decimal_places=2,
                required=False,
            )

    def budget_fields(self) -> list[forms.BoundField]:
        """The bound fields of the budget by category, shown as their own group."""
        return [self[self.BUDGET_PREFIX + category] for category in PlanCategory.values]

    def setting_fields(self) -> list[forms.BoundField]:
        return [field for field in self if not field.name.startswith(self.BUDGET_PREFIX)]

    def clean_currencies(self) -> list[str]:
        raw = str(self.cleaned_data.get("currencies") or "")
        codes = sorted({code.upper() for code in re.split(r"[\s,;]+", raw) if code})
        unknown = [code for code in codes if not is_known_currency(code)]
        if unknown:
            raise forms.ValidationError(
                _("Unknown currency: %(codes)s. Use ISO codes such as XOF or NPR."),
                params={"codes": ", ".join(unknown)},
            )
        return [code for code in codes if code != "EUR"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The end of the period is before its start."))
        budget = data.get("budget")
        planned = sum((amount for amount in self.budget_lines().values()), Decimal("0"))
        if budget is not None and planned > budget:
            self.add_error(
                "budget",
                _("The budgets by category add up to %(sum)s EUR, more than the programme's budget.")
                % {"sum": localnumber(planned)},
            )
        return data

    def values(self) -> dict[str, Any]:  # cleaned values, each of its field's type
        return {k: v for k, v in self.cleaned_data.items() if k != "version" and not k.startswith(self.BUDGET_PREFIX)}

    def budget_lines(self) -> dict[str, Decimal]:
        lines = {}
        for category in PlanCategory.values:
            amount = self.cleaned_data.get(self.BUDGET_PREFIX + category)
            if amount:
                lines[category] = amount
        return lines

    @classmethod
    def initial_for(cls, programme: Programme) -> dict[str, object]:
        shown = [name for name in cls.base_fields if name not in {"version", "currencies"}]
        initial: dict[str, object] = {name: getattr(programme, name) for name in shown}
        initial["currencies"] = ", ".join(programme.currencies or [])
        initial["version"] = programme.version
        for line in programme.budget_lines.all():
            initial[cls.BUDGET_PREFIX + line.category] = line.amount
        return initial


class ReferenceRateForm(CarePlusForm):
    currency = forms.RegexField(
        label=_("Currency (ISO code)"),
        regex=r"^[A-Z]{3}$",
        strip=True,
        max_length=3,
        error_messages={"invalid": _("Enter a three-letter currency code, e.g. NPR.")},
    )
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput())
    rate = MoneyField(
        label=_("Rate (local units for 1 EUR)"), min_value=Decimal("0.000001"), max_digits=14, decimal_places=6
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=200,
        help_text=_("Where the rate comes from, e.g. the funder's monthly rate or the central bank."),
    )

    def clean_currency(self) -> str:
        code = str(self.cleaned_data["currency"]).upper()
        if not is_known_currency(code):
            raise forms.ValidationError(
                _("Unknown currency: %(codes)s. Use ISO codes such as XOF or NPR."), params={"codes": code}
            )
        return code


def setting_label(name: str, currency: str = "") -> str:
    """Name a programme setting (or a reference rate's, given its currency) as the programme page does."""
    if name.startswith("budget_line."):
        category = name.removeprefix("budget_line.")
        return str(_("Budget: %(category)s (EUR)") % {"category": dict(PlanCategory.choices).get(category, category)})
    if currency:
        labels = {"rate": _("Reference rate %(currency)s"), "source": _("Source of the rate %(currency)s")}
        if name in labels:
            return str(labels[name] % {"currency": currency})
        if name == "valid_from":
            return str(_("Rate %(currency)s valid from") % {"currency": currency})
        if name == "currency":
            return str(_("New reference rate"))
    field = ProgrammeForm.base_fields.get(name)
    return str(field.label) if field is not None and field.label else name
