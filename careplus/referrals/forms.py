"""Referral forms: field shapes and input checks; business rules live in services."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django_countries.fields import CountryField

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careplus.accounts.models import Organisation
from careplus.cases.choices import Sex
from careplus.cases.workflow import MAX_AGE
from careplus.core.departements import DepartementField
from careplus.core.forms import CarePlusForm, DateInput
from careplus.core.text import NAME_MAX_CHARS, validate_narrative_text, validate_person_text
from careplus.programmes.models import Programme
from careplus.referrals.choices import (
    Channel,
    DecisionOutcome,
    ExploitationForm,
    IdentificationStatus,
    IdentifyingAuthority,
    ScreeningList,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def _text(
    label: StrOrPromise, *, max_length: int = 150, required: bool = True, help_text: StrOrPromise = ""
) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=max_length, required=required, help_text=help_text, validators=[validate_person_text]
    )


class ReferralForm(CarePlusForm):
    """The referral form used by partners (portal) and coordinators (e-mail, phone)."""

    organisation = forms.ModelChoiceField(label=_("Referring organisation"), queryset=Organisation.objects.none())
    channel = forms.ChoiceField(label=_("Received by"), choices=Channel.choices, initial=Channel.EMAIL)
    received_on = forms.DateField(label=_("Received on"), widget=DateInput(), initial=timezone.localdate)
    referrer_name = _text(_("Referrer (name and position)"))
    referrer_contact = _text(_("Referrer's e-mail or telephone"))
    given_names = _text(_("Given names"), max_length=NAME_MAX_CHARS)
    family_name = _text(_("Family name"), max_length=NAME_MAX_CHARS)
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput())
    estimated_age = forms.IntegerField(
        label=_("Estimated age"),
        required=False,
        min_value=0,
        max_value=MAX_AGE,
        help_text=_("When the date of birth is not known."),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    nationality = CountryField().formfield(label=_("Nationality"))
    languages = _text(_("Languages spoken"), max_length=200, required=False)
    city = _text(_("Place of residence in France (town)"), max_length=100)
    departement = DepartementField(label=_("Département"))  # "973 " typed or pasted is 973
    identification_status = forms.ChoiceField(label=_("Identification"), choices=IdentificationStatus.choices)
    identified_by = forms.ChoiceField(
        label=_("Identified or detected by"),
        choices=[("", "---------"), *IdentifyingAuthority.choices],
        required=False,
    )
    forms_of_exploitation = forms.MultipleChoiceField(
        label=_("Forms of exploitation"),
        choices=ExploitationForm.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    wishes_voluntary_return = forms.ChoiceField(
        label=_("Does the person wish to return voluntarily?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    country_of_return = CountryField().formfield(label=_("Intended country of return"))
    guardian_name = _text(_("Guardian (tuteur / administrateur ad hoc)"), required=False, help_text=_("For a minor."))
    guardian_contact = _text(_("Guardian's contact"), required=False)
    safety_concerns = forms.CharField(
        label=_("Safety concerns"),
        max_length=2000,
        required=False,
        validators=[validate_narrative_text],
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    consent_referral = forms.BooleanField(label=_("The person consents to being referred to the programme."))
    consent_data_processing = forms.BooleanField(label=_("The person consents to the processing of their data."))
    consent_date = forms.DateField(label=_("Date of consent"), widget=DateInput())
    confirm_duplicate = forms.BooleanField(
        label=_("I have checked: send this referral even though a similar one exists."),
        required=False,
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], coordinator: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organisations
        self.single_organisation = None
        if not coordinator:
            del self.fields["channel"]
            del self.fields["received_on"]
            if organisations.count() == 1:
                # A partner of one organisation refers for it; nothing to choose or forge.
                self.single_organisation = organisations.first()
                del self.fields["organisation"]

    def referring_organisation(self) -> Organisation:
        """Return the referring organisation chosen, or the partner's only one."""
        chosen: Organisation | None = self.cleaned_data.get("organisation") or self.single_organisation
        assert chosen is not None  # the field is required unless there is a single organisation
        return chosen

    def clean_date_of_birth(self) -> datetime.date | None:
        value: datetime.date | None = self.cleaned_data.get("date_of_birth")
        today = timezone.localdate()
        if value and value > today:
            raise forms.ValidationError(_("The date of birth cannot be in the future."))
        if value and today.year - value.year > MAX_AGE:
            raise forms.ValidationError(_("This date of birth gives an age over 120 years."))
        return value

    def clean_consent_date(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["consent_date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date of consent cannot be in the future."))
        return value

    def clean_received_on(self) -> datetime.date:
        value: datetime.date = self.cleaned_data["received_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date of receipt cannot be in the future."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # An age or date already refused has its own message: asking for one of them again would contradict it.
        answered = "date_of_birth" in self.errors or "estimated_age" in self.errors
        if not data.get("date_of_birth") and data.get("estimated_age") is None and not answered:
            self.add_error("date_of_birth", _("Give the date of birth or an estimated age."))
        if data.get("identification_status") == IdentificationStatus.IDENTIFIED and not data.get("identified_by"):
            self.add_error("identified_by", _("Say which authority identified the person."))
        return data

    def person(self) -> dict[str, Any]:  # cleaned values, each of its field's type
        """Return the person part of the cleaned data, in model field names."""
        data = self.cleaned_data
        names = [
            "referrer_name",
            "referrer_contact",
            "given_names",
            "family_name",
            "date_of_birth",
            "estimated_age",
            "sex",
            "nationality",
            "languages",
            "city",
            "departement",
            "identification_status",
            "identified_by",
            "forms_of_exploitation",
            "country_of_return",
            "guardian_name",
            "guardian_contact",
            "safety_concerns",
            "consent_referral",
            "consent_data_processing",
            "consent_date",
        ]
        person = {name: data.get(name) for name in names}
        person["departement"] = str(person["departement"]).upper()
        person["wishes_voluntary_return"] = data["wishes_voluntary_return"] == "yes"
        person["identified_by"] = person["identified_by"] or ""
        return person


class ScreeningForm(CarePlusForm):
    indicator_list = forms.ChoiceField(label=_("Indicator list"), choices=ScreeningList.choices)
    indicators = forms.MultipleChoiceField(
        label=_("Indicators present"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, known: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["indicators"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(code, code) for code in known]


class DecisionForm(CarePlusForm):
    outcome = forms.ChoiceField(label=_("Decision"), choices=DecisionOutcome.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Reasons"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    redirected_to = forms.CharField(
        label=_("Redirected to"), max_length=200, required=False, validators=[validate_person_text]
    )
    override_reason = forms.CharField(
        label=_("Reason for accepting despite a failed rule"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    programme = forms.ModelChoiceField(
        label=_("Programme to join"),
        queryset=Programme.objects.order_by("-starts_on"),
        required=False,
        empty_label=_("The referral's programme"),
        help_text=_("On acceptance only: a programme whose period covers today."),
    )
    beyond_target = forms.BooleanField(label=_("I confirm accepting beyond the programme's target"), required=False)
    beyond_target_reason = forms.CharField(
        label=_("Reason for going beyond the target"),
        max_length=2000,
        required=False,
        validators=[validate_narrative_text],
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def keep_acceptance_fields(self, *, programme_choice: bool, beyond_target: bool) -> None:
        """Leave out the programme choice and the beyond-target confirmation when they are not needed."""
        names = {"programme": programme_choice, "beyond_target": beyond_target, "beyond_target_reason": beyond_target}
        for name, needed in names.items():
            if not needed and not self.has_error(name):
                self.fields.pop(name, None)
