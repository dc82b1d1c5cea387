"""The audit chain: one event per action, tamper detection, append-only storage."""

from __future__ import annotations

import random

import pytest

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from careplus.audit import chain
from careplus.audit.choices import AuditAction
from careplus.audit.models import AuditEvent
from careplus.audit.services import record_event, verify_chain
from careplus.audit.tests.owner import append_events, direct_database_access

pytestmark = pytest.mark.django_db


def test_an_intact_chain_verifies() -> None:
    append_events(25)
    verdict = verify_chain()
    assert verdict.ok
    assert verdict.checked == 25


def test_a_hundred_random_tamperings_are_all_detected() -> None:
    append_events(30)
    rng = random.Random(20261123)
    table = "audit_auditevent"
    detected = 0
    for _round in range(100):
        kind = rng.choice(["update", "delete", "insert", "reorder"])
        seq = rng.randint(1, 30)
        with direct_database_access(), connection.cursor() as cursor:
            if kind == "update":
                column = rng.choice(["actor_label", "action", "object_id", "fields", "ip", "outcome", "ts"])
                value = "999" if column == "ts" else "forged"
                cursor.execute(f"UPDATE {table} SET {column} = %s WHERE seq = %s", [value, seq])
            elif kind == "delete":
                cursor.execute(f"DELETE FROM {table} WHERE seq = %s", [seq])
            elif kind == "insert":
                cursor.execute(
                    f"INSERT INTO {table} (seq, ts, actor_id, actor_label, roles, action, object_type,"
                    " object_id, fields, ip, request_id, outcome, prev_hash, hash)"
                    " VALUES (%s, 1, '', 'x', '', 'view', 'cases.case', 'x', '', '', '', 'success', %s, %s)",
                    [31 + rng.randint(0, 5), "0" * 64, "f" * 64],
                )
            else:
                other = seq % 30 + 1
                cursor.execute(f"UPDATE {table} SET seq = -1 WHERE seq = %s", [seq])
                cursor.execute(f"UPDATE {table} SET seq = %s WHERE seq = %s", [seq, other])
                cursor.execute(f"UPDATE {table} SET seq = %s WHERE seq = -1", [other])
            verdict = verify_chain()
            detected += not verdict.ok
    assert detected == 100
    assert verify_chain().ok


def test_verify_audit_names_the_first_broken_event() -> None:
    append_events(10)
    with direct_database_access(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_label = 'someone else' WHERE seq = 4")
        with pytest.raises(CommandError, match="#4"):
            call_command("verify_audit")


def test_verify_audit_reports_an_intactappend_events(capsys: pytest.CaptureFixture[str]) -> None:
    append_events(3)
    call_command("verify_audit")
    assert "Audit chain OK: 3 events verified" in capsys.readouterr().out


def test_deleting_the_newest_events_is_detected_through_the_head() -> None:
    append_events(5)
    with direct_database_access(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 5")
        verdict = verify_chain()
    assert not verdict.ok
    assert verdict.first_broken == 5


def test_the_application_cannot_update_or_delete_events() -> None:
    append_events(2)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(actor_label="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=2).delete()
    assert AuditEvent.objects.count() == 2
    assert verify_chain().ok


def test_control_characters_cannot_forge_the_serialisation() -> None:
    event = record_event(action=AuditAction.LOGIN_FAILED, actor=None, actor_label="a\x1fb\nc")
    assert event.actor_label == "abc"
    assert verify_chain().ok


@pytest.mark.parametrize("key", [b"", b"short key", b"k" * 64, b"a much longer key " * 8])
def test_the_verifier_seals_exactly_as_the_writer(key: bytes) -> None:
    message = chain.SEP.join(["1", "1700000000", "é", "x" * 300]).encode()
    assert chain.Sealer(key).hexdigest(message) == chain.seal(["1", "1700000000", "é", "x" * 300], key)


def test_events_with_accented_text_verify_from_the_database() -> None:
    record_event(action=AuditAction.LOGIN_FAILED, actor=None, actor_label="zoé.ñandú@exemple.test")
    record_event(action=AuditAction.VIEW, actor=None, object_type="cases.case", object_id="dossier-été")
    assert verify_chain().ok


@pytest.mark.parametrize(
    ("forged", "reason"),
    [
        ("other", "link to the previous event broken"),  # the hash of another event
        ("longer", "event content does not match its seal"),  # the right hash, something before it
        ("split", "event content does not match its seal"),  # a separator slipped in before it
    ],
)
def test_a_forged_link_to_the_previous_event_is_found_at_that_event(forged: str, reason: str) -> None:
    """The check reads an event's link from the end of its message: only the sealed text passes."""
    append_events(12)
    before, other = (AuditEvent.objects.get(seq=seq).hash for seq in (9, 4))
    value = {"other": other, "longer": f"0{before}", "split": f"x{chain.SEP}{before}"}[forged]
    update = "UPDATE audit_auditevent SET prev_hash = %s WHERE seq = 10"
    with direct_database_access(), connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(value) > 64:
            # PostgreSQL holds a link of 64 characters at most: the owner cannot even write it.
            with pytest.raises(DatabaseError, match="too long"), transaction.atomic():
                cursor.execute(update, [value])
            return
        cursor.execute(update, [value])
        verdict = verify_chain()
    assert (verdict.ok, verdict.first_broken, verdict.reason) == (False, 10, reason)
    assert verify_chain().ok  # rolled back
