"""Shared serializer pieces: counts, form-backed validation, query filters."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from django import forms


class CountOutput(serializers.Serializer[Any]):
    count = serializers.IntegerField()


def form_errors(form: forms.Form) -> dict[str, list[str]]:
    return {
        ("non_field_errors" if name == "__all__" else name): [str(message) for message in messages]
        for name, messages in form.errors.items()
    }


def cleaned(form: forms.Form) -> dict[str, Any]:
    """Return the form's cleaned data, or raise the API's validation error with its messages."""
    if not form.is_valid():
        raise serializers.ValidationError(form_errors(form))
    return form.cleaned_data


def read_filters(serializer_class: type[serializers.Serializer[Any]], params: Any) -> dict[str, Any]:
    """Validate query parameters; unknown parameters are ignored, bad ones answer 400."""
    serializer = serializer_class(data={key: params.get(key) for key in params if key not in {"cursor", "page_size"}})
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
