"""Issue 20, point 1: every text field of every form and serializer gets the one text check.

Every module of the project is imported, every form class and every DRF serializer found, and each text
field checked: multi-line text (a text area, a serializer field marked MULTILINE) by
``validate_narrative_text``, any other text by ``validate_person_text``. A new field is covered without
being listed; the only way out is a form's ``unchecked_text_fields``, kept for passwords.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

from rest_framework import serializers

from django import forms

import careplus
from careplus.api.serializers.common import MULTILINE, CarePlusSerializer
from careplus.core.forms import CarePlusForm
from careplus.core.text import validate_narrative_text, validate_person_text

TEXT_CHECKS = (validate_person_text, validate_narrative_text)


def _import_everything() -> None:
    for module in pkgutil.walk_packages(careplus.__path__, prefix="careplus."):
        if ".tests" in module.name or ".migrations" in module.name:
            continue
        importlib.import_module(module.name)


def _subclasses(base: type) -> Iterator[type]:
    for cls in base.__subclasses__():
        yield cls
        yield from _subclasses(cls)


def _project_classes(base: type) -> list[type]:
    _import_everything()
    found = {
        cls
        for cls in _subclasses(base)
        if cls.__module__.startswith("careplus.") and ".tests." not in cls.__module__  # not a test's own form
    }
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _checks_of(validators: list[Any]) -> list[Any]:
    return [v for v in validators if v in TEXT_CHECKS]


# --- forms ----------------------------------------------------------------------------------------------


def test_i20_p01_every_form_of_the_project_is_a_careplus_form() -> None:
    form_classes = _project_classes(forms.BaseForm)
    assert len(form_classes) > 40, "the walk found too few forms"
    # A CarePlusForm also checks the text fields its __init__ adds or changes.
    assert [_name(cls) for cls in form_classes if not issubclass(cls, CarePlusForm)] == []


def test_i20_p01_every_text_field_of_every_form_is_checked_one_line_or_multi_line_by_its_widget() -> None:
    missing, wrong = [], []
    checked = 0
    for form_class in _project_classes(forms.BaseForm):
        unchecked: frozenset[str] = getattr(form_class, "unchecked_text_fields", frozenset())
        for name, field in form_class.base_fields.items():  # type: ignore[attr-defined]
            if not isinstance(field, forms.CharField) or name in unchecked:
                continue
            checks = _checks_of(field.validators)
            expected = validate_narrative_text if isinstance(field.widget, forms.Textarea) else validate_person_text
            if not checks:
                missing.append(f"{_name(form_class)}.{name}")
            elif checks != [expected]:
                wrong.append(f"{_name(form_class)}.{name}")
            checked += 1
    assert missing == []
    assert wrong == [], "a text area needs the multi-line check, a one-line input the one-line check"
    assert checked > 60, "the walk found too few text fields"


def test_i20_p01_only_passwords_are_left_unchecked() -> None:
    exempt = []
    for form_class in _project_classes(forms.BaseForm):
        for name in getattr(form_class, "unchecked_text_fields", frozenset()):
            field = form_class.base_fields[name]  # type: ignore[attr-defined]
            assert isinstance(field.widget, forms.PasswordInput), f"{_name(form_class)}.{name} is not a password"
            exempt.append(f"{_name(form_class)}.{name}")
    assert exempt == ["careplus.accounts.forms.LoginForm.password"]


def test_i20_p01_fields_added_by_a_form_init_are_checked_too() -> None:
    class Dynamic(CarePlusForm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.fields["late"] = forms.CharField()
            self.fields["late_area"] = forms.CharField(widget=forms.Textarea)

    form = Dynamic({"late": "a\u202eb", "late_area": "one\ntwo"})
    assert not form.is_valid()
    assert list(form.errors) == ["late"]
    assert "U+202E" in form.errors["late"][0]


def test_i20_p01_checking_a_form_never_changes_a_field_shared_with_another_form() -> None:
    from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm

    assert _checks_of(AuthenticationForm.base_fields["username"].validators) == []
    assert _checks_of(PasswordResetForm.base_fields["email"].validators) == []


# --- API serializers ------------------------------------------------------------------------------------


def _text_fields(serializer: serializers.BaseSerializer[Any], path: str) -> Iterator[tuple[str, Any]]:
    fields: dict[str, Any] = getattr(serializer, "fields", {})
    for name, field in fields.items():
        where = f"{path}.{name}"
        targets = [field]
        child = getattr(field, "child", None)
        if child is not None:
            targets.append(child)
        for target in targets:
            if isinstance(target, serializers.CharField):
                yield where, target
            elif isinstance(target, serializers.Serializer):
                yield from _text_fields(target, where)


def test_i20_p01_every_serializer_of_the_api_is_text_checked() -> None:
    serializer_classes = [
        cls for cls in _project_classes(serializers.BaseSerializer) if issubclass(cls, serializers.Serializer)
    ]
    assert len(serializer_classes) > 20, "the walk found too few serializers"
    assert [_name(cls) for cls in serializer_classes if not issubclass(cls, CarePlusSerializer)] == []
    missing, wrong = [], []
    checked = 0
    for cls in serializer_classes:
        for where, field in _text_fields(cls(), _name(cls)):
            checks = _checks_of(field.validators)
            multiline = field.style.get("base_template") == MULTILINE["base_template"]
            expected = validate_narrative_text if multiline else validate_person_text
            if not checks:
                missing.append(where)
            elif checks != [expected]:
                wrong.append(where)
            checked += 1
    assert missing == []
    assert wrong == []
    assert checked > 40, "the walk found too few text fields"


def test_i20_p01_a_serializer_narrative_keeps_its_lines_and_a_one_line_text_does_not() -> None:
    from careplus.api.serializers.returns import VisitRecordInput
    from careplus.api.serializers.trainings import ParticipantsInput

    body = {"done_on": "2018-06-20", "mode": "in_person", "progress": "Shop open.\nStock bought.", "answers": {}}
    assert VisitRecordInput(data=body).is_valid()
    refused = VisitRecordInput(data={**body, "progress": "Shop \u202eopen"})
    assert not refused.is_valid()
    assert "U+202E" in str(refused.errors["progress"][0])
    row = {"full_name": "Ana\nRoy", "email": "a@example.test", "organisation": "PAF", "organisation_type": "paf"}
    nested = ParticipantsInput(data={"participants": [row]})
    assert not nested.is_valid()
    assert "full_name" in nested.errors["participants"][0]
