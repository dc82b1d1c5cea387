"""Copy the scores already recorded (JSON) into the numeric columns, in one statement."""

from django.db import migrations

KEYS = ("economic", "social", "psychosocial", "composite")


def backfill(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        values = ", ".join(f"score_{k} = (scores::jsonb ->> '{k}')::numeric" for k in KEYS)
    else:
        values = ", ".join(f"score_{k} = CAST(json_extract(scores, '$.{k}') AS REAL)" for k in KEYS)
    schema_editor.execute(f"UPDATE returns_visit SET {values} WHERE scores IS NOT NULL")


class Migration(migrations.Migration):
    dependencies = [("returns", "0004_visit_numeric_scores")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
