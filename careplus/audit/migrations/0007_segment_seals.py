"""Seal the events between two stored checkpoints together, for a full check at one MAC a segment (issue 24).

The table is append-only like the checkpoints (no update; no delete, except by the test harness's
flush on SQLite when audit_maintenance is unlocked), and a seal may only be inserted for a stored
checkpoint. The segments of an existing chain are sealed here, each once its events verify one by
one, as far as the chain verifies: a segment left unsealed is verified event by event.
"""

import hashlib
import hmac

from django.conf import settings
from django.db import migrations, models

# Copied from careplus.audit.chain at the time of writing (migrations never import live code).
SEP = "\x1f"
SEGMENT_DOMAIN = "careplus-audit-segment"
EVERY = 10_000
COLUMNS = (
    "seq", "ts", "actor_id", "actor_label", "roles", "action", "object_type", "object_id", "fields", "ip",
    "request_id", "outcome", "prev_hash", "hash",
)  # fmt: skip

SQLITE_FORWARD = [
    """CREATE TRIGGER audit_segment_no_update BEFORE UPDATE ON audit_auditsegmentseal
       BEGIN SELECT RAISE(ABORT, 'audit segment seals are append-only'); END""",
    """CREATE TRIGGER audit_segment_no_delete BEFORE DELETE ON audit_auditsegmentseal
       WHEN (SELECT unlocked FROM audit_maintenance WHERE id = 1) IS NOT 1
       BEGIN SELECT RAISE(ABORT, 'audit segment seals are append-only'); END""",
    """CREATE TRIGGER audit_segment_on_a_checkpoint BEFORE INSERT ON audit_auditsegmentseal
       WHEN NOT EXISTS (SELECT 1 FROM audit_auditcheckpoint WHERE seq = NEW.seq)
       BEGIN SELECT RAISE(ABORT, 'an audit segment seal ends at a stored checkpoint'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_segment_no_update",
    "DROP TRIGGER IF EXISTS audit_segment_no_delete",
    "DROP TRIGGER IF EXISTS audit_segment_on_a_checkpoint",
]
POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION audit_segment_guard() RETURNS trigger AS $$
       BEGIN
         IF TG_OP <> 'INSERT' THEN
           RAISE EXCEPTION 'audit segment seals are append-only' USING ERRCODE = 'insufficient_privilege';
         END IF;
         IF NOT EXISTS (SELECT 1 FROM audit_auditcheckpoint WHERE seq = NEW.seq) THEN
           RAISE EXCEPTION 'an audit segment seal ends at a stored checkpoint'
             USING ERRCODE = 'insufficient_privilege';
         END IF;
         RETURN NEW;
       END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_segment_guard BEFORE INSERT OR UPDATE OR DELETE ON audit_auditsegmentseal
       FOR EACH ROW EXECUTE FUNCTION audit_segment_guard()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_segment_guard ON audit_auditsegmentseal",
    "DROP FUNCTION IF EXISTS audit_segment_guard()",
]


def _mac(message):
    return hmac.new(str(settings.CAREPLUS_AUDIT_KEY).encode(), message.encode(), hashlib.sha256).hexdigest()


def seal_existing(apps, schema_editor):
    """Seal each segment between stored checkpoints whose events verify one by one, walking the
    chain from its start: sealing stops at the first event that does not verify, so no seal ever
    blesses a forgery (verify_audit still finds it, event by event)."""
    alias = schema_editor.connection.alias
    events = apps.get_model("audit", "AuditEvent").objects.using(alias)
    checkpoints = dict(apps.get_model("audit", "AuditCheckpoint").objects.using(alias).values_list("seq", "hash"))
    seals = apps.get_model("audit", "AuditSegmentSeal")
    expected, prev, after, rows, sealed = 1, "0" * 64, 0, [], []
    for row in events.order_by("seq").values_list(*COLUMNS).iterator(chunk_size=10_000):
        seq, digest = row[0], row[-1]
        message = SEP.join(str(value) for value in row[:-1])
        if seq != expected or row[-2] != prev or _mac(message) != digest:
            break
        rows.append(f"{message}{SEP}{digest}")
        if seq in checkpoints:
            text = "\n".join(rows)  # a row holding a newline could not be told apart: not sealed
            if checkpoints[seq] != digest or seq != after + EVERY or text.count("\n") != len(rows) - 1:
                break
            segment = hashlib.sha256(text.encode()).hexdigest()
            sealed.append(seals(seq=seq, mac=_mac(SEP.join([SEGMENT_DOMAIN, str(after), str(seq), segment]))))
            after, rows = seq, []
        expected, prev = expected + 1, digest
    seals.objects.using(alias).bulk_create(sealed, batch_size=500)


def forward(apps, schema_editor):
    statements = SQLITE_FORWARD if schema_editor.connection.vendor == "sqlite" else POSTGRES_FORWARD
    for statement in statements:
        schema_editor.execute(statement)
    seal_existing(apps, schema_editor)


def backward(apps, schema_editor):
    statements = SQLITE_BACKWARD if schema_editor.connection.vendor == "sqlite" else POSTGRES_BACKWARD
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0006_change_index"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditSegmentSeal",
            fields=[
                ("seq", models.BigIntegerField(primary_key=True, serialize=False, verbose_name="sequence")),
                ("mac", models.CharField(max_length=64)),
            ],
            options={
                "verbose_name": "audit segment seal",
                "verbose_name_plural": "audit segment seals",
                "ordering": ["seq"],
            },
        ),
        migrations.RunPython(forward, backward),
    ]
