"""A read's audit event outside any transaction (issue 24): on PostgreSQL it opens its transaction
with the head's read and commits it with its write, two round trips instead of four; whatever fails
in between is rolled back and the connection left outside any transaction, on both engines. Inside
`committed_at_the_end` the commit goes on while the block does: in a pipeline on PostgreSQL, on a
thread on SQLite."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from careplus.audit import chain, services
from careplus.audit.choices import AuditAction
from careplus.audit.models import AuditCheckpoint, AuditEvent, AuditHead, AuditSegmentSeal
from careplus.audit.services import AuditChainError, committed_at_the_end, record_event, verify_chain
from tests.connection_state import commits_after, in_a_transaction

pytestmark = pytest.mark.django_db(transaction=True)  # outside the test's own transaction


def _read(object_id: str) -> AuditEvent:
    return record_event(action=AuditAction.VIEW, object_type="test", object_id=object_id, actor=None)


def test_a_read_event_opens_and_commits_its_own_transaction_in_two_texts_on_postgresql() -> None:
    _read("first")  # the genesis head
    with CaptureQueriesContext(connection) as queries:
        event = _read("second")
    sent = [query["sql"] for query in queries.captured_queries]
    if connection.vendor == "postgresql":
        assert len(sent) == 2, sent
        assert sent[0].startswith("BEGIN; SELECT seq, hash, ts, mac FROM")
        assert sent[0].endswith("FOR UPDATE")
        assert sent[1].startswith("INSERT INTO")
        assert sent[1].endswith("; COMMIT")
    else:  # SQLite, as before: Django's transaction (IMMEDIATE: it queues writers) around the three statements
        assert [text.split()[0] for text in sent] == ["BEGIN", "SELECT", "INSERT", "UPDATE", "COMMIT"], sent
    assert not in_a_transaction()
    assert AuditHead.objects.get().hash == AuditEvent.objects.get(seq=event.seq).hash == event.hash
    verdict = verify_chain()
    assert verdict.ok, verdict.reason
    assert verdict.checked == 2


def test_an_event_that_cannot_be_written_changes_nothing_and_leaves_no_transaction_open() -> None:
    before = _read("before")
    # A row already where the next event goes (written around the application): its INSERT fails.
    AuditEvent.objects.create(
        **{**{column: getattr(before, column) for column in chain.COLUMNS}, "seq": before.seq + 1}
    )
    with pytest.raises(IntegrityError):
        _read("refused")
    assert not in_a_transaction()
    head = AuditHead.objects.get()
    assert (head.seq, head.hash) == (before.seq, before.hash)
    assert not AuditEvent.objects.filter(object_id="refused").exists()


def test_a_head_not_sealed_with_the_key_refuses_the_event_and_leaves_no_transaction_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = _read("before")
    monkeypatch.setattr(chain, "audit_key", lambda: b"another key" * 3)
    with pytest.raises(AuditChainError):
        _read("refused")
    assert not in_a_transaction()
    monkeypatch.undo()
    assert AuditHead.objects.get().seq == before.seq
    assert not AuditEvent.objects.filter(object_id="refused").exists()
    after = _read("after")  # the connection serves the next event as usual
    assert after.seq == before.seq + 1
    assert verify_chain().ok


@pytest.mark.parametrize("in_a_block", [False, True], ids=["alone", "committed at the end of a block"])
def test_the_event_that_reaches_a_checkpoint_commits_it_with_itself(
    monkeypatch: pytest.MonkeyPatch, in_a_block: bool
) -> None:
    """With its segment's seal, made in the same transaction; in a block committed at its end too
    (on SQLite the checkpoint and the seal then commit with the event on its thread)."""
    monkeypatch.setattr(chain, "CHECKPOINT_EVERY", 3)
    with committed_at_the_end() if in_a_block else contextlib.nullcontext():
        events = [_read(f"read-{number}") for number in range(7)]
    assert not in_a_transaction()
    assert list(AuditCheckpoint.objects.order_by("seq").values_list("seq", "hash")) == [
        (3, events[2].hash),
        (6, events[5].hash),
    ]
    assert list(AuditSegmentSeal.objects.values_list("seq", flat=True)) == [3, 6]
    verdict = verify_chain()
    assert verdict.ok, verdict.reason
    assert verdict.checked == 7


def test_events_committed_at_the_end_of_a_block_are_chained_and_awaited_before_it_ends(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`committed_at_the_end`: on PostgreSQL a read's write and commit go in a pipeline, on SQLite
    its commit is made on a thread, while the block goes on; either is awaited when the block ends,
    and a second event, or a query, in the block waits for the first commit."""
    _read("first")  # the genesis head
    went_on = threading.Event()
    commits = commits_after(went_on, monkeypatch)
    with committed_at_the_end():
        first = _read("in the block")
        if connection.vendor == "postgresql":
            assert connection.connection.pgconn.pipeline_status != 0  # its commit still in flight
        went_on.set()  # on SQLite its commit has waited for this line
        second = _read("after it")  # the first awaited, then written the same way
        assert AuditEvent.objects.filter(object_id="in the block").count() == 1  # a read waits too
    assert not in_a_transaction()
    if connection.vendor == "postgresql":
        assert connection.connection.pgconn.pipeline_status == 0
        assert commits == []
    else:  # both commits made on a thread, the first held while the block went on
        assert commits == [(True, True), (True, True)]
    assert second.seq == first.seq + 1
    assert AuditHead.objects.get().hash == second.hash
    verdict = verify_chain()
    assert verdict.ok, verdict.reason
    assert verdict.checked == 3


def test_an_event_in_a_transaction_is_written_at_once_even_in_a_block_committed_at_the_end() -> None:
    _read("first")
    with committed_at_the_end(), transaction.atomic():
        event = _read("inside")
        if connection.vendor == "postgresql":
            assert connection.connection.pgconn.pipeline_status == 0
        assert AuditHead.objects.get().seq == event.seq
    assert verify_chain().ok


def test_a_server_side_cursor_in_a_block_committed_at_the_end_waits_for_the_commit_then_runs() -> None:
    """psycopg runs no server-side cursor in a pipeline (Django reads `iterator()` with one on
    PostgreSQL, a form's choices among them): the event's commit is awaited first."""
    _read("first")
    with committed_at_the_end():
        event = _read("in the block")
        chained = [row.seq for row in AuditEvent.objects.order_by("seq").iterator(chunk_size=1)]
        if connection.vendor == "postgresql":
            assert connection.connection.pgconn.pipeline_status == 0  # left before the cursor ran
        assert chained[-1] == event.seq
        after = _read("after it")
    assert after.seq == event.seq + 1
    assert not in_a_transaction()
    assert verify_chain().ok


def test_a_commit_that_fails_in_the_block_is_raised_again_at_its_end_even_if_swallowed_there() -> None:
    """On PostgreSQL a read's write that fails is met while it is sent, if the server has answered
    already, or else by the block's next statement. Something in the block may swallow that error
    (a template's `{% if a and b %}` does): the block's end raises it again, so what the block made
    is never used without its event, and the connection is left outside any transaction and
    pipeline at once. On SQLite the event fails at its write, which raises there."""
    before = _read("before")
    # A row already where the next event goes (written around the application): its INSERT fails.
    AuditEvent.objects.create(
        **{**{column: getattr(before, column) for column in chain.COLUMNS}, "seq": before.seq + 1}
    )
    swallowed: list[str] = []
    counted: list[int] = []

    def block() -> None:
        with committed_at_the_end():
            try:
                _read("refused")
            except DatabaseError:
                swallowed.append("write")
            try:
                counted.append(AuditEvent.objects.filter(object_id="refused").count())
            except DatabaseError:
                swallowed.append("next statement")

    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError):
            block()
        # One or the other met the failure, whichever came after the server's answer.
        assert swallowed in (["write"], ["next statement"])
        assert counted == ([0] if swallowed == ["write"] else [])
        assert connection.connection.pgconn.pipeline_status == 0
    else:
        block()
        assert (swallowed, counted) == (["write"], [0])
    assert not in_a_transaction()
    assert not AuditEvent.objects.filter(object_id="refused").exists()
    assert AuditHead.objects.get().seq == before.seq


def test_a_commit_the_database_refuses_fails_the_block_at_its_end_and_changes_nothing() -> None:
    """A read's event whose commit is refused (a deferred constraint broken in its transaction, which
    the database checks at COMMIT): the block's end raises the refusal, whether the commit was made
    on a thread (SQLite) or sent in the pipeline (PostgreSQL); the event and the head's move are
    rolled back together and the connection serves the next event."""
    before = _read("before")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE refused_parent (id INTEGER PRIMARY KEY)")
        cursor.execute(
            "CREATE TEMP TABLE refused_child (ref INTEGER REFERENCES refused_parent (id) DEFERRABLE INITIALLY DEFERRED)"
        )

    def breaking(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        answered = execute(sql, params, many, context)
        if sql.startswith('UPDATE "audit_audithead"'):  # in the event's transaction, before its commit
            connection.connection.execute("INSERT INTO refused_child (ref) VALUES (1)")
        return answered

    try:
        with pytest.raises(IntegrityError), connection.execute_wrapper(breaking), committed_at_the_end():
            _read("refused")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE refused_child")
            cursor.execute("DROP TABLE refused_parent")
    assert not in_a_transaction()
    assert not AuditEvent.objects.filter(object_id="refused").exists()
    assert AuditHead.objects.get().seq == before.seq
    assert _read("after").seq == before.seq + 1
    verdict = verify_chain()
    assert verdict.ok, verdict.reason


def test_a_process_that_cannot_start_a_thread_still_commits_each_event_of_a_block(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server at its limit of threads: the event's commit is made at once instead (SQLite); on
    PostgreSQL none is needed."""

    class Refused(threading.Thread):
        def start(self) -> None:
            raise RuntimeError("can't start new thread")

    monkeypatch.setattr(services, "threading", SimpleNamespace(Thread=Refused))
    _read("first")
    with committed_at_the_end():
        first = _read("in the block")
        second = _read("after it")
    assert not in_a_transaction()
    assert list(AuditEvent.objects.filter(seq__gte=first.seq).order_by("seq").values_list("object_id", flat=True)) == [
        "in the block",
        "after it",
    ]
    assert AuditHead.objects.get().hash == second.hash
    assert verify_chain().ok
