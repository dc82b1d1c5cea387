"""Optimistic locking, written once: lock the row, compare the version, bump it, refuse a stale edit.

Every versioned change goes through here (issue 22, point 2). A service locks the row the user
edited (`lock_for_edit`; `lock_for_upsert` for a one-per-case record that may not exist yet),
which refuses a version other than the one the user saw, then saves with the version increased
(`bump`; `touch` for a record whose parts changed). A stale edit raises `StaleEdit`, one error with
one wording: the API answers it 412 with the code "stale_object" (careplus.api.errors), the pages
show the form again with the other person's values beside the user's (careplus.core.conflicts).

`expected_version` is the version the user saw. None means:
- in `lock_for_edit`, nothing to compare (a change made by the system, not from a form): the row
  is only locked, unless `required=True`, which refuses None as stale too;
- in `lock_for_upsert`, the user saw no record: one saved meanwhile is a conflict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from careplus.core.errors import StaleObject

M = TypeVar("M", bound=models.Model)

# One wording for every record: the first sentence always, then what to do or what differs.
SAVED_MEANWHILE = gettext_lazy("Someone else saved this meanwhile; nothing was overwritten.")
RELOAD = gettext_lazy("Reload the page to see their changes.")
FIELDS_DIFFER = gettext_lazy("Fields that now differ: %(fields)s.")
# Not a version conflict: the record the user edited is no longer there.
REMOVED = gettext_lazy("This record was removed meanwhile. Reload the page.")


def stale_message(labels: Iterable[str] = ()) -> str:
    """The message of a stale edit, naming the fields that now differ when they are known."""
    named = list(labels)
    then = str(FIELDS_DIFFER) % {"fields": ", ".join(named)} if named else str(RELOAD)
    return f"{SAVED_MEANWHILE} {then}"


class StaleEdit(StaleObject):
    """Someone else saved the record since the user loaded it; nothing was overwritten.

    `fields` names the fields whose saved value differs from the user's (when the service gave the
    user's values), `theirs` holds those saved values, for the conflict form. `theirs` may hold
    personal data: it is kept out of the message, of `extra` (which the API returns) and of repr().
    """

    def __init__(
        self,
        message: str | Promise | None = None,
        *,
        fields: Iterable[str] = (),
        theirs: Mapping[str, object] | None = None,
    ) -> None:
        self.fields = tuple(fields)
        self.theirs = dict(theirs or {})
        extra = {"fields": list(self.fields)} if self.fields else None
        super().__init__(message if message is not None else stale_message(), extra=extra)

    def __repr__(self) -> str:
        return f"StaleEdit(fields={list(self.fields)!r})"


def gone(message: str | Promise = REMOVED) -> StaleEdit:
    """The error for a record removed or decided meanwhile (not a version conflict), with its own message."""
    return StaleEdit(message)


def differing(instance: models.Model, values: Mapping[str, object]) -> list[str]:
    """Names of the fields whose stored value differs from the given one, sorted."""
    return sorted(name for name, value in values.items() if getattr(instance, name) != value)


def _label(model: type[models.Model], name: str) -> str:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:  # a value that is no model field: its own name
        return name
    return str(getattr(field, "verbose_name", name))


def check_version(
    row: M,
    expected_version: int | None,
    *,
    compare: Mapping[str, object] | None = None,
    required: bool = False,
    version_field: str = "version",
) -> None:
    """Refuse with StaleEdit a locked row whose version is not the one the user saw.

    `compare` holds the values the user is saving: the fields whose saved value differs are named
    in the error (and in its message), with the saved values in `theirs`.
    """
    if expected_version is None and not required:
        return
    if getattr(row, version_field) == expected_version:
        return
    if compare is None:
        raise StaleEdit()
    fields = differing(row, compare)
    labels = [_label(type(row), name) for name in fields]
    raise StaleEdit(stale_message(labels), fields=fields, theirs={name: getattr(row, name) for name in fields})


def _rows(source: type[M] | QuerySet[M]) -> QuerySet[M]:
    if isinstance(source, QuerySet):
        return source
    rows: QuerySet[M] = source._default_manager.all()
    return rows


def lock_for_edit(
    source: type[M] | QuerySet[M],
    pk: object,
    expected_version: int | None,
    *,
    compare: Mapping[str, object] | None = None,
    required: bool = False,
    gone_message: str | Promise = REMOVED,
    of: tuple[str, ...] = (),
    version_field: str = "version",
) -> M:
    """Lock the row `pk` (SELECT … FOR UPDATE) and refuse it if its version is not `expected_version`.

    `source` is a model or a queryset (with its select_related; a row it does not find, e.g. a
    request no longer awaiting a decision, is refused with `gone_message`). `of=("self",)` locks
    only this row when the queryset joins nullable relations (PostgreSQL refuses to lock their side).
    """
    try:
        row = _rows(source).select_for_update(of=of).get(pk=pk)
    except ObjectDoesNotExist:
        raise gone(gone_message) from None
    check_version(row, expected_version, compare=compare, required=required, version_field=version_field)
    return row


def lock_for_upsert(
    source: type[M] | QuerySet[M],
    expected_version: int | None,
    *,
    compare: Mapping[str, object] | None = None,
    **lookup: Any,  # passed through to filter()
) -> M | None:
    """Lock a record that may not exist yet (one per case): None when there is none and the user saw none.

    Refused: a record saved meanwhile when the user saw none (`expected_version` None), a record
    removed meanwhile, or another version than the one the user saw.
    """
    row = _rows(source).select_for_update().filter(**lookup).first()
    if row is None:
        if expected_version is not None:
            raise gone()
        return None
    check_version(row, expected_version, compare=compare, required=True)
    return row


def _has_field(instance: models.Model, name: str) -> bool:
    return any(field.name == name for field in instance._meta.concrete_fields)


def bump(instance: M, *fields: str, version_field: str = "version") -> M:
    """Save a locked row with its version increased by one.

    The named fields are saved (with `updated_at` when the model has one), or every field when none
    is named. The row must be locked in this transaction (`lock_for_edit`), so that its version in
    memory is the one stored.
    """
    setattr(instance, version_field, getattr(instance, version_field) + 1)
    if not fields:
        instance.save()
        return instance
    names = [*fields, version_field]
    if _has_field(instance, "updated_at") and "updated_at" not in names:
        names.append("updated_at")
    instance.save(update_fields=names)
    return instance


def touch(instance: M, *, version_field: str = "version") -> M:
    """Increase the version of a record whose parts changed (and its `updated_at`), in the database.

    Computed by the database, so it holds without a lock; the new values are read back into `instance`.
    """
    values: dict[str, object] = {version_field: F(version_field) + 1}
    if _has_field(instance, "updated_at"):
        values["updated_at"] = timezone.now()
    type(instance)._default_manager.filter(pk=instance.pk).update(**values)
    instance.refresh_from_db(fields=list(values))
    return instance
