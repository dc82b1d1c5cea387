"""Acting as someone with the database owner's rights, for the tamper tests of the audit log."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connection, transaction

from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event

# The guards of the log, its head, its checkpoints and its segment seals (audit migrations), as each engine names them.
SQLITE_GUARDS = (
    "audit_event_no_update",
    "audit_event_no_delete",
    "audit_head_no_delete",
    "audit_head_forward_only",
    "audit_head_genesis_only",
    "audit_checkpoint_no_update",
    "audit_checkpoint_no_delete",
    "audit_checkpoint_on_an_event",
    "audit_segment_no_update",
    "audit_segment_no_delete",
    "audit_segment_on_a_checkpoint",
)
POSTGRESQL_GUARDS = (
    ("audit_auditevent", "audit_event_append_only"),
    ("audit_audithead", "audit_head_guard"),
    ("audit_auditcheckpoint", "audit_checkpoint_guard"),
    ("audit_auditsegmentseal", "audit_segment_guard"),
)


@contextmanager
def direct_database_access() -> Iterator[None]:
    """Every guard of the audit tables off, as their owner could, all of it rolled back after."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for name in SQLITE_GUARDS:
                cursor.execute(f"DROP TRIGGER {name}")
        else:
            for table, name in POSTGRESQL_GUARDS:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
        yield
        transaction.set_rollback(True)


def append_events(n: int) -> None:
    """Append n events to the chain the way the application does."""
    for index in range(n):
        record_event(action=AuditAction.VIEW, object_type="cases.case", object_id=f"obj-{index}", actor=None)


def sql(statement: str, params: Sequence[int | str] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])
