"""Forms of return, reintegration and follow-up (shape and input checks only)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from careplus.cases.models import CaseAttachment
from careplus.core.forms import CarePlusForm, DateInput
from careplus.core.money import CENT, MoneyField
from careplus.core.text import validate_person_text
from careplus.programmes.choices import PlanCategory
from careplus.programmes.selectors import Rate, convert, rate_on
from careplus.returns.choices import ArrivalKind, DeliveryMode, VisitMode

if TYPE_CHECKING:
    from careplus.cases.models import Case
    from careplus.programmes.models import Programme
    from careplus.returns.selectors import Question


def _not_future(value: datetime.date | None) -> datetime.date | None:
    if value and value > timezone.localdate():
        raise forms.ValidationError(_("This date cannot be in the future."))
    return value


class DepartureForm(CarePlusForm):
    actual_departure_on = forms.DateField(label=_("Actual departure"), required=False, widget=DateInput())
    arrival_on = forms.DateField(label=_("Arrival"), required=False, widget=DateInput())
    airport = forms.CharField(label=_("Departure airport"), max_length=100, required=False)
    return_file = forms.CharField(label=_("OFII return-assistance file reference"), max_length=100, required=False)
    escort = forms.CharField(label=_("Escort"), max_length=300, required=False, validators=[validate_person_text])
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

    def values(self) -> dict[str, Any]:  # cleaned values, each of its field's type
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class TravelLegForm(CarePlusForm):
    travel_on = forms.DateField(label=_("Date"), widget=DateInput())
    from_place = forms.CharField(label=_("From"), max_length=100)
    to_place = forms.CharField(label=_("To"), max_length=100)
    transit_assistance = forms.BooleanField(label=_("Transit assistance"), required=False)


class ArrivalItemForm(CarePlusForm):
    kind = forms.ChoiceField(label=_("Assistance"), choices=ArrivalKind.choices)
    details = forms.CharField(label=_("Who, where"), max_length=300)
    planned_on = forms.DateField(label=_("Planned on"), widget=DateInput())
    nights = forms.IntegerField(label=_("Nights (shelter)"), min_value=1, max_value=365, required=False)


class DeliveredForm(CarePlusForm):
    delivered_on = forms.DateField(label=_("Delivered on"), widget=DateInput())

    def clean_delivered_on(self) -> datetime.date | None:
        return _not_future(self.cleaned_data["delivered_on"])


class PlanItemForm(CarePlusForm):
    """A plan item. Paid in local currency, its euro amount is computed from the reference rate, never typed."""

    category = forms.ChoiceField(label=_("Category"), choices=PlanCategory.choices)
    description = forms.CharField(label=_("Description"), max_length=500)
    provider = forms.CharField(label=_("Provider"), max_length=200, validators=[validate_person_text])
    delivery_mode = forms.ChoiceField(label=_("In kind or cash"), choices=DeliveryMode.choices)
    local_currency = forms.RegexField(
        label=_("Local currency (ISO code)"),
        regex=r"^[A-Z]{3}$",
        required=False,
        strip=True,
        help_text=_("Leave empty when paid in euros."),
        error_messages={"invalid": _("Enter a three-letter currency code, e.g. NPR.")},
    )
    local_amount = MoneyField(
        label=_("Amount in local currency"), min_value=Decimal("0.01"), max_digits=14, decimal_places=2, required=False
    )
    planned_amount = MoneyField(
        label=_("Planned amount (EUR)"),
        min_value=Decimal("0.01"),
        max_digits=10,
        decimal_places=2,
        required=False,
        help_text=_("Only when paid in euros; otherwise computed from the local amount and the reference rate."),
    )

    def __init__(
        self, *args: Any, programme: Programme | None = None, day: datetime.date | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.programme = programme
        self.day = day or timezone.localdate()
        self.rate: Rate | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        currency = data.get("local_currency") or ""
        if currency == "EUR":
            currency = data["local_currency"] = ""
        if not currency:
            if data.get("local_amount") is not None:
                self.add_error("local_currency", _("Give the currency of the local amount."))
            elif data.get("planned_amount") is None and "planned_amount" not in self.errors:
                self.add_error("planned_amount", _("Give the amount in euros, or the local currency and amount."))
            data.update(exchange_rate=None, rate_date=None, rate_source="", local_amount=None)
            return data
        local_amount = data.get("local_amount")
        if local_amount is None and "local_amount" not in self.errors:
            self.add_error("local_amount", _("Give the amount in %(currency)s.") % {"currency": currency})
        rate = rate_on(currency, self.day, self.programme)
        if rate is None:
            self.add_error(
                "local_currency",
                _(
                    "No reference rate for %(currency)s on %(day)s: a coordinator records it on the programme's "
                    "page (Reference exchange rates). Nothing was saved."
                )
                % {"currency": currency, "day": date_format(self.day, "SHORT_DATE_FORMAT")},
            )
            return data
        if local_amount is None:
            return data
        conversion = convert(local_amount, rate, self.day)
        euros = conversion.euros
        typed = data.get("planned_amount")
        if typed is not None and typed != euros:
            self.add_error(
                "planned_amount",
                _(
                    "The amount in euros is computed from the local amount and the reference rate "
                    "(%(euros)s €); leave this field empty."
                )
                % {"euros": number_format(euros, decimal_pos=2, use_l10n=True, force_grouping=True)},
            )
            return data
        if euros < CENT:
            self.add_error("local_amount", _("This amount is less than one euro cent."))
            return data
        self.rate = rate
        data.update(
            planned_amount=euros,
            exchange_rate=rate.rate,
            rate_date=conversion.rate_date,
            rate_source=rate.source,
        )
        return data


class PlanDeliverForm(CarePlusForm):
    """Delivery of a plan item: what was actually paid, in the item's currency.

    Paid in local currency, the cost is the local amount; the service converts it to euros at the rate of the
    delivery date, as the planned amount was at the rate of its day. Paid in euros, the cost is in euros.
    """

    actual_cost = MoneyField(
        label=_("Actual cost (EUR)"), min_value=Decimal("0"), max_digits=10, decimal_places=2, required=False
    )
    actual_local_cost = MoneyField(
        label=_("Actual cost in local currency"),
        min_value=Decimal("0"),
        max_digits=14,
        decimal_places=2,
        required=False,
        help_text=_("The amount actually paid; converted to euros at the reference rate of the delivery date."),
    )
    delivered_on = forms.DateField(label=_("Delivered on"), widget=DateInput())
    evidence = forms.ModelChoiceField(
        label=_("Evidence (document of the case)"), queryset=CaseAttachment.objects.none(), required=False
    )

    def __init__(self, *args: Any, case: Case | None = None, currency: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        if currency:
            self.fields["actual_local_cost"].label = _("Actual cost (%(currency)s)") % {"currency": currency}
        field: Any = self.fields["evidence"]  # Any: its label_from_instance method is replaced below
        field.queryset = (
            CaseAttachment.objects.filter(case=case).defer("content") if case else CaseAttachment.objects.none()
        )
        field.label_from_instance = lambda obj: obj.created_at.strftime("%d/%m/%Y %H:%M")

    def clean_delivered_on(self) -> datetime.date | None:
        return _not_future(self.cleaned_data["delivered_on"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        euros, local = data.get("actual_cost"), data.get("actual_local_cost")
        if self.currency:
            if euros is not None:
                self.add_error(
                    "actual_cost",
                    _(
                        "This item is paid in %(currency)s: give the amount paid in %(currency)s; "
                        "the amount in euros is computed from it."
                    )
                    % {"currency": self.currency},
                )
            elif local is None and "actual_local_cost" not in self.errors:
                self.add_error(
                    "actual_local_cost", _("Give the amount paid in %(currency)s.") % {"currency": self.currency}
                )
        elif local is not None:
            self.add_error("actual_local_cost", _("This item is paid in euros: give the actual cost in euros."))
        elif euros is None and "actual_cost" not in self.errors:
            self.add_error("actual_cost", _("Give the actual cost in euros."))
        return data


class VersionForm(CarePlusForm):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class CeilingExceptionForm(CarePlusForm):
    new_ceiling = MoneyField(
        label=_("Ceiling allowed for this case (EUR)"), min_value=Decimal("0.01"), max_digits=10, decimal_places=2
    )
    reason = forms.CharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class VisitScheduleForm(CarePlusForm):
    planned_on = forms.DateField(label=_("Planned on"), widget=DateInput())


class VisitMissedForm(CarePlusForm):
    missed_reason = forms.CharField(label=_("Reason the visit was missed"), max_length=300)


class VisitForm(CarePlusForm):
    done_on = forms.DateField(label=_("Date of the visit"), widget=DateInput())
    mode = forms.ChoiceField(label=_("Mode"), choices=VisitMode.choices)
    progress = forms.CharField(
        label=_("Progress on each plan item"), max_length=3000, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(label=_("Notes"), max_length=3000, required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, questionnaire: list[Question], **kwargs: Any) -> None:
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

    def clean_done_on(self) -> datetime.date | None:
        return _not_future(self.cleaned_data["done_on"])

    def answers(self) -> dict[str, str]:
        return {name[2:]: self.cleaned_data[name] for name in self.question_names if self.cleaned_data.get(name)}
