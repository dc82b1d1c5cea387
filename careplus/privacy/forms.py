"""Forms of the data-subject requests."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careplus.core.forms import CarePlusForm


class ErasureRequestForm(CarePlusForm):
    reference = forms.CharField(
        label=_("Case or referral number"),
        max_length=20,
        help_text=_("For example CARE-2024-001, or ORI-2024-0001 for a referral that never became a case file."),
    )
    reason = forms.CharField(
        label=_("Reason for the erasure"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The person's request and its date. Do not write the person's name: the request is kept."),
    )


class ErasureApproveForm(CarePlusForm):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    # Checked by the service, which asks for it on every approval (step-up).
    code = forms.CharField(
        label=_("Authenticator code"),
        max_length=16,
        required=False,
        help_text=_("Approving an erasure asks for your second factor again."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


class ErasureRefuseForm(CarePlusForm):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason for the refusal"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Do not write the person's name."),
    )


class AccessOpenForm(CarePlusForm):
    """Open a person's file for an access request (GDPR art. 15): number, reason, fresh second factor."""

    reference = forms.CharField(
        label=_("Case or referral number"), max_length=20, help_text=_("For example CARE-2024-001 or ORI-2024-0001.")
    )
    reason = forms.CharField(
        label=_("Reason for opening the file"),
        min_length=5,
        max_length=500,
        help_text=_("The person's request and its date. It is printed on the copy and kept with each reading."),
    )
    code = forms.CharField(
        label=_("Authenticator code"),
        max_length=16,
        required=False,
        help_text=_("Opening a person's file asks for your second factor again."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


REVIEW_CHOICES = [("release", _("Release")), ("redact", _("Hide"))]


class AccessReviewForm(CarePlusForm):
    """One decision per flagged value (release or hide), each required; a code when the first one is old."""

    def __init__(self, *args: Any, items: list[tuple[str, str]], needs_code: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in items:
            self.fields[name] = forms.ChoiceField(
                label=label,
                choices=REVIEW_CHOICES,
                widget=forms.RadioSelect,
                error_messages={"required": _("Decide whether to release or hide this value.")},
            )
        if needs_code:
            self.fields["code"] = forms.CharField(
                label=_("Authenticator code"),
                max_length=16,
                required=False,
                help_text=_("More than five minutes have passed: give your second factor again to download."),
                widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
            )
