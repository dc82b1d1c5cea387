"""The events between two stored checkpoints sealed together, for a full check at one MAC a segment (issue 24).

A checkpoint's segment is sealed in the appending transaction once its events verify one by one;
the full check then verifies it with that seal over the digest of its rows, computed by the
database itself on PostgreSQL, and event by event where the seal does not match. Someone with the
database owner's rights (triggers off) who rewrites, removes, merges or adds rows is detected as
before, with the same verdict; a seal rewritten or removed only sends its segment back to the
event-by-event check (and is logged). `test_stored_checkpoints.py` runs the full check in two
processes over sealed segments with two events rewritten.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Sequence
from types import SimpleNamespace

import pytest

from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from careplus.audit import chain, services
from careplus.audit.choices import AuditAction
from careplus.audit.models import AuditEvent, AuditSegmentSeal
from careplus.audit.services import record_event, verify_chain
from careplus.audit.tests.owner import append_events, direct_database_access, sql

EVERY = 5


@pytest.fixture(autouse=True)
def _small_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chain, "CHECKPOINT_EVERY", EVERY)


@pytest.fixture
def per_event(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int | None]]:
    """The segments the full check verified event by event, as (after, up to)."""
    calls: list[tuple[int, int | None]] = []
    verify = chain.verify_messages

    def counting(
        rows: Iterable[Sequence[object]],
        *,
        key: bytes,
        head: tuple[int, str] | None,
        after: tuple[int, str] = (0, chain.GENESIS),
    ) -> chain.Verdict:
        calls.append((after[0], None if head is None else head[0]))
        return verify(rows, key=key, head=head, after=after)

    monkeypatch.setattr(chain, "verify_messages", counting)
    return calls


def _seals() -> list[int]:
    return list(AuditSegmentSeal.objects.values_list("seq", flat=True))


@pytest.mark.django_db
def test_each_checkpoint_seals_its_segment_and_the_full_check_verifies_it_with_that_one_seal(
    per_event: list[tuple[int, int | None]],
) -> None:
    append_events(12)
    assert _seals() == [5, 10]
    per_event.clear()  # the seals' own verification, at each checkpoint
    verdict = verify_chain()
    assert (verdict.ok, verdict.checked, verdict.verified) == (True, 12, 12)
    assert per_event == [(10, 12)]  # only the events after the last checkpoint, one by one


def test_the_digest_of_rows_that_could_not_be_told_apart_is_none() -> None:
    assert chain.segment_digest(["1\x1fa", "2\x1fb"]) == chain.segment_digest(["1\x1fa", "2\x1fb"])
    assert chain.segment_digest(["1\x1fa", "2\x1fb"]) != chain.segment_digest(["1\x1fa", "2\x1fc"])
    assert chain.segment_digest(["1\x1fa\n2\x1fb"]) is None  # the same text, one row holding the next
    assert chain.segment_digest([]) is None


@pytest.mark.django_db
def test_values_as_people_write_them_give_the_same_digest_in_the_database_and_in_python() -> None:
    labels = ["सीता शर्मा", "فاطمة الزهراء", "N'Diaye", "C:\\dossiers\\2026", "100 % ; -- COMMIT", "é" * 200]
    for label in labels:
        record_event(action=AuditAction.VIEW, object_type="cases.case", object_id=label[:64], actor_label=label)
    append_events(EVERY * 2 - len(labels))
    assert _seals() == [5, 10]
    for after in (0, 5):
        rows = services._event_rows(after, after + EVERY, batch=100)
        expected = chain.segment_digest([f"{text}{chain.SEP}{digest}" for _seq, digest, text in rows])
        assert expected is not None
        assert services._stored_digest(after, after + EVERY) == expected
    assert verify_chain().ok


def _merge_8_into_7() -> None:
    """Event #8's row taken into #7's last column after a newline, then deleted: the segment's rows
    joined by newlines read the same, one row fewer."""
    message, params = services._message_sql(chain.COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {message} FROM audit_auditevent WHERE seq = 8", params)
        (eighth,) = cursor.fetchone()
        if connection.vendor == "postgresql":  # the owner widens the column first (SQLite does not enforce it)
            cursor.execute("ALTER TABLE audit_auditevent ALTER COLUMN hash TYPE varchar(1000)")
    sql("UPDATE audit_auditevent SET hash = hash || %s WHERE seq = 7", [f"\n{eighth}"])
    sql("DELETE FROM audit_auditevent WHERE seq = 8")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tamper", "first_broken", "reason"),
    [
        (
            lambda: sql("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = 7"),
            7,
            "event content does not match its seal",
        ),
        (
            lambda: sql("UPDATE audit_auditevent SET hash = %s WHERE seq = 7", ["f" * 64]),
            7,
            "event content does not match its seal",
        ),
        (lambda: sql("DELETE FROM audit_auditevent WHERE seq = 8"), 8, "sequence gap or reorder"),
        (_merge_8_into_7, 7, "event content does not match its seal"),
    ],
    ids=["content", "seal-column", "deleted", "merged"],
)
def test_a_sealed_segment_rewritten_is_found_event_by_event_with_the_same_verdict(
    tamper: Callable[[], None], first_broken: int, reason: str
) -> None:
    append_events(12)
    with direct_database_access():
        tamper()
        verdict = verify_chain()
    assert (verdict.ok, verdict.checked, verdict.first_broken, verdict.reason) == (
        False,
        first_broken - 1,
        first_broken,
        reason,
    )


def _a_hash_stored_as_bytes() -> None:
    """#7's hash stored as the bytes of its text (a column of bytes on PostgreSQL, a BLOB on SQLite)."""
    if connection.vendor == "postgresql":
        sql("ALTER TABLE audit_auditevent ALTER COLUMN hash TYPE bytea USING convert_to(hash, 'UTF8')")
    else:
        sql("UPDATE audit_auditevent SET hash = CAST(hash AS BLOB) WHERE seq = 7")


@pytest.mark.django_db
def test_a_hash_stored_as_bytes_is_found_event_by_event() -> None:
    append_events(12)
    with direct_database_access():
        _a_hash_stored_as_bytes()
        verdict = verify_chain()
    # PostgreSQL's stored checkpoints name the old hashes as text: the check fails there first.
    assert not verdict.ok
    assert verdict.reason in {
        "event content does not match its seal",
        "the chain was rewritten below the stored checkpoint #5",
    }


@pytest.mark.django_db
def test_a_row_the_text_does_not_show_is_found_event_by_event() -> None:
    append_events(12)
    with direct_database_access():
        _a_row_the_text_does_not_show()
        verdict = verify_chain()
    expected = (
        "sequence gap or reorder" if connection.vendor == "postgresql" else "event content does not match its seal"
    )
    assert (verdict.ok, verdict.first_broken, verdict.reason) == (False, 7, expected)


@pytest.mark.django_db
def test_a_hash_of_64_bytes_the_text_shows_shorter_is_found_event_by_event(
    per_event: list[tuple[int, int | None]],
) -> None:
    """#7's hash kept at 64 bytes, its last four a control character and three others: on SQLite a
    NUL, where `printf` stops (PostgreSQL's text holds no NUL: a unit separator there). Only its
    segment is verified event by event, and the verdict names #7."""
    append_events(12)
    stop = "char(0)" if connection.vendor == "sqlite" else "chr(31)"
    with direct_database_access():
        sql(f"UPDATE audit_auditevent SET hash = substr(hash, 1, 60) || {stop} || 'abc' WHERE seq = 7")
        per_event.clear()
        verdict = verify_chain()
        assert (verdict.ok, verdict.first_broken, verdict.reason) == (
            False,
            7,
            "event content does not match its seal",
        )
        assert per_event == [(5, 10)]
        with connection.cursor() as cursor:
            size = "length(CAST(hash AS BLOB))" if connection.vendor == "sqlite" else "octet_length(hash)"
            cursor.execute(f"SELECT {size} FROM audit_auditevent WHERE seq = 7")
            assert cursor.fetchone() == (64,)


@pytest.mark.django_db
@pytest.mark.parametrize("forged", ["moved", "é" * 64], ids=["moved", "not-hex"])
def test_a_seal_forged_or_moved_is_logged_and_its_events_verified_one_by_one(
    forged: str, per_event: list[tuple[int, int | None]], caplog: pytest.LogCaptureFixture
) -> None:
    """The events are proven all the same: the seal, or how the database renders the rows, changed."""
    append_events(12)
    with direct_database_access(), caplog.at_level(logging.CRITICAL, logger="careplus.audit"):
        mac = AuditSegmentSeal.objects.get(seq=5).mac if forged == "moved" else forged
        sql("UPDATE audit_auditsegmentseal SET mac = %s WHERE seq = 10", [mac])
        per_event.clear()
        verdict = verify_chain()
        assert (verdict.ok, verdict.checked) == (True, 12)
        assert per_event == [(5, 10), (10, 12)]
        assert "The seal of the audit events up to the stored checkpoint #10 does not match them" in caplog.text


@pytest.mark.django_db
def test_a_missing_seal_means_its_segment_is_verified_event_by_event(per_event: list[tuple[int, int | None]]) -> None:
    append_events(12)
    with direct_database_access():
        sql("DELETE FROM audit_auditsegmentseal WHERE seq = 5")
        per_event.clear()
        verdict = verify_chain()
        assert (verdict.ok, verdict.checked) == (True, 12)
        assert per_event == [(0, 5), (10, 12)]


def _a_row_the_text_does_not_show() -> None:
    """PostgreSQL: a second event #7, one of its columns NULL (its row's text is NULL), once the
    owner dropped the key and the NOT NULL. SQLite: #7's hash with a NUL and more after it (printf
    stops at the NUL)."""
    if connection.vendor == "postgresql":
        sql("ALTER TABLE audit_auditevent DROP CONSTRAINT audit_auditevent_pkey CASCADE")
        sql("ALTER TABLE audit_auditevent ALTER COLUMN ip DROP NOT NULL")
        columns = ", ".join(chain.COLUMNS)
        sql(f"INSERT INTO audit_auditevent ({columns}) SELECT {columns} FROM audit_auditevent WHERE seq = 7")
        sql("UPDATE audit_auditevent SET ip = NULL WHERE ctid = (SELECT max(ctid) FROM audit_auditevent WHERE seq = 7)")
    else:
        sql("UPDATE audit_auditevent SET hash = hash || char(0) || 'more' WHERE seq = 7")


@pytest.mark.django_db
def test_an_event_rewritten_before_its_checkpoint_leaves_the_segment_unsealed(caplog: pytest.LogCaptureFixture) -> None:
    append_events(7)
    with direct_database_access(), caplog.at_level(logging.CRITICAL, logger="careplus.audit"):
        sql("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = 6")
        append_events(5)  # the checkpoint #10 is stored, its segment not sealed
        assert _seals() == [5]
        assert "Audit event #6 does not verify (event content does not match its seal)" in caplog.text
        verdict = verify_chain()
        assert (verdict.ok, verdict.first_broken, verdict.reason) == (False, 6, "event content does not match its seal")


@pytest.mark.django_db
def test_a_row_holding_a_newline_is_never_sealed(caplog: pytest.LogCaptureFixture) -> None:
    """A newline in an event's row (the values people type are cleaned of them; a code's are not)
    would blur where the row ends: its segment stays verified event by event."""
    append_events(6)
    with caplog.at_level(logging.CRITICAL, logger="careplus.audit"):
        record_event(action="view\nexport", object_type="cases.case", object_id="x", actor=None)
        append_events(3)
    assert _seals() == [5]
    assert "Audit event with a newline in its row: the segment up to #10 is not sealed." in caplog.text
    assert verify_chain().ok


@pytest.mark.django_db
def test_the_database_refuses_to_change_delete_or_invent_a_seal() -> None:
    append_events(6)
    for statement, params in (
        ("UPDATE audit_auditsegmentseal SET mac = %s WHERE seq = 5", ["0" * 64]),
        ("DELETE FROM audit_auditsegmentseal WHERE seq = 5", []),
        ("INSERT INTO audit_auditsegmentseal (seq, mac) VALUES (6, %s)", ["0" * 64]),
    ):
        with pytest.raises(DatabaseError, match="audit segment seal"), transaction.atomic():
            sql(statement, params)
    assert _seals() == [5]


@pytest.mark.django_db
def test_the_migration_seals_the_segments_of_an_existing_chain_only_as_far_as_it_verifies(
    monkeypatch: pytest.MonkeyPatch, per_event: list[tuple[int, int | None]]
) -> None:
    migration = importlib.import_module("careplus.audit.migrations.0007_segment_seals")
    monkeypatch.setattr(migration, "EVERY", EVERY)
    editor = SimpleNamespace(connection=connection)
    append_events(17)
    stored = dict(AuditSegmentSeal.objects.values_list("seq", "mac"))
    with direct_database_access():
        sql("DELETE FROM audit_auditsegmentseal")
        migration.seal_existing(django_apps, editor)
        assert dict(AuditSegmentSeal.objects.values_list("seq", "mac")) == stored  # the seals record_event makes
    with direct_database_access():
        sql("DELETE FROM audit_auditsegmentseal")
        sql("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = 7")
        migration.seal_existing(django_apps, editor)
        assert _seals() == [5]  # nothing sealed past #7
        per_event.clear()
        verdict = verify_chain()
        assert (verdict.ok, verdict.first_broken) == (False, 7)
        assert per_event[0] == (5, 10)


@pytest.mark.django_db
def test_a_chain_made_in_bulk_is_sealed_as_record_event_seals_it(per_event: list[tuple[int, int | None]]) -> None:
    from careplus.demo.synthetic import _Chain

    append_events(3)  # a chain continued from between two checkpoints: its first segment starts in the database
    with transaction.atomic():
        bulk = _Chain()
        for index in range(9):
            bulk.add((1_800_000_000_000_000 + index, "", "", "", "view", "cases.case", f"bulk-{index}", ""))
        bulk.flush()
    assert _seals() == [5, 10]  # the first segment too, sealed from its stored rows
    assert AuditEvent.objects.count() == 12
    made = dict(AuditSegmentSeal.objects.values_list("seq", "mac"))
    with direct_database_access():
        sql("DELETE FROM audit_auditsegmentseal")
        assert services.seal_unsealed_segments() == (2, 0)
    assert dict(AuditSegmentSeal.objects.values_list("seq", "mac")) == made  # the seals the command makes
    per_event.clear()  # the seals' own verification
    assert verify_chain().ok
    assert per_event == [(10, 12)]  # only the events after the last checkpoint, one by one


@pytest.mark.django_db
def test_the_command_seals_the_segments_left_unsealed_only_where_their_events_verify(
    capsys: pytest.CaptureFixture[str], per_event: list[tuple[int, int | None]]
) -> None:
    append_events(17)
    stored = dict(AuditSegmentSeal.objects.values_list("seq", "mac"))
    with direct_database_access():
        sql("DELETE FROM audit_auditsegmentseal")
        call_command("seal_audit_segments")
        assert "Audit segments sealed: 3; left unsealed (verified event by event): 0." in capsys.readouterr().out
        assert dict(AuditSegmentSeal.objects.values_list("seq", "mac")) == stored
        call_command("seal_audit_segments")
        assert "Audit segments sealed: 0; left unsealed (verified event by event): 0." in capsys.readouterr().out
    with direct_database_access():
        sql("DELETE FROM audit_auditsegmentseal WHERE seq > 5")
        sql("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = 7")
        call_command("seal_audit_segments")
        assert "Audit segments sealed: 1; left unsealed (verified event by event): 1." in capsys.readouterr().out
        assert _seals() == [5, 15]
