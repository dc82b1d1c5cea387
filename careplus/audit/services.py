"""Write audit events in the caller's transaction, chained under a lock on the head row."""

from __future__ import annotations

import contextlib
import functools
import hmac
import logging
import multiprocessing
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import NamedTuple

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import TupleRow

from django.db import IntegrityError, connection, connections, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Model

from careplus.access.policy import Actor, roles_of
from careplus.audit import chain
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.context import current
from careplus.audit.models import AuditCheckpoint, AuditEvent, AuditHead, AuditSegmentSeal
from careplus.core.sql import several_statements_per_message


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
    ts = time.time_ns() // 1000
    values: dict[str, int | str] = {
        "ts": ts,
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
    statements = _statements()
    later = _COMMIT_LATER.get()
    if later is not None:
        later.close()  # an event still committing is awaited before the next
    own = not connection.in_atomic_block and connection.get_autocommit()
    if statements.together and own:
        # A read's event, in a transaction of its own: two round trips on PostgreSQL, not four.
        with connection.cursor() as cursor, _own_transaction():
            return _append(values, ts, key, cursor, begin=True, later=later)
    if later is not None and own and connection.vendor == "sqlite":
        # A read's event inside `committed_at_the_end` on SQLite: its transaction opened as Django
        # opens SQLite's (IMMEDIATE: the head's lock, writers queue), its commit made on a thread.
        with connection.cursor() as cursor, _own_transaction():
            cursor.execute("BEGIN IMMEDIATE")
            event = _append(values, ts, key, cursor, begin=False)
        later.enter_context(_committed_aside())
        later.enter_context(connection.execute_wrapper(_Awaiting(later)))
        return event
    # No savepoint inside the caller's transaction: an event that cannot be written fails the whole
    # action (it never commits unaudited), and the page spares two statements.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        return _append(values, ts, key, cursor, begin=False)


def _append(
    values: dict[str, int | str],
    ts: int,
    key: bytes,
    cursor: CursorWrapper,
    *,
    begin: bool,
    later: _Later | None = None,
) -> AuditEvent:
    """Chain one event after the locked head and move the head to it.

    `begin`: the transaction is the event's own, opened with the head's read and committed with the
    event's write, each one text (`_own_transaction` rolls back whatever fails in between).
    `later` (with `begin`, inside `committed_at_the_end`): the write and its commit are sent in a
    pipeline, and awaited when `later` closes.
    """
    head = _locked_head(key, cursor, begin=begin)
    seq = head.seq + 1
    ordered = [seq, *[values[c] for c in chain.COLUMNS[1:12]], head.hash]
    digest = chain.seal(ordered, key)
    # Written by hand, the same statements every time (each page that reads a file audits it):
    # the ORM would build their SQL again at every event.
    statements = _statements()
    advance: list[int | str] = [seq, digest, ts, chain.head_seal(seq, digest, ts, key)]
    checkpoint = seq % chain.CHECKPOINT_EVERY == 0  # stored after its event, in the same transaction
    if later is not None and begin and not checkpoint:
        later.enter_context(_commit_awaited())
        try:
            # A pipeline takes one statement per text: three, sent together, one round trip as before.
            cursor.execute(statements.insert, [*ordered, digest])
            cursor.execute(statements.advance, advance)
            cursor.execute("COMMIT")
        except BaseException as error:  # the server answered a failure already, while they were sent
            later.abandon(error)
            raise
        later.enter_context(connection.execute_wrapper(_Awaiting(later)))
    elif statements.together:
        commit = begin and not checkpoint
        cursor.execute(statements.committed if commit else statements.together, [*ordered, digest, *advance])
    else:
        cursor.execute(statements.insert, [*ordered, digest])
        cursor.execute(statements.advance, advance)
    if checkpoint:
        store_checkpoint(seq, digest, ts, key)
        if begin:
            cursor.execute("COMMIT")
    return AuditEvent(seq=seq, prev_hash=head.hash, hash=digest, **values)


class _Later(contextlib.ExitStack):
    """The commits a block awaits at its end. A commit awaited sooner (by a statement or another
    event in the block) that failed is remembered and raised again at the block's end, even if
    something in the block swallowed it: a template's `{% if a and b %}` does, for one."""

    failure: BaseException | None = None

    def close(self) -> None:
        try:
            super().close()
        except BaseException as error:
            self.failure = error
            raise

    def abandon(self, error: BaseException) -> None:
        """Unwind at once after `error`, met while an event was sent: the pipeline is left and the
        event's transaction rolled back now, not at the block's end, which raises `error` again."""
        self.failure = error
        with contextlib.suppress(Exception):  # the same failure, met again as the pipeline ends
            super().close()


# Set inside `committed_at_the_end`: where a read's event is committed while the block goes on.
_COMMIT_LATER: ContextVar[_Later | None] = ContextVar("careplus_audit_commit_later", default=None)


@contextlib.contextmanager
def committed_at_the_end() -> Iterator[None]:
    """Inside the block, a read's event (written in a transaction of its own) is committed while the
    block goes on, and the block's end waits for that commit: it raises there if the event could not
    be written, so what the block made is never used without it.

    On PostgreSQL the event's write and its commit are sent in a pipeline after its head is read:
    the server writes the event to its log while the block renders a page, instead of the page
    waiting for it before rendering. On SQLite the event is written at once and its commit, where
    SQLite waits for the disk, is made on a thread while the block goes on (`_committed_aside`).
    Meant around a page's rendering: a statement in the block (a form's choices read while the page
    renders, another event) waits for the commit first; on PostgreSQL a transaction opened in the
    block fails (psycopg will not change the connection's mode while a command is under way), so
    the block opens none. For an event inside a transaction, the event is written at once, as
    outside the block.
    """
    with _Later() as later:
        token = _COMMIT_LATER.set(later)
        try:
            yield
        finally:
            _COMMIT_LATER.reset(token)
        if later.failure is not None:
            raise later.failure


@dataclass(frozen=True)
class _Awaiting:
    """An execute wrapper for a statement made while an event commits: the commit is awaited first,
    the statement run after it. On PostgreSQL outside the pipeline (psycopg runs not every statement
    in one: a form's choices read with a server-side cursor, for one); on SQLite once the thread
    committing has let go of the connection."""

    later: _Later

    def __call__(
        self, execute: Callable[..., object], sql: str, params: object, many: bool, context: Mapping[str, object]
    ) -> object:
        self.later.close()
        return execute(sql, params, many, context)


@contextlib.contextmanager
def _commit_awaited() -> Iterator[None]:
    """An event's write sent in a pipeline, its answers read when the context ends; a failure there
    raises as Django's error, the transaction rolled back and the connection left as it was."""
    raw = connection.connection
    with _own_transaction(), connection.wrap_database_errors, raw.pipeline():
        yield


def _commit(raw: sqlite3.Connection) -> None:
    """The commit `_committed_aside` makes on its thread."""
    raw.commit()


@contextlib.contextmanager
def _committed_aside() -> Iterator[None]:
    """SQLite: the event's transaction committed on a thread of its own, awaited when the context
    ends; a failure there raises as Django's error, the transaction rolled back.

    The commit is where SQLite waits for the disk (the write-ahead log synced, `synchronous=FULL`):
    Python's sqlite3 lets go of the interpreter while SQLite commits, so the page renders meanwhile.
    Nothing else uses the connection until the thread is joined (`_Awaiting` joins it before any
    statement). `Thread.start` returns once the thread runs, so the commit starts at once rather
    than after the page's rendering lets go of the interpreter.
    """
    raw = connection.connection
    failure: list[BaseException] = []

    def commit() -> None:
        try:
            _commit(raw)
        except BaseException as error:  # raised again in the request's thread
            failure.append(error)

    thread = threading.Thread(target=commit, name="careplus-audit-commit")
    try:
        thread.start()
    except RuntimeError:  # no thread to be had (the process is at its limit): committed here
        commit()
    try:
        yield
    finally:
        if thread.ident is not None:
            thread.join()
        if failure:
            with contextlib.suppress(Exception):  # a lost connection: the error raised says so
                if raw.in_transaction:
                    raw.rollback()
            with connection.wrap_database_errors:
                raise failure[0]


@contextlib.contextmanager
def _own_transaction() -> Iterator[None]:
    """Around an event that opens and commits its own transaction on a connection in autocommit
    mode (Django's atomic blocks send BEGIN and COMMIT as round trips of their own): whatever fails
    before the commit, the transaction is rolled back, the connection left as it was found."""
    try:
        yield
    except BaseException:
        raw = connection.connection
        if raw is not None and _in_transaction(raw):
            with contextlib.suppress(Exception):  # a lost connection: the error raised says so
                raw.rollback()
        raise


def _in_transaction(raw: psycopg.Connection[TupleRow] | sqlite3.Connection) -> bool:
    if isinstance(raw, sqlite3.Connection):
        return raw.in_transaction
    return raw.info.transaction_status != TransactionStatus.IDLE


@dataclass(frozen=True)
class _Statements:
    head: str  # the head, locked for the transaction where the database can
    insert: str  # one event, its values in chain.COLUMNS order
    advance: str  # the head moved to that event
    # Both in one round trip, where the driver sends them as one text (PostgreSQL's client-side
    # binding, Django's default): the head's trigger still sees the event, written by the statement
    # before it. Empty where each goes on its own (SQLite runs one statement at a time).
    together: str
    # Where `together` is not empty, for an event in a transaction of its own: the transaction
    # opened with the head's read, and committed with the event's write.
    begin_head: str
    committed: str


@functools.cache
def _statements() -> _Statements:
    quote = connection.ops.quote_name
    event, head = quote(AuditEvent._meta.db_table), quote(AuditHead._meta.db_table)
    columns = ", ".join(quote(column) for column in chain.COLUMNS)
    places = ", ".join(["%s"] * len(chain.COLUMNS))
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    # The names are the models' own and chain.COLUMNS; every value is bound.
    insert = f"INSERT INTO {event} ({columns}) VALUES ({places})"  # noqa: S608
    advance = f"UPDATE {head} SET seq = %s, hash = %s, ts = %s, mac = %s WHERE id = 1"  # noqa: S608
    client_side = several_statements_per_message(connection)
    read = f"SELECT seq, hash, ts, mac FROM {head} WHERE id = 1{lock}"  # noqa: S608
    together = f"{insert}; {advance}" if client_side else ""
    return _Statements(
        head=read,
        insert=insert,
        advance=advance,
        together=together,
        begin_head=f"BEGIN; {read}" if together else "",
        committed=f"{together}; COMMIT" if together else "",
    )


def store_checkpoint(seq: int, digest: str, ts: int, key: bytes) -> AuditCheckpoint:
    """Sign and store the chain's head at a multiple of CHECKPOINT_EVERY, and seal the segment it
    ends (the caller's transaction)."""
    mark = chain.Checkpoint.make(seq, digest, key, ts=ts)
    stored = AuditCheckpoint.objects.create(seq=mark.seq, hash=mark.hash, ts=mark.ts, mac=mark.mac)
    seal_segment(seq, digest, key)
    return stored


def seal_segment(upto: int, digest: str, key: bytes) -> AuditSegmentSeal | None:
    """Seal the events since the stored checkpoint before `upto` (whose event has hash `digest`)
    once they verify one by one, in the caller's transaction: a later full check verifies them with
    this one MAC. None where they do not verify, or the checkpoint before is missing: the segment is
    then left unsealed, and the full check verifies it event by event and reports the fault.

    Under the head's lock, once every CHECKPOINT_EVERY events: 67–75 ms for 10,000 events on the
    bench's machine (`docs/performance.md`).
    """
    after = upto - chain.CHECKPOINT_EVERY
    anchor = (
        chain.GENESIS
        if after == 0
        else AuditCheckpoint.objects.filter(seq=after).values_list("hash", flat=True).first()
    )
    if anchor is None:
        logger.critical("Audit checkpoint #%d is missing: the segment up to #%d is not sealed.", after, upto)
        return None
    rows = list(_event_rows(after, upto, batch=chain.CHECKPOINT_EVERY))
    verdict = chain.verify_messages(rows, key=key, head=(upto, digest), after=(after, anchor))
    if not verdict.ok:
        logger.critical(
            "Audit event #%s does not verify (%s): the segment up to #%d is not sealed.",
            verdict.first_broken,
            verdict.reason,
            upto,
        )
        return None
    segment = chain.segment_digest([f"{message}{chain.SEP}{event_hash}" for _seq, event_hash, message in rows])
    if segment is None:
        logger.critical("Audit event with a newline in its row: the segment up to #%d is not sealed.", upto)
        return None
    return AuditSegmentSeal.objects.create(seq=upto, mac=chain.segment_seal(after, upto, segment, key))


def seal_unsealed_segments() -> tuple[int, int]:
    """Seal each segment whose stored checkpoint has no seal yet (a checkpoint written before the
    seals existed, or by a server still running older code), each in a transaction of its own once
    its events verify one by one; return how many were sealed and how many were left (their events
    do not verify, or a row holds a newline: the full check verifies those event by event)."""
    key = chain.audit_key()
    unsealed = AuditCheckpoint.objects.exclude(seq__in=AuditSegmentSeal.objects.values("seq")).order_by("seq")
    sealed = left = 0
    for seq, digest in unsealed.values_list("seq", "hash").iterator():
        try:
            with transaction.atomic():
                done = seal_segment(seq, digest, key) is not None
        except IntegrityError:  # sealed meanwhile, by another run of this command
            done = True
        sealed, left = (sealed + 1, left) if done else (sealed, left + 1)
    return sealed, left


CHANGE_ARROW = "→"


def _change_value(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("%", "%25").replace(",", "%2C").replace(CHANGE_ARROW, "%E2%86%92")


def change_field(name: str, old: object, new: object) -> str:
    """One change as stored in the event's fields; commas and arrows in the values are escaped."""
    return f"{name}:{_change_value(old)}{CHANGE_ARROW}{_change_value(new)}"


class _Head(NamedTuple):
    seq: int
    hash: str
    ts: int
    mac: str


def _locked_head(key: bytes, cursor: CursorWrapper, *, begin: bool = False) -> _Head:
    """Lock and return the sealed head; create the genesis head of an empty log.

    A head that is missing while events exist, or whose seal does not verify, was removed or
    rewritten outside the application: chaining after it would seal the forgery, so refuse.
    `begin`: open the transaction in the same text (`_Statements.begin_head`).
    """
    if begin:
        cursor.execute(_statements().begin_head)
        cursor.nextset()  # past BEGIN's empty result, to the head's row
    else:
        cursor.execute(_statements().head)
    row = cursor.fetchone()
    if row is None:
        if AuditEvent.objects.exists():
            logger.critical("Audit chain head missing while events exist: nothing can be appended.")
            raise AuditChainError("The audit chain head is missing: run manage.py verify_audit.")
        AuditHead.objects.create(pk=1, seq=0, hash=chain.GENESIS, ts=0, mac=chain.head_seal(0, chain.GENESIS, 0, key))
        cursor.execute(_statements().head)
        row = cursor.fetchone()
    head = _Head(*row)
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
    with transaction.atomic(), connection.cursor() as cursor:
        head = _locked_head(key, cursor)
        mark = chain.Checkpoint.make(head.seq, head.hash, key)
    logger.info("audit checkpoint %s", mark.to_json())
    return mark


class Segment(NamedTuple):
    """A segment of the chain: the trusted event before it, then the checkpoint that must end it
    (none for the events after the last checkpoint) with its segment's seal, if one is stored."""

    after: int
    after_hash: str
    upto: int | None = None
    upto_hash: str = ""
    seal: str = ""


# A full check of at least this many events is split between processes, one per core.
PARALLEL_FROM = 200_000


def verify_chain(
    *,
    batch: int = 20_000,
    checkpoints: Sequence[chain.Checkpoint] = (),
    since_last_checkpoint: bool = False,
    workers: int | None = None,
) -> chain.Verdict:
    """Verify the chain from the database, streaming rows in sequence order.

    The stored checkpoints come first: one at every multiple of CHECKPOINT_EVERY up to the head,
    each signed with the audit key and naming its event's hash. They cut the chain into segments,
    each verified from the checkpoint before it to the one after it (their links, sequence numbers
    and seals); a full check verifies every segment, side by side in `workers` processes for a
    long chain, and `since_last_checkpoint` only the events after the last checkpoint: the routine
    check, in time proportional to the new events.

    The database joins each event's columns into the sealed message (all columns are NOT NULL
    text or integers, whose text form is the one `chain.seal` used): one string per event
    crosses into Python instead of thirteen values.

    The head must exist once there are events, carry the application's seal and name the last
    event; events are read up to the head (a writer may append meanwhile), and one statement then
    counts any event beyond the head. Each checkpoint signed outside the database must still be
    in the chain: a log wiped, or cut below it, fails.
    """
    key = chain.audit_key()
    for mark in checkpoints:
        if not mark.is_signed(key):
            return chain.Verdict(False, 0, mark.seq, "a checkpoint is not signed with this audit key")
    head, rows, beyond = _head_and_checkpoints()
    upto = None if head is None else (int(head[0]), str(head[1]))
    anchors, verdict = _stored_checkpoints(key, rows, upto, beyond)
    if verdict is not None:
        return verdict
    # Each stored checkpoint's segment seal; the events after the last checkpoint have none.
    seals = [str(row[5] or "") for row in rows] + [""]
    if since_last_checkpoint:
        anchors, seals = anchors[-1:], seals[-1:]
    ends: list[tuple[int, str] | None] = [*anchors[1:], upto]
    segments = [
        Segment(*start) if end is None else Segment(*start, *end, seal)
        for start, end, seal in zip(anchors, ends, seals, strict=True)
    ]
    verdict = _verify_segments(segments, batch, _workers(workers, upto, since_last_checkpoint))
    if verdict.ok:
        verdict = _check_head(head, verdict.checked, key)
    if verdict.ok:
        verdict = _check_checkpoints(checkpoints, verdict.checked)
    return chain.Verdict(verdict.ok, verdict.checked, verdict.first_broken, verdict.reason, start=anchors[0][0])


Head = tuple[int, str, int, str]


def _head_and_checkpoints() -> tuple[Head | None, list[tuple[object, ...]], int | None]:
    """The sealed head, the stored checkpoints up to it with their events' hashes and their
    segments' seals, and the first checkpoint beyond it: read in one statement, so in one snapshot
    while servers append (a checkpoint committed between two reads would seem to lie beyond an
    older head)."""
    head_table, table = AuditHead._meta.db_table, AuditCheckpoint._meta.db_table
    events, seals = AuditEvent._meta.db_table, AuditSegmentSeal._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT h.seq, h.hash, h.ts, h.mac, (SELECT min(seq) FROM {table} WHERE seq > h.seq),"  # noqa: S608 - constant names
            f" c.seq, c.hash, c.ts, c.mac, e.hash, s.mac FROM {head_table} h"
            f" LEFT JOIN {table} c ON c.seq <= h.seq LEFT JOIN {events} e ON e.seq = c.seq"
            f" LEFT JOIN {seals} s ON s.seq = c.seq WHERE h.id = 1 ORDER BY c.seq"
        )
        found = cursor.fetchall()
        if found:
            first = found[0]
            head = (int(first[0]), str(first[1]), int(first[2]), str(first[3]))
            beyond = None if first[4] is None else int(first[4])
            return head, [row[5:] for row in found if row[5] is not None], beyond
        # No head (deleted, or a log never written): every checkpoint, for the check to go as far as it can.
        cursor.execute(
            f"SELECT c.seq, c.hash, c.ts, c.mac, e.hash, s.mac FROM {table} c"  # noqa: S608 - constant names
            f" LEFT JOIN {events} e ON e.seq = c.seq LEFT JOIN {seals} s ON s.seq = c.seq ORDER BY c.seq"
        )
        return None, list(cursor.fetchall()), None


def _stored_checkpoints(
    key: bytes, rows: list[tuple[object, ...]], head: tuple[int, str] | None, beyond: int | None
) -> tuple[list[tuple[int, str]], chain.Verdict | None]:
    """The genesis and every stored checkpoint up to the head, as (seq, hash); or why they fail.

    Each must be signed with the audit key and name an event still in the chain with its hash, and
    none may be missing at a multiple of CHECKPOINT_EVERY up to the head, nor lie beyond it.
    """
    every = chain.CHECKPOINT_EVERY
    anchors = [(0, chain.GENESIS)]
    for number, row in enumerate(rows, start=1):
        fault = _checkpoint_fault(number * every, row, key)
        if fault is not None:
            return anchors, chain.Verdict(False, 0, number * every, fault)
        anchors.append((number * every, str(row[1])))  # its seq, checked above
    last = anchors[-1][0]
    if head is not None and beyond is not None:
        reason = f"the stored checkpoint #{beyond} lies beyond the chain head"
        return anchors, chain.Verdict(False, 0, head[0] + 1, reason)
    if head is not None and head[0] - last >= every:
        return anchors, chain.Verdict(False, 0, last + every, f"the stored checkpoint #{last + every} is missing")
    return anchors, None


def _checkpoint_fault(expected: int, row: Sequence[object], key: bytes) -> str | None:
    """Why the stored checkpoint row (seq, hash, ts, mac, its event's hash, its segment's seal)
    fails, or None."""
    seq, digest, ts, mac, event_hash, _seal = row
    if int(str(seq)) != expected:
        return f"the stored checkpoint #{expected} is missing"
    if not chain.Checkpoint(seq=expected, hash=str(digest), ts=int(str(ts)), mac=str(mac)).is_signed(key):
        return f"the stored checkpoint #{expected} is not signed with the audit key"
    if event_hash is None:
        return f"events missing: the stored checkpoint #{expected} records it"
    if event_hash != digest:
        return f"the chain was rewritten below the stored checkpoint #{expected}"
    return None


def _message_sql(columns: Sequence[str]) -> tuple[str, list[str]]:
    """The sealed text of `columns` as the database writes it, and its parameters: PostgreSQL joins
    them with `||`; SQLite formats them in one `printf` call (its `||` copies the growing string at
    each join: a third of the check's time for a message's 24), its template bound as a parameter."""
    if connection.vendor == "postgresql":
        return " || chr(31) || ".join(columns), []
    return f"printf(%s, {', '.join(columns)})", [chain.SEP.join(["%s"] * len(columns))]


def _event_rows(after: int, upto: int | None, batch: int) -> Iterator[tuple[object, ...]]:
    """(seq, hash, sealed message) of the events after `after` up to `upto` (to the end without
    one), in sequence order."""
    message, params = _message_sql(chain.COLUMNS[:13])
    bound = f"seq > {int(after)}" + ("" if upto is None else f" AND seq <= {int(upto)}")
    with connection.cursor() as cursor:
        table = AuditEvent._meta.db_table
        cursor.execute(f"SELECT seq, hash, {message} FROM {table} WHERE {bound} ORDER BY seq", params)  # noqa: S608 - constant names
        while True:
            chunk = cursor.fetchmany(batch)
            if not chunk:
                return
            yield from chunk


def _stored_digest(after: int, upto: int) -> str | None:
    """The `chain.segment_digest` of the events after `after` up to `upto` as the database stores
    them, or None unless every row is there once and renders whole: the database joins the rows
    itself, and PostgreSQL hashes them too (no row crosses into Python).

    A row the text would not show is refused, as the event-by-event check would: on PostgreSQL a
    row whose text is NULL (its `||`; a second row of a number, once the owner dropped the key); on
    SQLite a hash that is not text of 64 bytes, as every seal is. SQLite's `printf` renders the
    whole row, its hash too, and one count checks the hash in the WHERE clause (about a fifth
    quicker than joining the hash with `||` and counting its type in the aggregate); `printf`
    stops at a NUL: a hash holding one, 64 bytes in all, renders shorter than the 64 hex digits
    sealed, so no longer matches, and one longer is left out of the count. The rows are joined in
    the order of the subquery, which the primary key's index gives without a sort (half the time of
    the aggregate's own ORDER BY on PostgreSQL); in any other order the digest would not match, and
    the segment would be verified event by event.
    """
    message, params = _message_sql(chain.COLUMNS)
    table = AuditEvent._meta.db_table
    expected = upto - after
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            rows = f"(SELECT {message} AS r FROM {table} WHERE seq > %s AND seq <= %s ORDER BY seq) AS segment"  # noqa: S608 - constant names
            digest_sql = "encode(sha256(convert_to(string_agg(r, chr(10)), 'UTF8')), 'hex')"
            cursor.execute(f"SELECT {digest_sql}, count(r), count(*) FROM {rows}", [after, upto])  # noqa: S608 - constant names
            digest, whole, count = cursor.fetchone() or (None, 0, 0)
            return str(digest) if digest is not None and whole == count == expected else None
        # As bytes (the text's UTF-8, as stored): not decoded into a string to be encoded again.
        cursor.execute(
            f"SELECT CAST(group_concat(r, char(10)) AS BLOB), count(*) FROM (SELECT {message} AS r FROM {table}"  # noqa: S608 - constant names
            " WHERE seq > %s AND seq <= %s AND typeof(hash) = 'text' AND length(CAST(hash AS BLOB)) = 64"
            " ORDER BY seq) AS segment",
            [*params, after, upto],
        )
        text, count = cursor.fetchone() or (None, 0)
        if text is None or count != expected:
            return None
        return chain.joined_digest(bytes(text), count)


def _verify_segment(segment: Segment, batch: int) -> chain.Verdict:
    """Verify the events after one anchor (seq, hash) up to the next, or to the end without one.

    A sealed segment is verified with its seal over the digest of its rows; the others, or one
    whose seal does not match, event by event: their sequence numbers, links (an event's
    `prev_hash` read from the end of its message) and seals (`chain.verify_messages`). A seal that
    does not match events which verify one by one is logged, not failed: the events are proven
    all the same, and only the seal (or how the database renders the rows) changed."""
    key = chain.audit_key()
    if segment.upto is not None and segment.seal:
        digest = _stored_digest(segment.after, segment.upto)
        expected = "" if digest is None else chain.segment_seal(segment.after, segment.upto, digest, key)
        # As bytes: a seal rewritten with other characters than hex digits must not raise.
        if hmac.compare_digest(expected.encode(), segment.seal.encode("utf-8", "replace")):
            return chain.Verdict(True, segment.upto)
    upto = None if segment.upto is None else (segment.upto, segment.upto_hash)
    rows = _event_rows(segment.after, segment.upto, batch)
    verdict = chain.verify_messages(rows, key=key, head=upto, after=(segment.after, segment.after_hash))
    if verdict.ok and segment.seal:
        logger.critical(
            "The seal of the audit events up to the stored checkpoint #%d does not match them;"
            " they verified one by one.",
            segment.upto,
        )
    return verdict


def _workers(asked: int | None, head: tuple[int, str] | None, recent: bool) -> int:
    """Processes for a full check: one per core for a long chain, outside any transaction.

    The segments between stored checkpoints never change, so processes reading them apart see the
    same chain; a check inside a transaction (whose rows other connections cannot see) or on an
    in-memory database stays in this process.
    """
    if recent or head is None or connection.in_atomic_block:
        return 1
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):  # :memory:, mode=memory
        return 1
    if asked is None:
        asked = len(os.sched_getaffinity(0)) if head[0] >= PARALLEL_FROM else 1  # the cores this process may use
    return max(1, asked)


def _verify_segments(segments: list[Segment], batch: int, workers: int) -> chain.Verdict:
    """The first failing segment's verdict in chain order, or the last segment's."""
    if workers == 1 or len(segments) == 1:
        results: Iterable[chain.Verdict] = (_verify_segment(segment, batch) for segment in segments)
        return _first_failure(results)
    size = -(-len(segments) // (workers * 8))  # a few runs of segments per process, in chain order
    runs = [(segments[index : index + size], batch) for index in range(0, len(segments), size)]
    connections.close_all()  # each process opens its own connection
    # A process that dies (memory, a signal) fails the check (BrokenProcessPool) instead of hanging it.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    try:
        return _first_failure(pool.map(_run_in_worker, runs))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_in_worker(arguments: tuple[list[Segment], int]) -> chain.Verdict:
    """Verify a run of consecutive segments in a worker process, on its own connection."""
    segments, batch = arguments
    try:
        return _first_failure(_verify_segment(segment, batch) for segment in segments)
    finally:
        connections.close_all()


def _first_failure(results: Iterable[chain.Verdict]) -> chain.Verdict:
    verdict = chain.Verdict(True, 0)
    for verdict in results:
        if not verdict.ok:
            return verdict
    return verdict


def _check_head(head: tuple[int, str, int, str] | None, checked: int, key: bytes) -> chain.Verdict:
    """The head is sealed by the application, and no event lies beyond it."""
    if head is None:
        return chain.Verdict(not checked, checked, None, "the chain head is missing" if checked else "")
    if not chain.head_is_sealed(head[0], head[1], head[2], head[3], key):
        return chain.Verdict(False, checked, None, "the chain head is not sealed with the audit key")
    table, head_table = AuditEvent._meta.db_table, AuditHead._meta.db_table
    with connection.cursor() as cursor:  # one statement, so one snapshot, while writers append
        cursor.execute(
            f"SELECT (SELECT min(seq) FROM {table} WHERE seq > (SELECT seq FROM {head_table} WHERE id = 1)),"  # noqa: S608 - constant names
            f" (SELECT min(seq) FROM {table} WHERE seq < 1)"
        )
        beyond, before = cursor.fetchone() or (None, None)
    if before is not None:
        # The chain starts at 1: a row numbered 0 or less was inserted beside it, never read by the segments.
        return chain.Verdict(False, checked, int(before), "an event numbered before the start of the chain")
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
