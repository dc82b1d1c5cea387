"""The head's guard on PostgreSQL reads the last event through the primary key (issue 24).

PL/pgSQL caches a generic plan for the guard's queries after a few runs; for
`EXISTS (... WHERE seq > NEW.seq)` that plan scans the whole event table (expecting a third of the
rows to match, it expects to stop at once, and no row ever matches): 370 ms per audited request at
2,000,000 events. `max(seq)` is read from the end of the primary key's index whatever the plan.
The rule is unchanged: the head moves only forward, to the last event, with that event's hash.
SQLite's triggers are planned per statement and use the key already.
"""

from django.db import migrations

GUARD = """CREATE OR REPLACE FUNCTION audit_head_guard() RETURNS trigger AS $$
   BEGIN
     IF TG_OP = 'DELETE' THEN
       RAISE EXCEPTION 'audit chain head cannot be deleted' USING ERRCODE = 'insufficient_privilege';
     END IF;
     IF TG_OP = 'INSERT' THEN
       IF NEW.seq <> 0 OR EXISTS (SELECT 1 FROM audit_auditevent) THEN
         RAISE EXCEPTION 'audit chain head is created only before the first event'
           USING ERRCODE = 'insufficient_privilege';
       END IF;
       RETURN NEW;
     END IF;
     IF NEW.id <> OLD.id OR NEW.seq <= OLD.seq
        OR NOT EXISTS (SELECT 1 FROM audit_auditevent WHERE seq = NEW.seq AND hash = NEW.hash)
        OR %(last)s THEN
       RAISE EXCEPTION 'audit chain head moves only forward, to the last event'
         USING ERRCODE = 'insufficient_privilege';
     END IF;
     RETURN NEW;
   END;
   $$ LANGUAGE plpgsql"""
BY_INDEX = GUARD % {"last": "(SELECT max(seq) FROM audit_auditevent) > NEW.seq"}
AS_BEFORE = GUARD % {"last": "EXISTS (SELECT 1 FROM audit_auditevent WHERE seq > NEW.seq)"}


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BY_INDEX)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(AS_BEFORE)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_stored_checkpoints")]
    operations = [migrations.RunPython(forward, backward)]
