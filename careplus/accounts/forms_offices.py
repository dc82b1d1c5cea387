"""Forms of the office and partner organisation screens: shapes and field checks only."""

from __future__ import annotations

from typing import Any

from django_countries.fields import CountryField

from django import forms
from django.utils.translation import gettext_lazy as _

from careplus.accounts.choices import Language, OfficeKind, OrganisationType
from careplus.accounts.offices import (
    OFFICE_CODE_MESSAGE,
    TIME_ZONE_MESSAGE,
    normalise_office_code,
    time_zones,
    validate_office_code,
)
from careplus.core.departements import DepartementField
from careplus.core.forms import CarePlusForm


def time_zone_choices() -> list[tuple[str, str]]:
    return [("", "---------"), *((zone, zone) for zone in sorted(time_zones()))]


class OfficeCodeField(forms.CharField):
    """An office code: trimmed, upper-cased, then checked."""

    default_error_messages = {"invalid": OFFICE_CODE_MESSAGE}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.append(validate_office_code)

    def to_python(self, value: object) -> str:
        return normalise_office_code(super().to_python(value))


class OfficeForm(CarePlusForm):
    name = forms.CharField(label=_("Name"), max_length=120, help_text=_("E.g. CARE+ Dakar office."))
    code = OfficeCodeField(
        label=_("Code"), help_text=_("2 to 10 letters, digits or hyphens, unique; e.g. DKR."), max_length=20
    )
    country = CountryField().formfield(label=_("Country"))
    city = forms.CharField(label=_("City"), max_length=120)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("Dates and times are shown in it to the office's caseworkers, e.g. Africa/Dakar."),
        error_messages={"invalid_choice": TIME_ZONE_MESSAGE},
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=OfficeKind.choices, initial=OfficeKind.RETURN_COUNTRY)
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class OrganisationForm(CarePlusForm):
    name = forms.CharField(label=_("Name"), max_length=200, help_text=_("E.g. Police station of Lyon 7th."))
    type = forms.ChoiceField(
        label=_("Type"),
        choices=[("", "---------"), *OrganisationType.choices],
        error_messages={"required": _("Choose the type of organisation.")},
    )
    departement = DepartementField(label=_("Département"))
    version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)


class PartnerInviteForm(CarePlusForm):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices, initial=Language.FRENCH)
    # Checked by the service (step-up before a role is granted).
    code = forms.CharField(
        label=_("Authenticator code"),
        max_length=16,
        required=False,
        help_text=_("Granting a role asks for your second factor again."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )
