"""Forms of return, reintegration and follow-up (shape and input checks only)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careplus.cases.models import CaseAttachment
from careplus.core.forms import DateInput
from careplus.returns.choices import ArrivalKind, DeliveryMode, PlanCategory, VisitMode


def _not_future(value: Any) -> Any:
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("This date cannot be in the future."))
    return value


class DepartureForm(forms.Form):
    actual_departure_on = forms.DateField(label=_("Actual departure"), required=False, widget=DateInput())
    arrival_on = forms.DateField(label=_("Arrival"), required=False, widget=DateInput())
    airport = forms.CharField(label=_("Departure airport"), max_length=100, required=False)
    return_file = forms.CharField(label=_("OFII return-assistance file reference"), max_length=100, required=False)
    escort = forms.CharField(label=_("Escort"), max_length=300, required=False)
    fit_to_travel = forms.BooleanField(label=_("Fit to travel"), required=False)
    wish_reconfirmed_on = forms.DateField(
        label=_("Return wish reconfirmed on"),
        required=False,
        widget=DateInput(),
        help_text=_("No earlier than 7 days before departure; recorded in your name."),
    )
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        departure, arrival = data.get("actual_departure_on"), data.get("arrival_on")
        if departure and arrival and arrival < departure:
            self.add_error("arrival_on", _("The arrival date cannot be before the departure date."))
        return data

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class TravelLegForm(forms.Form):
    travel_on = forms.DateField(label=_("Date"), widget=DateInput())
    from_place = forms.CharField(label=_("From"), max_length=100)
    to_place = forms.CharField(label=_("To"), max_length=100)
    transit_assistance = forms.BooleanField(label=_("Transit assistance"), required=False)


class ArrivalItemForm(forms.Form):
    kind = forms.ChoiceField(label=_("Assistance"), choices=ArrivalKind.choices)
    details = forms.CharField(label=_("Who, where"), max_length=300)
    planned_on = forms.DateField(label=_("Planned on"), widget=DateInput())
    nights = forms.IntegerField(label=_("Nights (shelter)"), min_value=1, max_value=365, required=False)


class DeliveredForm(forms.Form):
    delivered_on = forms.DateField(label=_("Delivered on"), widget=DateInput())

    def clean_delivered_on(self) -> Any:
        return _not_future(self.cleaned_data["delivered_on"])


class PlanItemForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=PlanCategory.choices)
    description = forms.CharField(label=_("Description"), max_length=500)
    provider = forms.CharField(label=_("Provider"), max_length=200)
    delivery_mode = forms.ChoiceField(label=_("In kind or cash"), choices=DeliveryMode.choices)
    planned_amount = forms.DecimalField(
        label=_("Planned amount (EUR)"), min_value=Decimal("0.01"), max_digits=10, decimal_places=2
    )
    local_currency = forms.RegexField(
        label=_("Local currency (ISO code)"),
        regex=r"^[A-Z]{3}$",
        required=False,
        error_messages={"invalid": _("Enter a three-letter currency code, e.g. NPR.")},
    )
    local_amount = forms.DecimalField(
        label=_("Amount in local currency"), min_value=Decimal("0"), max_digits=14, decimal_places=2, required=False
    )
    exchange_rate = forms.DecimalField(
        label=_("Exchange rate (local per EUR)"),
        min_value=Decimal("0.000001"),
        max_digits=14,
        decimal_places=6,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        local = [data.get("local_currency"), data.get("local_amount"), data.get("exchange_rate")]
        if any(v not in (None, "") for v in local) and not all(v not in (None, "") for v in local):
            self.add_error(
                "local_currency", _("When paid locally, give the currency, the local amount and the exchange rate.")
            )
        return data


class PlanDeliverForm(forms.Form):
    actual_cost = forms.DecimalField(
        label=_("Actual cost (EUR)"), min_value=Decimal("0"), max_digits=10, decimal_places=2
    )
    delivered_on = forms.DateField(label=_("Delivered on"), widget=DateInput())
    evidence = forms.ModelChoiceField(
        label=_("Evidence (document of the case)"), queryset=CaseAttachment.objects.none(), required=False
    )

    def __init__(self, *args: Any, case: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["evidence"]
        field.queryset = (
            CaseAttachment.objects.filter(case=case).defer("content") if case else CaseAttachment.objects.none()
        )
        field.label_from_instance = lambda obj: obj.created_at.strftime("%d/%m/%Y %H:%M")

    def clean_delivered_on(self) -> Any:
        return _not_future(self.cleaned_data["delivered_on"])


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class CeilingExceptionForm(forms.Form):
    new_ceiling = forms.DecimalField(
        label=_("Ceiling allowed for this case (EUR)"), min_value=Decimal("0.01"), max_digits=10, decimal_places=2
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class VisitScheduleForm(forms.Form):
    planned_on = forms.DateField(label=_("Planned on"), widget=DateInput())


class VisitMissedForm(forms.Form):
    missed_reason = forms.CharField(label=_("Reason the visit was missed"), max_length=300)


class VisitForm(forms.Form):
    done_on = forms.DateField(label=_("Date of the visit"), widget=DateInput())
    mode = forms.ChoiceField(label=_("Mode"), choices=VisitMode.choices)
    progress = forms.CharField(
        label=_("Progress on each plan item"), max_length=3000, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(label=_("Notes"), max_length=3000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, questionnaire: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.question_names = []
        for question in questionnaire:
            name = f"q_{question['code']}"
            self.question_names.append(name)
            self.fields[name] = forms.ChoiceField(
                label=question["label"],
                choices=[("", _("Not answered")), *[(o["code"], o["label"]) for o in question["options"]]],
                required=False,
            )

    def clean_done_on(self) -> Any:
        return _not_future(self.cleaned_data["done_on"])

    def answers(self) -> dict[str, str]:
        return {name[2:]: self.cleaned_data[name] for name in self.question_names if self.cleaned_data.get(name)}
