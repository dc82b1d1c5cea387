"""The upload form of the import of existing files."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from careplus.core.forms import CarePlusForm


class CaseImportForm(CarePlusForm):
    sheet = forms.FileField(label=_("Completed template (XLSX, 2 MB at most)"))
