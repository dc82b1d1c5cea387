"""Programme form (shape and input checks)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careplus.core.forms import CarePlusForm, DateInput
from careplus.core.money import MoneyField
from careplus.core.text import validate_person_text


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
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The end of the period is before its start."))
        return data

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


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
        return str(self.cleaned_data["currency"]).upper()
