"""A file's responsible caseworker (issue 21, point 7: staff leaving).

On SQLite, removing a column rebuilds the table, and the triggers that name `cases_case` (rollups,
sharing rules) would make the rebuild fail, or be lost with the old table. They are set aside
around the change and created again from their own SQL; no row changes, so nothing needs
recomputing. PostgreSQL alters the table in place and needs none of this.
"""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

_SET_ASIDE: list[tuple[str, str]] = []


def _set_triggers_aside(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND instr(sql, 'cases_case') > 0"
        )
        rows = [(str(name), str(sql)) for name, sql in cursor.fetchall()]
    for name, _sql in rows:
        schema_editor.execute(f'DROP TRIGGER "{name}"', params=None)
    _SET_ASIDE[:] = rows


def _put_triggers_back(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "sqlite":
        return
    for _name, sql in _SET_ASIDE:
        schema_editor.execute(sql, params=None)
    _SET_ASIDE.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0012_case_imports"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(_set_triggers_aside, _put_triggers_back, elidable=False),
        migrations.AddField(
            model_name="case",
            name="caseworker",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="responsible caseworker",
            ),
        ),
        migrations.RunPython(_put_triggers_back, _set_triggers_aside, elidable=False),
    ]
