"""The project's form base and renderer.

Every form of the project is a ``CarePlusForm``: each of its text fields gets the one check of person and
organisation text (``careplus.core.text``), multi-line for a text area, one-line otherwise, without being
listed; only fields named in ``unchecked_text_fields`` (secrets such as a password) are left out. One form
renderer shows every field's label, help and errors the same way.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, MutableMapping
from typing import Any, ClassVar

from django import forms
from django.forms.boundfield import BoundField
from django.forms.forms import DeclarativeFieldsMetaclass
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext

from careplus.core.text import validate_narrative_text, validate_person_text

TEXT_CHECKS: tuple[Callable[[str], None], ...] = (validate_person_text, validate_narrative_text)


def text_check_for(field: forms.Field) -> Callable[[str], None] | None:
    """The check a form field's text deserves: multi-line in a text area, one-line otherwise; None if not text."""
    if not isinstance(field, forms.CharField):
        return None
    return validate_narrative_text if isinstance(field.widget, forms.Textarea) else validate_person_text


def is_text_checked(field: forms.Field) -> bool:
    return any(check in field.validators for check in TEXT_CHECKS)


def check_text_fields(fields: MutableMapping[str, forms.Field], *, unchecked: frozenset[str]) -> None:
    """Give every text field of ``fields`` its text check (a field already checked keeps its own).

    A field that lacks the check is copied before it gets it, so that a field shared with another form
    (a parent class, Django's own forms) is never changed behind that form's back.
    """
    for name, field in list(fields.items()):
        check = text_check_for(field)
        if check is None or name in unchecked or is_text_checked(field):
            continue
        checked = copy.deepcopy(field)
        checked.validators.append(check)
        fields[name] = checked


class CarePlusFormMetaclass(DeclarativeFieldsMetaclass):
    """Check the text fields of a form class as soon as it is declared (its own and inherited ones)."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> Any:  # Django's metaclass signature
        new_class: Any = super().__new__(mcs, name, bases, attrs)  # a form class; its fields are read below
        check_text_fields(new_class.base_fields, unchecked=new_class.unchecked_text_fields)
        return new_class


class CarePlusForm(forms.Form, metaclass=CarePlusFormMetaclass):
    """The base of every form of the project: person and organisation text is checked on every text field.

    ``unchecked_text_fields`` names the fields that are not text shown to anyone (a password); nothing else
    may be left out. Fields a form's ``__init__`` adds are checked too, when the form is cleaned.
    """

    unchecked_text_fields: ClassVar[frozenset[str]] = frozenset()

    def full_clean(self) -> None:
        check_text_fields(self.fields, unchecked=self.unchecked_text_fields)
        super().full_clean()


def date_format_hint() -> str:
    """The expected format of a typed date, said next to every date field."""
    return gettext("Format: dd/mm/yyyy (day, month, year)")


class CarePlusBoundField(BoundField):
    """A bound field that knows the format hint of its value (dates: day first)."""

    @property
    def format_hint(self) -> str:
        if isinstance(self.field, forms.DateField) and not self.is_hidden:
            return date_format_hint()
        return ""

    @property
    def aria_describedby(self) -> str | None:
        described = super().aria_describedby
        if described is None or not self.auto_id or not self.format_hint:
            return described
        return " ".join(filter(None, [described, f"{self.auto_id}_format"]))


class CarePlusFormRenderer(TemplatesSetting):
    """Render forms and fields through the project's components."""

    form_template_name = "components/form.html"
    field_template_name = "components/field.html"
    bound_field_class = CarePlusBoundField


class DateInput(forms.DateInput):
    """A native date picker; browsers need the ISO format whatever the language."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:  # Django's widget attributes
        super().__init__(attrs=attrs, format="%Y-%m-%d")
