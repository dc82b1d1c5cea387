"""Make the audit table append-only in the database itself, on SQLite and PostgreSQL.

Test harnesses that must empty the database (flush) set the single row of
audit_maintenance to 1 first; the application never does.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE TABLE audit_maintenance (id INTEGER PRIMARY KEY CHECK (id = 1), unlocked INTEGER NOT NULL DEFAULT 0)",
    "INSERT INTO audit_maintenance (id, unlocked) VALUES (1, 0)",
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
       WHEN (SELECT unlocked FROM audit_maintenance WHERE id = 1) IS NOT 1
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    "DROP TABLE IF EXISTS audit_maintenance",
]
POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit log is append-only' USING ERRCODE = 'insufficient_privilege'; END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
       FOR EACH ROW EXECUTE FUNCTION audit_append_only()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_append_only()",
]


def forward(apps, schema_editor):
    statements = SQLITE_FORWARD if schema_editor.connection.vendor == "sqlite" else POSTGRES_FORWARD
    for statement in statements:
        schema_editor.execute(statement)
    apps.get_model("audit", "AuditHead").objects.using(schema_editor.connection.alias).get_or_create(pk=1)


def backward(apps, schema_editor):
    statements = SQLITE_BACKWARD if schema_editor.connection.vendor == "sqlite" else POSTGRES_BACKWARD
    for statement in statements:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit_log")]
    operations = [migrations.RunPython(forward, backward)]
