"""Install the triggers that keep the rollups in step, and fill the rollups once.

The SQL is the frozen copy in _rollup_sql.py (not the live careplus.reporting.rollups), so that
this migration installs the same triggers whatever the live code later becomes.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from careplus.reporting.migrations import _rollup_sql


def install(apps: Any, schema_editor: Any) -> None:
    _rollup_sql.run(schema_editor, _rollup_sql.INSTALL)
    _rollup_sql.rebuild(schema_editor.connection)


def uninstall(apps: Any, schema_editor: Any) -> None:
    _rollup_sql.run(schema_editor, _rollup_sql.UNINSTALL)


class Migration(migrations.Migration):
    dependencies = [
        ("reporting", "0001_rollups"),
        ("returns", "0006_visit_covering_index"),
        ("cases", "0007_case_list_covering_indexes"),
        ("referrals", "0005_list_order_indexes"),  # triggers name its table: built after its rebuilds
    ]

    operations = [migrations.RunPython(install, uninstall)]
