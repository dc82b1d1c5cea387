"""The search form: one field, sent by POST."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from careplus.core.forms import CarePlusForm
from careplus.search.selectors import QUERY_MAX_LENGTH


class SearchForm(CarePlusForm):
    q = forms.CharField(
        label=_("Case number, referral reference or exact name"),
        max_length=QUERY_MAX_LENGTH,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True, "autocomplete": "off"}),
    )
