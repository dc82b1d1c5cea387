"""Checkpoints stored with the chain, a routine check from the last one, a full check side by side (issue 24).

The chain's head is signed and stored at every CHECKPOINT_EVERY events (5 here, 10,000 in use).
Someone with the database owner's rights (triggers off) deletes a checkpoint, cuts the tail,
rewrites an event or forges a checkpoint: each is detected, by the routine check where it touches
the checkpoints or the events after the last one, and always by the full check.
"""

from __future__ import annotations

import contextlib
import importlib
from pathlib import Path
from types import SimpleNamespace

import pytest

from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from careplus.audit import chain, services
from careplus.audit.choices import AuditAction
from careplus.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from careplus.audit.services import record_event, verify_chain
from careplus.audit.tests.owner import append_events, direct_database_access, sql
from tests.concurrency import needs_a_file_database, run_on_a_sqlite_file

EVERY = 5


@pytest.fixture(autouse=True)
def _small_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chain, "CHECKPOINT_EVERY", EVERY)


def _both() -> tuple[chain.Verdict, chain.Verdict]:
    return verify_chain(since_last_checkpoint=True), verify_chain()


@pytest.mark.django_db
def test_the_head_is_signed_and_stored_at_every_multiple_in_the_appending_transaction() -> None:
    append_events(12)
    stored = list(AuditCheckpoint.objects.values_list("seq", "hash", "ts", "mac"))
    assert [row[0] for row in stored] == [5, 10]
    for seq, digest, ts, mac in stored:
        event = AuditEvent.objects.get(seq=seq)
        assert (digest, ts) == (event.hash, event.ts)
        assert chain.Checkpoint(seq=seq, hash=digest, ts=ts, mac=mac).is_signed(chain.audit_key())


@pytest.mark.django_db
def test_the_routine_check_verifies_only_the_events_after_the_last_checkpoint() -> None:
    append_events(12)
    routine, full = _both()
    assert (routine.ok, routine.start, routine.checked, routine.verified) == (True, 10, 12, 2)
    assert (full.ok, full.start, full.checked, full.verified) == (True, 0, 12, 12)
    with direct_database_access():
        # An event below the last checkpoint: the routine check trusts its checkpoint, the full one does not.
        sql("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = 7")
        routine, full = _both()
        assert routine.ok
        assert (full.ok, full.first_broken, full.reason) == (False, 7, "event content does not match its seal")
        # An event after it: both.
        sql("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = 11")
        routine, _full = _both()
        assert (routine.ok, routine.first_broken) == (False, 11)


@pytest.mark.django_db
def test_the_routine_check_of_an_intact_chain_with_no_checkpoint_yet_is_the_full_check() -> None:
    append_events(3)
    routine, full = _both()
    assert routine == full
    assert (routine.ok, routine.checked, routine.verified) == (True, 3, 3)


@pytest.mark.django_db
@pytest.mark.parametrize("deleted", [5, 10])
def test_a_deleted_checkpoint_is_detected_by_both_checks(deleted: int) -> None:
    append_events(12)
    with direct_database_access():
        sql("DELETE FROM audit_auditcheckpoint WHERE seq = %s", [deleted])
        for verdict in _both():
            assert (verdict.ok, verdict.first_broken) == (False, deleted)
            assert verdict.reason == f"the stored checkpoint #{deleted} is missing"
        with pytest.raises(CommandError, match=f"BROKEN at event #{deleted}: the stored checkpoint #{deleted} is"):
            call_command("verify_audit", "--since-last-checkpoint")


@pytest.mark.django_db
def test_every_checkpoint_deleted_is_detected() -> None:
    append_events(12)
    with direct_database_access():
        sql("DELETE FROM audit_auditcheckpoint")
        for verdict in _both():
            assert (verdict.ok, verdict.reason) == (False, "the stored checkpoint #5 is missing")


@pytest.mark.django_db
def test_the_tail_cut_below_a_checkpoint_with_an_older_genuine_head_copied_back_is_detected() -> None:
    append_events(7)
    old = AuditHead.objects.get(pk=1)
    append_events(5)
    with direct_database_access():
        sql("UPDATE audit_audithead SET seq = %s, hash = %s, ts = %s, mac = %s", [old.seq, old.hash, old.ts, old.mac])
        for verdict in _both():
            assert (verdict.ok, verdict.first_broken) == (False, 8)
            assert verdict.reason == "the stored checkpoint #10 lies beyond the chain head"
        sql("DELETE FROM audit_auditevent WHERE seq > 7")
        for verdict in _both():
            assert (verdict.ok, verdict.first_broken) == (False, 8)
            assert verdict.reason == "the stored checkpoint #10 lies beyond the chain head"
        # With that checkpoint deleted too, the replayed earlier state verifies alone: a checkpoint
        # kept outside the database catches it (issue 19, point 11).
        sql("DELETE FROM audit_auditcheckpoint WHERE seq = 10")
        assert all(verdict.ok for verdict in _both())
        mark = chain.Checkpoint.make(12, "f" * 64, chain.audit_key())
        assert verify_chain(since_last_checkpoint=True, checkpoints=[mark]).reason == (
            "events missing: a checkpoint records #12"
        )


@pytest.mark.django_db
def test_a_checkpoint_whose_event_was_deleted_is_detected() -> None:
    append_events(12)
    with direct_database_access():
        sql("DELETE FROM audit_auditevent WHERE seq = 5")
        for verdict in _both():
            assert (verdict.ok, verdict.first_broken) == (False, 5)
            assert verdict.reason == "events missing: the stored checkpoint #5 records it"


@pytest.mark.django_db
def test_the_tail_cut_after_the_last_checkpoint_is_detected_by_the_routine_check() -> None:
    append_events(12)
    with direct_database_access():
        sql("DELETE FROM audit_auditevent WHERE seq > 11")
        for verdict in _both():
            assert (verdict.ok, verdict.first_broken) == (False, 12)
            assert verdict.reason == "events missing at the end of the chain"


@pytest.mark.django_db
def test_a_forged_or_moved_checkpoint_is_detected() -> None:
    append_events(12)
    with direct_database_access():
        sql("UPDATE audit_auditcheckpoint SET ts = ts + 1 WHERE seq = 5")
        for verdict in _both():
            assert verdict.reason == "the stored checkpoint #5 is not signed with the audit key"
    with direct_database_access():
        # The event the checkpoint names rewritten (hash and all) under a forged seal of its own.
        sql("UPDATE audit_auditevent SET hash = %s WHERE seq = 10", ["e" * 64])
        for verdict in _both():
            assert (verdict.first_broken, verdict.reason) == (
                10,
                "the chain was rewritten below the stored checkpoint #10",
            )


@pytest.mark.django_db
@pytest.mark.parametrize("seq", [0, -1])
def test_an_event_numbered_before_the_start_of_the_chain_is_detected(seq: int) -> None:
    """Inserted beside the chain (inserting needs no trigger switched off), it is never in a segment."""
    append_events(12)
    sql(
        "INSERT INTO audit_auditevent (seq, ts, actor_id, actor_label, roles, action, object_type, object_id,"
        " fields, ip, request_id, outcome, prev_hash, hash) VALUES (%s, 1, '', 'x', '', 'view', 'cases.case',"
        " 'y', '', '', '', 'success', %s, %s)",
        [seq, chain.GENESIS, "a" * 64],
    )
    for verdict in _both():
        assert (verdict.ok, verdict.first_broken) == (False, seq)
        assert verdict.reason == "an event numbered before the start of the chain"


@pytest.mark.django_db
def test_the_head_and_the_checkpoints_are_read_in_one_snapshot() -> None:
    """A checkpoint committed after the head was read is not taken for one beyond the head."""
    append_events(9)
    head, rows, beyond = services._head_and_checkpoints()
    append_events(1)  # the event #10 and its checkpoint, appended by another server meanwhile
    assert head is not None
    assert beyond is None
    anchors, verdict = services._stored_checkpoints(chain.audit_key(), rows, (head[0], head[1]), beyond)
    assert verdict is None
    assert anchors == [(0, chain.GENESIS), (5, AuditEvent.objects.get(seq=5).hash)]
    assert verify_chain().ok


@pytest.mark.django_db
def test_the_database_refuses_to_change_delete_or_invent_a_checkpoint() -> None:
    append_events(6)
    for statement, params in (
        ("UPDATE audit_auditcheckpoint SET ts = 1 WHERE seq = 5", []),
        ("DELETE FROM audit_auditcheckpoint WHERE seq = 5", []),
        ("INSERT INTO audit_auditcheckpoint (seq, hash, ts, mac) VALUES (6, %s, 1, %s)", ["f" * 64, "0" * 64]),
    ):
        with pytest.raises(DatabaseError, match="audit checkpoint"), transaction.atomic():
            sql(statement, params)
    assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [5]


@pytest.mark.django_db
def test_the_command_names_the_routine_checks_start(capsys: pytest.CaptureFixture[str]) -> None:
    append_events(12)
    call_command("verify_audit", "--since-last-checkpoint")
    out = capsys.readouterr().out
    assert "Audit chain OK: 2 events verified after the stored checkpoint #10 in " in out
    assert "12 in the chain." in out
    call_command("verify_audit")
    assert "Audit chain OK: 12 events verified in " in capsys.readouterr().out
    with pytest.raises(CommandError, match="--workers must be 1 or more"):
        call_command("verify_audit", "--workers", "0")


@pytest.mark.django_db(transaction=True)
def test_the_full_check_side_by_side_finds_the_first_break_in_chain_order(tmp_path: Path) -> None:
    """Processes verify the segments between checkpoints apart; the verdict is the serial one."""
    if needs_a_file_database():
        run_on_a_sqlite_file(
            __file__, "test_the_full_check_side_by_side_finds_the_first_break_in_chain_order", tmp_path
        )
        return
    append_events(33)
    assert verify_chain(workers=2) == verify_chain(workers=1)
    assert (verify_chain(workers=2).ok, verify_chain(workers=2).checked) == (True, 33)
    sqlite = connection.vendor == "sqlite"
    sql(
        "DROP TRIGGER audit_event_no_update"
        if sqlite
        else "ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_append_only"
    )
    try:
        sql("UPDATE audit_auditevent SET actor_label = 'x' WHERE seq IN (24, 13)")
        parallel, serial = verify_chain(workers=2), verify_chain(workers=1)
        assert parallel == serial
        assert (parallel.ok, parallel.first_broken, parallel.checked) == (False, 13, 12)
        # A check inside a transaction stays in this process (others could not see its rows).
        with transaction.atomic():
            assert services._workers(2, (33, ""), recent=False) == 1
    finally:
        sql(
            "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent"
            " BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END"
            if sqlite
            else "ALTER TABLE audit_auditevent ENABLE TRIGGER audit_event_append_only"
        )


def _a_caller_swallowing_the_audit_error() -> None:
    with transaction.atomic():
        AuditCheckpoint.objects.count()  # the action's own work would be here
        with contextlib.suppress(services.AuditChainError):
            record_event(action=AuditAction.VIEW, object_type="cases.case", object_id="x", actor=None)
        AuditEvent.objects.count()  # cannot go on: the transaction is marked for rollback


@pytest.mark.django_db
def test_an_action_whose_audit_event_cannot_be_written_is_not_kept_even_if_the_error_is_caught() -> None:
    """record_event takes no savepoint: its failure fails the caller's whole transaction."""
    append_events(2)
    with direct_database_access():
        sql("UPDATE audit_audithead SET mac = %s", ["0" * 64])
        with pytest.raises(DatabaseError, match="atomic"):
            _a_caller_swallowing_the_audit_error()


@pytest.mark.django_db
def test_the_migration_signs_the_checkpoints_of_an_existing_chain_only_as_far_as_it_verifies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    migration = importlib.import_module("careplus.audit.migrations.0004_stored_checkpoints")
    monkeypatch.setattr(migration, "EVERY", EVERY)
    editor = SimpleNamespace(connection=connection)
    append_events(12)
    with direct_database_access():
        sql("DELETE FROM audit_auditcheckpoint")
        migration.sign_existing(django_apps, editor)
        assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [5, 10]
        assert all(verdict.ok for verdict in _both())
    with direct_database_access():
        sql("DELETE FROM audit_auditcheckpoint")
        sql("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = 7")
        migration.sign_existing(django_apps, editor)
        assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [5]  # nothing signed past #7
        for verdict in _both():
            assert (verdict.ok, verdict.reason) == (False, "the stored checkpoint #10 is missing")
