"""The dashboard's period filter (shape and range checks)."""

from __future__ import annotations

from typing import Any

from django import forms

from careplus.core.forms import CarePlusForm
from careplus.reporting import periods


class PeriodForm(CarePlusForm):
    """Start and end of an explicit range; both optional, each within the reportable dates."""

    start = forms.DateField(required=False)
    end = forms.DateField(required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, message in periods.range_errors(cleaned.get("start"), cleaned.get("end")).items():
            self.add_error(name, message)
        return cleaned
