"""Write audit events in the caller's transaction, chained under a lock on the head row."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence

from django.db import connection, transaction
from django.db.models import Model

from careplus.access.policy import Actor, roles_of
from careplus.audit import chain
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.context import current
from careplus.audit.models import AuditEvent, AuditHead


class _Unset:
    """No actor given: the event records the current request's user."""


_UNSET = _Unset()
logger = logging.getLogger("careplus.audit")


class AuditChainError(RuntimeError):
    """The chain's head is missing or not sealed by the application: nothing is appended after it."""


def record_event(
    *,
    action: AuditAction | str,
    obj: Model | None = None,
    object_type: str = "",
    object_id: object = "",
    fields: Iterable[str] = (),
    outcome: AuditOutcome | str = AuditOutcome.SUCCESS,
    actor: Actor | _Unset | None = _UNSET,
    actor_label: str | None = None,
    changes: Mapping[str, tuple[object, object]] | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the current transaction (or its own).

    `changes` ({field: (old, new)}) records the old and new values with the field names. Only for
    values that are not personal data (programme settings, codes): personal fields are recorded
    by name alone. Each change is stored as a `name:old→new` field (see AuditEvent.changes).
    """
    fields = [*fields, *(change_field(name, old, new) for name, (old, new) in (changes or {}).items())]
    ctx = current()
    user = ctx.user if isinstance(actor, _Unset) else actor
    signed_in = user if user is not None and user.is_authenticated else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    values: dict[str, object] = {
        "ts": time.time_ns() // 1000,
        "actor_id": str(signed_in.pk) if signed_in is not None else "",
        "actor_label": chain.clean(
            actor_label if actor_label is not None else (signed_in.email if signed_in is not None else "")
        ),
        "roles": ",".join(sorted(roles_of(signed_in))) if signed_in is not None else "",
        "action": str(action),
        "object_type": chain.clean(object_type),
        "object_id": chain.clean(object_id)[:64],
        "fields": ",".join(sorted({chain.clean(f) for f in fields})),
        "ip": chain.clean(ctx.ip)[:45],
        "request_id": chain.clean(ctx.request_id)[:64],
        "outcome": str(outcome),
    }
    key = chain.audit_key()
    with transaction.atomic():
        head = _locked_head(key)
        seq = head.seq + 1
        ordered = [seq, *[values[c] for c in chain.COLUMNS[1:12]], head.hash]
        digest = chain.seal(ordered, key)
        event = AuditEvent.objects.create(seq=seq, prev_hash=head.hash, hash=digest, **values)
        ts = int(str(values["ts"]))
        AuditHead.objects.filter(pk=1).update(seq=seq, hash=digest, ts=ts, mac=chain.head_seal(seq, digest, ts, key))
    return event


CHANGE_ARROW = "→"


def _change_value(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("%", "%25").replace(",", "%2C").replace(CHANGE_ARROW, "%E2%86%92")


def change_field(name: str, old: object, new: object) -> str:
    """One change as stored in the event's fields; commas and arrows in the values are escaped."""
    return f"{name}:{_change_value(old)}{CHANGE_ARROW}{_change_value(new)}"


def _locked_head(key: bytes) -> AuditHead:
    """Lock and return the sealed head; create the genesis head of an empty log.

    A head that is missing while events exist, or whose seal does not verify, was removed or
    rewritten outside the application: chaining after it would seal the forgery, so refuse.
    """
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        if AuditEvent.objects.exists():
            logger.critical("Audit chain head missing while events exist: nothing can be appended.")
            raise AuditChainError("The audit chain head is missing: run manage.py verify_audit.")
        AuditHead.objects.create(pk=1, seq=0, hash=chain.GENESIS, ts=0, mac=chain.head_seal(0, chain.GENESIS, 0, key))
        head = AuditHead.objects.select_for_update().get(pk=1)
    if not chain.head_is_sealed(head.seq, head.hash, head.ts, head.mac, key):
        logger.critical("Audit chain head #%d is not sealed with the audit key: nothing can be appended.", head.seq)
        raise AuditChainError("The audit chain head does not verify: run manage.py verify_audit.")
    return head


def checkpoint() -> chain.Checkpoint:
    """Sign the current head as a checkpoint, log it (numbers and hashes only) and return it.

    Kept outside the database (beside and inside each backup, in the application log), it lets
    `verify_audit --checkpoint` detect a later wipe or cut of the chain below it.
    """
    key = chain.audit_key()
    with transaction.atomic():
        head = _locked_head(key)
        mark = chain.Checkpoint.make(head.seq, head.hash, key)
    logger.info("audit checkpoint %s", mark.to_json())
    return mark


def verify_chain(*, batch: int = 20_000, checkpoints: Sequence[chain.Checkpoint] = ()) -> chain.Verdict:
    """Verify the whole chain from the database, streaming rows in sequence order.

    The database joins each event's columns into the sealed message (all columns are NOT NULL
    text or integers, whose text form is the one `chain.seal` used): one string per event
    crosses into Python instead of thirteen values.

    The head must exist once there are events, carry the application's seal and name the last
    event; events are read up to the head (a writer may append meanwhile), and one statement then
    counts any event beyond the head. Each checkpoint (signed outside the database) must still be
    in the chain: a log wiped, or cut below it, fails.
    """
    key = chain.audit_key()
    for mark in checkpoints:
        if not mark.is_signed(key):
            return chain.Verdict(False, 0, mark.seq, "a checkpoint is not signed with this audit key")
    head = AuditHead.objects.filter(pk=1).values_list("seq", "hash", "ts", "mac").first()
    separator = "chr(31)" if connection.vendor == "postgresql" else "char(31)"
    message = f" || {separator} || ".join(chain.COLUMNS[:13])
    table = AuditEvent._meta.db_table
    upto = "" if head is None else f" WHERE seq <= {int(head[0])}"

    def rows() -> Iterable[tuple[object, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT seq, prev_hash, hash, {message} FROM {table}{upto} ORDER BY seq")  # noqa: S608 - constant names
            while True:
                chunk = cursor.fetchmany(batch)
                if not chunk:
                    return
                yield from chunk

    verdict = chain.verify_messages(rows(), key=key, head=None if head is None else (head[0], head[1]))
    if verdict.ok:
        verdict = _check_head(head, verdict.checked, key)
    if verdict.ok:
        verdict = _check_checkpoints(checkpoints, verdict.checked)
    return verdict


def _check_head(head: tuple[int, str, int, str] | None, checked: int, key: bytes) -> chain.Verdict:
    """The head is sealed by the application, and no event lies beyond it."""
    if head is None:
        return chain.Verdict(not checked, checked, None, "the chain head is missing" if checked else "")
    if not chain.head_is_sealed(head[0], head[1], head[2], head[3], key):
        return chain.Verdict(False, checked, None, "the chain head is not sealed with the audit key")
    table, head_table = AuditEvent._meta.db_table, AuditHead._meta.db_table
    with connection.cursor() as cursor:  # one statement, so one snapshot, while writers append
        cursor.execute(f"SELECT min(seq) FROM {table} WHERE seq > (SELECT seq FROM {head_table} WHERE id = 1)")  # noqa: S608 - constant names
        (beyond,) = cursor.fetchone() or (None,)
    if beyond is not None:
        return chain.Verdict(False, checked, int(beyond), "events beyond the chain head")
    return chain.Verdict(True, checked)


def _check_checkpoints(checkpoints: Sequence[chain.Checkpoint], checked: int) -> chain.Verdict:
    """Each checkpoint's event is still in the verified chain, with the hash it had."""
    for mark in checkpoints:
        if mark.seq > checked:
            return chain.Verdict(False, checked, checked + 1, f"events missing: a checkpoint records #{mark.seq}")
        if mark.seq and not AuditEvent.objects.filter(seq=mark.seq, hash=mark.hash).exists():
            return chain.Verdict(False, checked, mark.seq, "the chain was rewritten below a checkpoint")
    return chain.Verdict(True, checked)
