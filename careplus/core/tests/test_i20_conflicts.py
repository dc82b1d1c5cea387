"""Issue 20, point 4: the conflict helper compares what the user sees, field by field."""

from __future__ import annotations

import datetime

from django import forms
from django.http import QueryDict
from django.utils import translation

from careplus.cases.forms import BestInterestsForm
from careplus.core import conflicts


class _Form(forms.Form):
    on = forms.DateField(label="Date", required=False)
    fit = forms.BooleanField(label="Fit", required=False)
    note = forms.CharField(label="Note", required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


def _bound(form_class: type[forms.Form], **values: str) -> forms.Form:
    data = QueryDict(mutable=True)
    data.update(values)
    form = form_class(data)
    assert form.is_valid(), form.errors
    return form


def test_i20_p04_differences_show_local_dates_yes_no_and_skip_equal_and_hidden_fields() -> None:
    form = _bound(_Form, on="2027-03-04", fit="on", note="mine ", version="3")
    current = {"on": datetime.date(2027, 3, 5), "fit": False, "note": "mine", "version": 4}
    with translation.override("fr"):
        found = conflicts.differences(form, current)
    assert [(d.label, d.theirs, d.mine) for d in found] == [("Date", "05/03/2027", "04/03/2027"), ("Fit", "Non", "Oui")]


def test_i20_p04_a_coerced_choice_is_compared_as_the_user_chose_it() -> None:
    values = {"participants": "Panel", "reasoning": "Raisons", "return_in_best_interests": "yes"}
    form = _bound(BestInterestsForm, **values)
    same = {**values, "version": 2}
    assert conflicts.differences(form, same) == []
    with translation.override("fr"):
        found = conflicts.differences(form, {**same, "return_in_best_interests": "no"})
    assert [(d.name, d.theirs, d.mine) for d in found] == [("return_in_best_interests", "Non", "Oui")]


def test_i20_p04_reopen_keeps_the_input_and_carries_the_saved_version() -> None:
    form = _bound(_Form, note="my text", version="3")
    merged, found = conflicts.reopen(form, _Form, {"note": "their text", "version": 7}, "conflict")
    assert merged["note"].value() == "my text"
    assert merged["version"].value() == "7"
    assert merged.non_field_errors() == ["conflict"]
    assert [(d.theirs, d.mine) for d in found] == [("their text", "my text")]
