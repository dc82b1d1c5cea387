"""Write audit events in the caller's transaction, chained under a lock on the head row."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction

from careplus.access.policy import roles_of
from careplus.audit import chain
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.context import current
from careplus.audit.models import AuditEvent, AuditHead

_UNSET: Any = object()


def record_event(
    *,
    action: AuditAction | str,
    obj: Any = None,
    object_type: str = "",
    object_id: object = "",
    fields: Iterable[str] = (),
    outcome: AuditOutcome | str = AuditOutcome.SUCCESS,
    actor: Any = _UNSET,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the current transaction (or its own)."""
    ctx = current()
    user = ctx.user if actor is _UNSET else actor
    authenticated = bool(user is not None and getattr(user, "is_authenticated", False))
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    values: dict[str, object] = {
        "ts": time.time_ns() // 1000,
        "actor_id": str(user.pk) if authenticated else "",
        "actor_label": chain.clean(actor_label if actor_label is not None else (user.email if authenticated else "")),
        "roles": ",".join(sorted(roles_of(user))) if authenticated else "",
        "action": str(action),
        "object_type": chain.clean(object_type),
        "object_id": chain.clean(object_id)[:64],
        "fields": ",".join(sorted({chain.clean(f) for f in fields})),
        "ip": chain.clean(ctx.ip)[:45],
        "request_id": chain.clean(ctx.request_id)[:64],
        "outcome": str(outcome),
    }
    with transaction.atomic():
        head = _locked_head()
        seq = head.seq + 1
        ordered = [seq, *[values[c] for c in chain.COLUMNS[1:12]], head.hash]
        digest = chain.seal(ordered, chain.audit_key())
        event = AuditEvent.objects.create(seq=seq, prev_hash=head.hash, hash=digest, **values)
        AuditHead.objects.filter(pk=1).update(seq=seq, hash=digest)
    return event


def _locked_head() -> AuditHead:
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        head, _created = AuditHead.objects.get_or_create(pk=1)
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


def verify_chain(*, batch: int = 20_000) -> chain.Verdict:
    """Verify the whole chain from the database, streaming rows in sequence order.

    The database joins each event's columns into the sealed message (all columns are NOT NULL
    text or integers, whose text form is the one `chain.seal` used): one string per event
    crosses into Python instead of thirteen values.
    """
    head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
    separator = "chr(31)" if connection.vendor == "postgresql" else "char(31)"
    message = f" || {separator} || ".join(chain.COLUMNS[:13])
    table = AuditEvent._meta.db_table

    def rows() -> Iterable[tuple[object, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT seq, prev_hash, hash, {message} FROM {table} ORDER BY seq")  # noqa: S608 - constant names
            while True:
                chunk = cursor.fetchmany(batch)
                if not chunk:
                    return
                yield from chunk

    return chain.verify_messages(rows(), key=chain.audit_key(), head=head)
