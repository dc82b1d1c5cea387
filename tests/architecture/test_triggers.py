"""Every database trigger the application relies on is present after the migrations.

On SQLite a migration that adds or alters a column rebuilds the table and drops the triggers
on it without a word: the dashboard's rollups would drift, and a stale case could keep a
withdrawn sharing consent's scope. This test fails instead.
"""

from __future__ import annotations

import re

import pytest

from django.db import connection

from careplus.cases import sharing
from careplus.reporting import rollups

pytestmark = pytest.mark.django_db


def _expected() -> set[str]:
    statements = rollups.install_sql(connection.vendor) + sharing.install_sql(connection.vendor)
    return {match.group(1) for s in statements if (match := re.match(r"CREATE TRIGGER (\w+)", s))}


def _installed() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        return {row[0] for row in cursor.fetchall()}


def test_the_rollup_and_sharing_triggers_are_installed() -> None:
    expected = _expected()
    # Each rollup and the sharing flag has its triggers on this engine (names differ by engine).
    for prefix in [rollup.name for rollup in rollups.ROLLUPS] + ["case_sharing"]:
        assert any(name.startswith(prefix) for name in expected), prefix
    assert expected - _installed() == set()


# The audit log's append-only triggers and its head's forward-only guard (issue 19, point 11),
# and the stored checkpoints' and segment seals' (issue 24).
AUDIT_TRIGGERS = {
    "sqlite": {
        "audit_event_no_update",
        "audit_event_no_delete",
        "audit_head_no_delete",
        "audit_head_genesis_only",
        "audit_head_forward_only",
        "audit_checkpoint_no_update",
        "audit_checkpoint_no_delete",
        "audit_checkpoint_on_an_event",
        "audit_segment_no_update",
        "audit_segment_no_delete",
        "audit_segment_on_a_checkpoint",
    },
    "postgresql": {"audit_event_append_only", "audit_head_guard", "audit_checkpoint_guard", "audit_segment_guard"},
}


def test_p11_the_audit_event_and_head_triggers_are_installed() -> None:
    assert AUDIT_TRIGGERS[connection.vendor] - _installed() == set()


def test_the_head_guard_reads_the_last_event_through_the_key_on_postgresql() -> None:
    """A cached generic plan of `EXISTS (... seq > NEW.seq)` scans every event (370 ms per audited
    request at 2 M events, issue 24); `max(seq)` reads the end of the primary key's index."""
    if connection.vendor != "postgresql":
        assert "audit_head_forward_only" in _installed()  # SQLite plans each trigger statement
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'audit_head_guard'")
        (source,) = cursor.fetchone()
    assert "max(seq)" in source
    assert "seq > NEW.seq)" not in source.replace("max(seq) FROM audit_auditevent) > NEW.seq", "")
