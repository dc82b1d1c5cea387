"""The chain's sealed head and the checkpoints kept outside the database (issue 19, point 11).

Someone with direct database access (triggers switched off) cuts the tail and rewrites the head
from values copied from the table, deletes the head, or wipes the whole log: each is detected.
"""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import pytest

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from careplus.audit import chain
from careplus.audit.choices import AuditAction
from careplus.audit.models import AuditEvent, AuditHead
from careplus.audit.services import AuditChainError, checkpoint, record_event, verify_chain
from careplus.audit.tests.owner import append_events, direct_database_access, sql
from careplus.core.backup import checkpoint_path, read_header

pytestmark = pytest.mark.django_db


def _wipe() -> None:
    sql("DELETE FROM audit_auditevent")
    sql("DELETE FROM audit_audithead")


def test_p11_the_head_is_sealed_and_verification_checks_it() -> None:
    append_events(4)
    head = AuditHead.objects.get(pk=1)
    last = AuditEvent.objects.get(seq=4)
    assert (head.seq, head.hash, head.ts) == (4, last.hash, last.ts)
    assert chain.head_is_sealed(head.seq, head.hash, head.ts, head.mac, chain.audit_key())
    assert verify_chain().ok


def test_p11_tail_cut_with_the_head_rewritten_from_the_table_is_detected() -> None:
    append_events(6)
    with direct_database_access():
        sql("DELETE FROM audit_auditevent WHERE seq > 4")
        sql(
            "UPDATE audit_audithead SET seq = e.seq, hash = e.hash, ts = e.ts"
            " FROM (SELECT seq, hash, ts FROM audit_auditevent WHERE seq = 4) AS e WHERE id = 1"
        )
        assert AuditHead.objects.get(pk=1).seq == 4
        verdict = verify_chain()
        assert not verdict.ok
        assert verdict.reason == "the chain head is not sealed with the audit key"
        with pytest.raises(CommandError, match="BROKEN: the chain head is not sealed"):
            call_command("verify_audit")
        # The application does not chain after the forged head (that would seal it).
        with pytest.raises(AuditChainError), transaction.atomic():
            record_event(action=AuditAction.VIEW, object_type="cases.case", object_id="after", actor=None)
        assert AuditEvent.objects.count() == 4


def test_p11_a_head_copied_back_with_an_old_seal_is_detected() -> None:
    append_events(3)
    old = AuditHead.objects.get(pk=1)
    append_events(2)
    with direct_database_access():
        sql("DELETE FROM audit_auditevent WHERE seq > 3")
        sql("UPDATE audit_audithead SET seq = %s, hash = %s, ts = %s, mac = %s", [old.seq, old.hash, old.ts, old.mac])
        # A replayed genuine head of an earlier moment verifies alone: the checkpoint catches it.
        mark = chain.Checkpoint.make(5, "f" * 64, chain.audit_key())
        verdict = verify_chain(checkpoints=[mark])
        assert not verdict.ok
        assert verdict.reason == "events missing: a checkpoint records #5"


def test_p11_head_deleted_is_detected() -> None:
    append_events(5)
    with direct_database_access():
        sql("DELETE FROM audit_audithead")
        verdict = verify_chain()
        assert not verdict.ok
        assert verdict.reason == "the chain head is missing"
        assert verdict.checked == 5
        with pytest.raises(CommandError, match="the chain head is missing"):
            call_command("verify_audit")
        with pytest.raises(AuditChainError):
            record_event(action=AuditAction.VIEW, object_type="cases.case", object_id="after", actor=None)


def test_p11_everything_deleted_is_detected_with_a_checkpoint() -> None:
    append_events(5)
    mark = checkpoint()
    assert mark.seq == 5
    with direct_database_access():
        _wipe()
        # The application restarts the chain at 1: alone, the database cannot tell.
        append_events(1)
        assert AuditEvent.objects.get().seq == 1
        assert verify_chain().ok
        verdict = verify_chain(checkpoints=[mark])
        assert not verdict.ok
        assert verdict.reason == "events missing: a checkpoint records #5"
        # ...nor once the new chain has grown past the checkpoint's sequence number.
        append_events(7)
        verdict = verify_chain(checkpoints=[mark])
        assert not verdict.ok
        assert (verdict.first_broken, verdict.reason) == (5, "the chain was rewritten below a checkpoint")


def test_p11_everything_deleted_without_restart_is_detected_with_a_checkpoint() -> None:
    append_events(3)
    mark = checkpoint()
    with direct_database_access():
        _wipe()
        assert not verify_chain(checkpoints=[mark]).ok


def test_p11_an_intact_chain_reaches_its_checkpoints_and_a_forged_one_is_refused() -> None:
    append_events(3)
    early = checkpoint()
    append_events(3)
    late = checkpoint()
    assert verify_chain(checkpoints=[early, late]).ok
    forged = chain.Checkpoint(seq=late.seq, hash=late.hash, ts=late.ts + 1, mac=late.mac)
    verdict = verify_chain(checkpoints=[forged])
    assert not verdict.ok
    assert verdict.reason == "a checkpoint is not signed with this audit key"


def test_p11_the_database_lets_the_head_move_only_forward() -> None:
    append_events(4)
    event3 = AuditEvent.objects.get(seq=3)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditHead.objects.filter(pk=1).update(seq=3, hash=event3.hash)  # back to an earlier event
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditHead.objects.filter(pk=1).update(seq=9, hash="a" * 64)  # forward to no event
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditHead.objects.filter(pk=1).update(mac="b" * 64)  # same sequence number
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditHead.objects.filter(pk=1).delete()
    assert AuditHead.objects.get(pk=1).seq == 4
    assert verify_chain().ok


def test_p11_the_database_refuses_a_new_head_once_events_exist() -> None:
    append_events(2)
    with direct_database_access():
        sql("DELETE FROM audit_audithead")
        if connection.vendor == "sqlite":
            sql(
                """CREATE TRIGGER audit_head_genesis_only BEFORE INSERT ON audit_audithead
                   WHEN NEW.seq <> 0 OR EXISTS (SELECT 1 FROM audit_auditevent)
                   BEGIN SELECT RAISE(ABORT, 'audit chain head is created only before the first event'); END"""
            )
        else:
            sql("ALTER TABLE audit_audithead ENABLE TRIGGER audit_head_guard")
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditHead.objects.create(pk=1, seq=2, hash=AuditEvent.objects.get(seq=2).hash)


def test_p11_checkpoints_are_read_from_a_file_or_a_log(tmp_path: Path) -> None:
    append_events(2)
    mark = checkpoint()
    log = tmp_path / "careplus.log"
    log.write_text(
        f"INFO careplus.audit audit checkpoint {chain.Checkpoint.make(1, 'x', b'k').to_json()}\n"
        f"INFO careplus.audit audit checkpoint {mark.to_json()}\nINFO other\n"
    )
    call_command("verify_audit", "--checkpoint", str(log))  # the furthest one in the log is used
    empty = tmp_path / "empty.log"
    empty.write_text("nothing here\n")
    with pytest.raises(CommandError, match="Cannot read an audit checkpoint"):
        call_command("verify_audit", "--checkpoint", str(empty))


@pytest.mark.django_db(transaction=True)
def test_p11_each_backup_writes_a_signed_checkpoint_beside_inside_and_to_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    append_events(4)
    backup = tmp_path / "careplus.bak"
    with caplog.at_level(logging.INFO, logger="careplus.audit"):
        call_command("backup", str(backup))
    assert "audit checkpoint #5" in capsys.readouterr().out  # the backup's own event is #5
    beside = checkpoint_path(backup)
    assert stat.S_IMODE(beside.stat().st_mode) == 0o600
    mark = chain.Checkpoint.parse(beside.read_text())
    assert (mark.seq, mark.hash) == (5, AuditEvent.objects.get(seq=5).hash)
    assert read_header(backup)[0]["audit_checkpoint"] == json.loads(mark.to_json())
    logged = [r.getMessage() for r in caplog.records if r.name == "careplus.audit"]
    assert logged == [f"audit checkpoint {mark.to_json()}"]  # numbers and hashes, no one's data
    for source in (backup, beside):
        call_command("verify_audit", "--checkpoint", str(source))
        assert "reaching 1 checkpoint(s)" in capsys.readouterr().out
    with direct_database_access():
        _wipe()
        append_events(2)
        for source in (backup, beside):
            with pytest.raises(CommandError, match="events missing: a checkpoint records #5"):
                call_command("verify_audit", "--checkpoint", str(source))


def test_p11_an_older_checkpoint_written_after_a_later_one_does_not_hide_it() -> None:
    later = chain.Checkpoint.make(9, "b" * 64, b"k", ts=2)
    older = chain.Checkpoint.make(4, "a" * 64, b"k", ts=1)
    text = f"audit checkpoint {later.to_json()}\naudit checkpoint {older.to_json()}\n"
    assert chain.Checkpoint.parse(text) == later
