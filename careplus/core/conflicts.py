"""Edit conflicts: the other person's saved values beside mine, and a form that saves the merge.

When a versioned save is refused because someone else saved first, the page shows, for each field
that now differs, the saved value beside the one the user typed; the form keeps the user's input and
carries the current version, so pressing Save again records the user's form (edited or not) as the merge.
Values are read through the model (encrypted fields decrypt there) and are never logged; the page shows
only the fields of the form the user was already allowed to edit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django import forms
from django.http import QueryDict
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from careplus.core.locking import SAVED_MEANWHILE

F = TypeVar("F", bound=forms.Form)

EMPTY = "—"

# The first sentence of every stale edit's message (careplus.core.locking), without "reload the
# page": reloading would now drop the user's input.
MESSAGE = SAVED_MEANWHILE


@dataclass(frozen=True)
class Difference:
    """One field whose saved value differs from the user's input."""

    name: str
    label: str
    theirs: str
    mine: str


def _choice_label(field: forms.ChoiceField, value: object) -> str:
    choices: Any = field.choices  # Any: pairs, or option groups of pairs (checked below)
    for key, label in choices:
        if isinstance(label, list | tuple):  # option groups
            for sub_key, sub_label in label:
                if str(sub_key) == str(value):
                    return str(sub_label)
        elif str(key) == str(value):
            return str(label)
    return str(value)


def shown(field: forms.Field, value: object) -> str:
    """The value as the user reads it in the form (choice labels, local dates, yes/no)."""
    if isinstance(field, forms.BooleanField):
        return _("Yes") if value else _("No")
    if value is None or value in ("", [], {}):
        return EMPTY
    if isinstance(field, forms.ChoiceField):
        return _choice_label(field, value)
    if isinstance(value, date):
        return str(formats.date_format(value, "SHORT_DATE_FORMAT"))
    return str(value)


def _same(field: forms.Field, theirs: object, mine: object) -> bool:
    if isinstance(field, forms.BooleanField):
        return bool(theirs) == bool(mine)
    theirs = "" if theirs is None else theirs
    mine = "" if mine is None else mine
    if theirs == mine:
        return True
    return str(theirs).strip() == str(mine).strip()


def differences(form: forms.Form, current: Mapping[str, object]) -> list[Difference]:
    """(label, theirs, mine) for each visible field whose saved value differs from the user's cleaned input.

    `current` holds the values a fresh form on the saved record would show (its `initial`).
    """
    found: list[Difference] = []
    for name, field in form.fields.items():
        if isinstance(field.widget, forms.HiddenInput) or name not in form.cleaned_data:
            continue
        theirs, mine = current.get(name), form.cleaned_data[name]
        if isinstance(field, forms.ChoiceField):
            mine = form[name].value()  # the submitted choice, as the saved one is given (before any coercion)
        if _same(field, theirs, mine):
            continue
        label = field.label if field.label is not None else name
        found.append(Difference(name, str(label), shown(field, theirs), shown(field, mine)))
    return found


def with_version(data: QueryDict, version: int | None) -> QueryDict:
    """The user's submitted input, unchanged, carrying the version now saved."""
    kept = data.copy()
    kept["version"] = "" if version is None else str(version)
    return kept


def reopen(
    form: F,
    build: Callable[[QueryDict], F],
    current: Mapping[str, object],
    message: str | Promise,
) -> tuple[F, list[Difference]]:
    """After a refused stale save: the user's form again, on the current version, and what differs.

    `form` is the validated form that was refused; `build` makes the same form from submitted data;
    `current` is the saved record's initial values (with its `version`).
    """
    found = differences(form, current)
    data = form.data if isinstance(form.data, QueryDict) else QueryDict(mutable=True)
    version = current.get("version")
    merged = build(with_version(data, version if isinstance(version, int) else None))
    merged.is_valid()
    merged.add_error(None, str(message))
    return merged, found
