"""Programme form (shape and input checks)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careplus.core.forms import DateInput


class ProgrammeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    funder = forms.CharField(label=_("Funder"), max_length=200)
    co_funders = forms.CharField(label=_("Co-funders"), max_length=300, required=False)
    starts_on = forms.DateField(label=_("Start of the period"), widget=DateInput())
    ends_on = forms.DateField(label=_("End of the period"), widget=DateInput())
    target_beneficiaries = forms.IntegerField(label=_("Target: beneficiaries assisted"), min_value=0, max_value=100000)
    target_trainings = forms.IntegerField(label=_("Target: trainings held"), min_value=0, max_value=10000)
    target_professionals = forms.IntegerField(label=_("Target: professionals trained"), min_value=0, max_value=1000000)
    budget = forms.DecimalField(label=_("Budget (EUR)"), min_value=Decimal("0"), max_digits=12, decimal_places=2)
    ceiling_per_beneficiary = forms.DecimalField(
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
