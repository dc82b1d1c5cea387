"""The search form: one field, sent by POST."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Case number, referral reference or exact name"),
        max_length=100,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True, "autocomplete": "off"}),
    )

    def clean_q(self) -> str:
        value: str = self.cleaned_data.get("q", "")
        return value[:100]
