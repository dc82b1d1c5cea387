"""Install the triggers that keep the rollups in step, and fill the rollups once."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from careplus.reporting import rollups


def install(apps: Any, schema_editor: Any) -> None:
    for statement in rollups.install_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)
    rollups.rebuild(schema_editor.connection)


def uninstall(apps: Any, schema_editor: Any) -> None:
    for statement in rollups.uninstall_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0001_rollups"),
        ("returns", "0006_visit_covering_index"),
        ("cases", "0007_case_list_covering_indexes"),
        ("referrals", "0005_list_order_indexes"),  # triggers name its table: built after its rebuilds
    ]

    operations = [migrations.RunPython(install, uninstall)]
