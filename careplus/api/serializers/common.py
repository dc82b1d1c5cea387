"""Shared serializer pieces: the text-checked base, counts, form-backed validation, query filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rest_framework import serializers

from django import forms
from django.http import QueryDict

from careplus.core.forms import TEXT_CHECKS
from careplus.core.text import validate_narrative_text, validate_person_text

# DRF's own mark of a multi-line text field (its browsable API renders it as a text area).
MULTILINE = {"base_template": "textarea.html"}


# The field's value types do not matter here.
def text_check_for(field: serializers.Field[Any, Any, Any, Any] | None) -> Callable[[str], None] | None:
    """The check a serializer field's text deserves: multi-line if marked ``style=MULTILINE``; None if not text."""
    if not isinstance(field, serializers.CharField):
        return None
    multiline = field.style.get("base_template") == MULTILINE["base_template"]
    return validate_narrative_text if multiline else validate_person_text


class CarePlusSerializer(serializers.Serializer[Any]):  # Any: the base of serializers of every model
    """The base of every serializer of the API: every text field (and list of texts) gets the text check.

    The same check as the pages' forms (``careplus.core.text``), without listing the fields: a new field is
    covered. ``unchecked_text_fields`` names fields that are not text shown to anyone; none does today.
    """

    unchecked_text_fields: ClassVar[frozenset[str]] = frozenset()

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:  # DRF's signature
        fields: dict[str, Any] = super().get_fields()  # fresh copies for this serializer
        for name, field in fields.items():
            if name in self.unchecked_text_fields:
                continue
            targets: list[Any] = [field, getattr(field, "child", None)]  # a field, its child field or None
            for target in targets:
                check = text_check_for(target)
                if check is not None and not any(v in TEXT_CHECKS for v in target.validators):
                    target.validators.append(check)
        return fields


class CountOutput(CarePlusSerializer):
    count = serializers.IntegerField()


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    return {
        ("non_field_errors" if name == "__all__" else name): [str(message) for message in messages]
        for name, messages in form.errors.items()
    }


def cleaned(form: forms.Form) -> dict[str, Any]:  # cleaned values, each of its field's type
    """Return the form's cleaned data, or raise the API's validation error with its messages."""
    if not form.is_valid():
        raise serializers.ValidationError(form_errors(form))
    return form.cleaned_data


# validated values, each of its field's type
def read_filters(serializer_class: type[serializers.Serializer[Any]], params: QueryDict) -> dict[str, Any]:
    """Validate query parameters; unknown parameters are ignored, bad ones answer 400."""
    serializer = serializer_class(data={key: params.get(key) for key in params if key not in {"cursor", "page_size"}})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
