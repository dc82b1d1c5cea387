"""Forms of the account screens: shape and field-level checks only."""

from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from careplus.access.roles import Role
from careplus.accounts.choices import Language
from careplus.accounts.models import Office, Organisation
from careplus.core.forms import CarePlusForm
from careplus.core.text import validate_person_text


class LoginForm(CarePlusForm, AuthenticationForm):
    unchecked_text_fields = frozenset({"password"})  # a secret, never shown: checked against its hash only

    username = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    error_messages = {
        "invalid_login": _("Incorrect e-mail address or password."),
        "inactive": _("Incorrect e-mail address or password."),
    }


class SecondFactorForm(CarePlusForm):
    token = forms.CharField(
        label=_("Code"),
        min_length=6,
        max_length=16,
        help_text=_("The 6-digit code of your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )


class EnrolmentForm(CarePlusForm):
    token = forms.RegexField(
        label=_("Code shown by the app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6 digits shown by your authenticator app.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class UserCreateForm(CarePlusForm):
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    full_name = forms.CharField(label=_("Full name"), max_length=150, validators=[validate_person_text])
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices, initial=Language.FRENCH)


class UserSearchForm(CarePlusForm):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=[("", _("All roles")), *Role.choices], required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All")), ("active", _("Active")), ("inactive", _("Deactivated"))],
        required=False,
    )


class RoleGrantForm(CarePlusForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    office = forms.ModelChoiceField(
        label=_("Office"),
        queryset=Office.objects.filter(active=True),
        required=False,
        help_text=_("Required for a caseworker."),
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.filter(active=True),
        required=False,
        help_text=_("Required for a partner."),
    )
    # Checked by the service, which asks for it on every grant (step-up).
    code = forms.CharField(
        label=_("Authenticator code"),
        max_length=16,
        required=False,
        help_text=_("Granting a role asks for your second factor again."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


class VersionForm(CarePlusForm):
    """The version of the record the user saw, for actions that change it."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ApiTokenForm(CarePlusForm):
    name = forms.CharField(
        label=_("Name of the token"),
        max_length=80,
        validators=[validate_person_text],
        help_text=_("Say which system will use it, e.g. our case system."),
    )
    days = forms.TypedChoiceField(
        label=_("Valid for"),
        coerce=int,
        choices=[(30, _("30 days")), (90, _("90 days")), (180, _("180 days")), (365, _("365 days"))],
        initial=90,
    )
    code = forms.CharField(
        label=_("Authenticator code"),
        min_length=6,
        max_length=16,
        help_text=_("Creating a token asks for your second factor again."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


class RecoveryCodesForm(CarePlusForm):
    code = forms.CharField(
        label=_("Authenticator code"),
        max_length=16,
        required=False,
        help_text=_("New recovery codes ask for your second factor again."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )
