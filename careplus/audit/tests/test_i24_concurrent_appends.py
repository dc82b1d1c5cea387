"""Writers appending at the same moment keep one unbroken chain (issue 24: the append written by hand).

Each event is chained to the head read under its transaction's lock (PostgreSQL's FOR UPDATE on the
head row, SQLite's IMMEDIATE transaction on a file): without it two writers would read the same head
and both write the next number, or fork the chain.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import pytest

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from careplus.audit.choices import AuditAction
from careplus.audit.models import AuditEvent, AuditHead
from careplus.audit.services import record_event, verify_chain
from tests.concurrency import needs_a_file_database, run_on_a_sqlite_file

WRITERS = 4
EACH = 25


@pytest.mark.django_db(transaction=True)
def test_writers_appending_at_once_keep_one_unbroken_chain(tmp_path: Path) -> None:
    if needs_a_file_database():
        run_on_a_sqlite_file(__file__, "test_writers_appending_at_once_keep_one_unbroken_chain", tmp_path)
        return
    record_event(action=AuditAction.VIEW, object_type="test", object_id="before", actor=None)
    start = threading.Barrier(WRITERS)
    failures: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait(10)
            for index in range(EACH):
                if number % 2:  # a read's event: its own transaction (on PostgreSQL, opened and committed in its texts)
                    record_event(action=AuditAction.VIEW, object_type="test", object_id=f"{number}-{index}", actor=None)
                    continue
                with transaction.atomic():  # a change's event: in the change's transaction
                    record_event(action=AuditAction.VIEW, object_type="test", object_id=f"{number}-{index}", actor=None)
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    total = 1 + WRITERS * EACH
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, total + 1))
    written = set(AuditEvent.objects.filter(object_type="test").values_list("object_id", flat=True))
    assert written == {"before"} | {f"{n}-{i}" for n in range(WRITERS) for i in range(EACH)}  # none lost
    head = AuditHead.objects.get()
    assert head.seq == total
    assert head.hash == AuditEvent.objects.get(seq=total).hash
    verdict = verify_chain()
    assert verdict.ok, verdict.reason
    assert verdict.checked == total


@pytest.mark.django_db
def test_the_event_returned_is_the_one_stored() -> None:
    returned = record_event(action=AuditAction.VIEW, object_type="test", object_id="x", fields=["b", "a"], actor=None)
    stored = AuditEvent.objects.get(seq=returned.seq)
    columns = [field.attname for field in AuditEvent._meta.fields]
    assert {name: getattr(returned, name) for name in columns} == {name: getattr(stored, name) for name in columns}
    assert stored.fields == "a,b"


@pytest.mark.django_db
def test_an_event_takes_two_round_trips_on_postgresql_and_three_statements_on_sqlite() -> None:
    """The head read under its lock, then the event and the head's move (one text on PostgreSQL)."""
    record_event(action=AuditAction.VIEW, object_type="test", object_id="first", actor=None)  # the genesis head
    with CaptureQueriesContext(connection) as queries:
        record_event(action=AuditAction.VIEW, object_type="test", object_id="second", actor=None)
    sent = [query["sql"] for query in queries.captured_queries if query["sql"] not in {"BEGIN", "COMMIT"}]
    assert sent[0].startswith("SELECT seq, hash, ts, mac FROM")
    if connection.vendor == "postgresql":
        assert len(sent) == 2
        assert sent[1].startswith("INSERT INTO")
        assert "; UPDATE" in sent[1]
    else:
        assert [text.split()[0] for text in sent[1:]] == ["INSERT", "UPDATE"]
    head = AuditHead.objects.get()
    assert head.hash == AuditEvent.objects.get(object_id="second").hash


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("inside", [True, False], ids=["in-a-transaction", "its-own-transaction"])
def test_values_as_people_write_them_are_stored_as_given_and_the_chain_verifies(inside: bool) -> None:
    """The event's values travel bound, also in the one text PostgreSQL gets, and in the one that
    ends in COMMIT for an event in its own transaction: apostrophes, a semicolon, a COMMIT and
    another statement, other scripts, a percent sign."""
    label = "O'Brien; COMMIT; UPDATE audit_audithead SET seq = 0; --"
    fields = ["नाम", "اسم", "d'Arc", "50%"]
    with transaction.atomic() if inside else contextlib.nullcontext():
        event = record_event(
            action=AuditAction.VIEW, object_type="test", object_id="सीता", fields=fields, actor_label=label
        )
    stored = AuditEvent.objects.get(seq=event.seq)
    assert (stored.actor_label, stored.object_id) == (label, "सीता")
    assert sorted(stored.field_names) == sorted(fields)
    assert AuditHead.objects.get().seq == event.seq
    verdict = verify_chain()
    assert verdict.ok, verdict.reason
