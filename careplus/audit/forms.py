"""Search form of the audit log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careplus.audit.choices import AuditAction
from careplus.core.forms import CarePlusForm, DateInput


class AuditSearchForm(CarePlusForm):
    actor = forms.CharField(label=_("Actor (e-mail)"), max_length=254, required=False)
    object_type = forms.CharField(label=_("Object type"), max_length=40, required=False)
    object_id = forms.CharField(label=_("Object id"), max_length=64, required=False)
    action = forms.ChoiceField(
        label=_("Action"), choices=[("", _("All actions")), *AuditAction.choices], required=False
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period is before its start."))
        return data


class StepUpForm(CarePlusForm):
    token = forms.CharField(
        label=_("Authenticator code"),
        min_length=6,
        max_length=16,
        help_text=_("A bulk export asks for your second factor again."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )
