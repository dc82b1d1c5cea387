"""Corrections of a file (GDPR art. 16): which fields were changed, by whom and when.

Corrections are made through the normal screens; the audit log keeps the names of the fields each
save changed (never their values). This reads those events back for one case and turns the names
into the labels the screens show, so the person's file lists its own corrections.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from django.utils.translation import get_language

from careplus.access import compiled
from careplus.accounts.selectors import names_by_id
from careplus.audit.choices import AuditAction
from careplus.audit.models import AuditEvent
from careplus.cases.models import Case
from careplus.core.sql import Code

# Changes to how the file is handled, not to what it says about the person.
_NOT_PERSON_DATA = frozenset({"office", "handover", "restricted", "restricted_users", "status"})
LIMIT = 100


@dataclass(frozen=True)
class Correction:
    at: datetime
    who: str
    fields: list[str]


def _model_named(name: str) -> type[models.Model] | None:
    """The model of the cases or returns app a section change names (e.g. `legalsituation`)."""
    for app_label in ("cases", "returns"):
        try:
            return apps.get_model(app_label, name)
        except LookupError:
            continue
    return None


def field_label(name: str) -> str | None:
    """The label of a changed field as the audit names it (`section.field` or a case field), or None."""
    return _field_label(name, get_language())


@functools.lru_cache(maxsize=1024)
def _field_label(name: str, language: str | None) -> str | None:  # the language the label is read in
    if ":" in name or name in _NOT_PERSON_DATA:
        return None
    section, _dot, field = name.rpartition(".")
    model = _model_named(section) if section else Case
    if model is None:
        return None
    try:
        found = model._meta.get_field(field)
    except FieldDoesNotExist:
        return None
    if found.auto_created or not found.concrete:  # `notes`, `attachments`: records added, not corrected
        return None
    label = str(getattr(found, "verbose_name", field))
    if section:
        return f"{str(model._meta.verbose_name).capitalize()} — {label}"
    return label.capitalize()


def corrections(case: Case) -> list[Correction]:
    """The case's changes of recorded data, newest first, with the labels of the changed fields.

    The changes' SQL is compiled once for every file (`access.compiled`)."""
    events = compiled.rows(_changes, compiled.Param(str(case.pk)), LIMIT)
    names = names_by_id(actor_id for _ts, actor_id, _label, _fields in events)  # none for a file never corrected
    found: list[Correction] = []
    for ts, actor_id, actor_label, fields in events:
        labels = [label for label in (field_label(name) for name in fields.split(",") if name) if label]
        if labels:
            found.append(Correction(at=AuditEvent.time_of(ts), who=names.get(actor_id, actor_label), fields=labels))
    return found


def _changes(object_id: str, limit: int) -> QuerySet[AuditEvent, tuple[int, str, str, str]]:
    return (
        # The action written into the SQL: the partial index of the changes serves it, whatever
        # the number of times the file was viewed (its views are in the same log).
        AuditEvent.objects.filter(object_type=Case._meta.label_lower, object_id=object_id)
        .filter(action=Code(AuditAction.CHANGE))
        .order_by("-seq")
        .values_list("ts", "actor_id", "actor_label", "fields")[:limit]
    )
