"""The sharing consent copied on the case row, kept by triggers (cases/sharing.py).

On SQLite, adding (or removing) a column rebuilds the cases table; the dashboard's rollup
triggers name that table, so they are dropped before the rebuild and installed again after.
"""

from typing import Any

from django.conf import settings
from django.db import migrations, models

from careplus.cases import sharing
from careplus.reporting import rollups


def _run(schema_editor: Any, statements: list[str]) -> None:
    for statement in statements:
        schema_editor.execute(statement, params=None)


def drop_rollups(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _run(schema_editor, rollups.uninstall_sql("sqlite"))


def install_rollups(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _run(schema_editor, rollups.install_sql("sqlite"))


def install(apps: Any, schema_editor: Any) -> None:
    install_rollups(apps, schema_editor)
    sharing.rebuild(schema_editor.connection)
    _run(schema_editor, sharing.install_sql(schema_editor.connection.vendor))


def uninstall(apps: Any, schema_editor: Any) -> None:
    _run(schema_editor, sharing.uninstall_sql(schema_editor.connection.vendor))
    drop_rollups(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_api_tokens"),
        ("cases", "0008_list_order_indexes"),
        ("core", "0003_instrument"),
        ("programmes", "0001_programme"),
        ("reporting", "0002_rollup_triggers"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(drop_rollups, install_rollups),
        migrations.RemoveIndex(
            model_name="case",
            name="case_office_list_cover",
        ),
        migrations.AddField(
            model_name="case",
            name="shared_with_office",
            field=models.BooleanField(
                default=False, editable=False, verbose_name="sharing with the return office consented"
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("shared_with_office", True)),
                fields=["office", "-opened_on", "reference", "restricted", "shared_with_office", "id"],
                name="case_office_list",
            ),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("shared_with_office", True)),
                fields=["office", "status", "-opened_on", "reference", "restricted", "shared_with_office", "id"],
                name="case_office_status_list",
            ),
        ),
        migrations.RunPython(install, uninstall),
    ]
