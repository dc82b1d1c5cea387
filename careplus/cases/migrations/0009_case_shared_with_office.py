"""The sharing consent copied on the case row, kept by triggers (cases/sharing.py).

On SQLite, adding (or removing) a column rebuilds the cases table; the dashboard's rollup
triggers name that table, so they are dropped before the rebuild and installed again after.

The SQL is a frozen copy, as careplus/cases/sharing.py and careplus/reporting/rollups.py wrote it
(the rollups' in reporting/migrations/_rollup_sql.py): a later change to the live code cannot
change what this migration does.
"""

from typing import Any

from django.conf import settings
from django.db import migrations, models

from careplus.reporting.migrations import _rollup_sql

SHARING_INSTALL: dict[str, list[str]] = {
    "sqlite": [
        (
            'CREATE TRIGGER case_sharing_consent_insert AFTER INSERT ON cases_consent BEGIN UPDATE '
            'cases_case SET shared_with_office = EXISTS (SELECT 1 FROM cases_consent standing WHERE '
            "standing.case_id = NEW.case_id AND standing.scope = 'share_return_office' AND "
            'standing.withdrawn_on IS NULL) WHERE id = NEW.case_id; END'
        ),
        (
            'CREATE TRIGGER case_sharing_consent_update AFTER UPDATE OF case_id, scope, withdrawn_on ON '
            'cases_consent BEGIN UPDATE cases_case SET shared_with_office = EXISTS (SELECT 1 FROM '
            'cases_consent standing WHERE standing.case_id = OLD.case_id AND standing.scope = '
            "'share_return_office' AND standing.withdrawn_on IS NULL) WHERE id = OLD.case_id; UPDATE "
            'cases_case SET shared_with_office = EXISTS (SELECT 1 FROM cases_consent standing WHERE '
            "standing.case_id = NEW.case_id AND standing.scope = 'share_return_office' AND "
            'standing.withdrawn_on IS NULL) WHERE id = NEW.case_id; END'
        ),
        (
            'CREATE TRIGGER case_sharing_consent_delete AFTER DELETE ON cases_consent BEGIN UPDATE '
            'cases_case SET shared_with_office = EXISTS (SELECT 1 FROM cases_consent standing WHERE '
            "standing.case_id = OLD.case_id AND standing.scope = 'share_return_office' AND "
            'standing.withdrawn_on IS NULL) WHERE id = OLD.case_id; END'
        ),
        (
            'CREATE TRIGGER case_sharing_guard_insert AFTER INSERT ON cases_case WHEN NEW.shared_with_office '
            'IS NOT EXISTS (SELECT 1 FROM cases_consent standing WHERE standing.case_id = NEW.id AND '
            "standing.scope = 'share_return_office' AND standing.withdrawn_on IS NULL) BEGIN UPDATE "
            'cases_case SET shared_with_office = EXISTS (SELECT 1 FROM cases_consent standing WHERE '
            "standing.case_id = NEW.id AND standing.scope = 'share_return_office' AND standing.withdrawn_on "
            'IS NULL) WHERE id = NEW.id; END'
        ),
        (
            'CREATE TRIGGER case_sharing_guard_update AFTER UPDATE OF shared_with_office ON cases_case WHEN '
            'NEW.shared_with_office IS NOT EXISTS (SELECT 1 FROM cases_consent standing WHERE '
            "standing.case_id = NEW.id AND standing.scope = 'share_return_office' AND standing.withdrawn_on "
            'IS NULL) BEGIN UPDATE cases_case SET shared_with_office = EXISTS (SELECT 1 FROM cases_consent '
            "standing WHERE standing.case_id = NEW.id AND standing.scope = 'share_return_office' AND "
            'standing.withdrawn_on IS NULL) WHERE id = NEW.id; END'
        ),
    ],
    "postgresql": [
        (
            'CREATE FUNCTION case_sharing_consent() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF TG_OP <> '
            "'INSERT' THEN UPDATE cases_case SET shared_with_office = EXISTS (SELECT 1 FROM cases_consent "
            "standing WHERE standing.case_id = OLD.case_id AND standing.scope = 'share_return_office' AND "
            "standing.withdrawn_on IS NULL) WHERE id = OLD.case_id; END IF; IF TG_OP <> 'DELETE' THEN UPDATE "
            'cases_case SET shared_with_office = EXISTS (SELECT 1 FROM cases_consent standing WHERE '
            "standing.case_id = NEW.case_id AND standing.scope = 'share_return_office' AND "
            'standing.withdrawn_on IS NULL) WHERE id = NEW.case_id; END IF; RETURN NULL; END $$'
        ),
        (
            'CREATE TRIGGER case_sharing_consent AFTER INSERT OR DELETE OR UPDATE OF case_id, scope, '
            'withdrawn_on ON cases_consent FOR EACH ROW EXECUTE FUNCTION case_sharing_consent()'
        ),
        (
            'CREATE FUNCTION case_sharing_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN '
            'NEW.shared_with_office := EXISTS (SELECT 1 FROM cases_consent standing WHERE standing.case_id = '
            "NEW.id AND standing.scope = 'share_return_office' AND standing.withdrawn_on IS NULL); RETURN "
            'NEW; END $$'
        ),
        (
            'CREATE TRIGGER case_sharing_guard BEFORE INSERT OR UPDATE OF shared_with_office ON cases_case '
            'FOR EACH ROW EXECUTE FUNCTION case_sharing_guard()'
        ),
    ],
}

SHARING_UNINSTALL: dict[str, list[str]] = {
    "sqlite": [
        'DROP TRIGGER IF EXISTS case_sharing_consent_insert',
        'DROP TRIGGER IF EXISTS case_sharing_consent_update',
        'DROP TRIGGER IF EXISTS case_sharing_consent_delete',
        'DROP TRIGGER IF EXISTS case_sharing_guard_insert',
        'DROP TRIGGER IF EXISTS case_sharing_guard_update',
    ],
    "postgresql": [
        'DROP TRIGGER IF EXISTS case_sharing_consent ON cases_consent',
        'DROP TRIGGER IF EXISTS case_sharing_guard ON cases_case',
        'DROP FUNCTION IF EXISTS case_sharing_consent()',
        'DROP FUNCTION IF EXISTS case_sharing_guard()',
    ],
}

SHARING_REBUILD: dict[str, list[str]] = {
    "sqlite": [
        (
            'UPDATE cases_case SET shared_with_office = EXISTS (SELECT 1 FROM cases_consent standing WHERE '
            "standing.case_id = cases_case.id AND standing.scope = 'share_return_office' AND "
            'standing.withdrawn_on IS NULL)'
        ),
    ],
    "postgresql": [
        (
            'UPDATE cases_case SET shared_with_office = EXISTS (SELECT 1 FROM cases_consent standing WHERE '
            "standing.case_id = cases_case.id AND standing.scope = 'share_return_office' AND "
            'standing.withdrawn_on IS NULL)'
        ),
    ],
}


def drop_rollups(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _rollup_sql.run(schema_editor, _rollup_sql.UNINSTALL)


def install_rollups(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _rollup_sql.run(schema_editor, _rollup_sql.INSTALL)


def install(apps: Any, schema_editor: Any) -> None:
    install_rollups(apps, schema_editor)
    with schema_editor.connection.cursor() as cursor:
        for statement in SHARING_REBUILD[schema_editor.connection.vendor]:
            cursor.execute(statement)
    for statement in SHARING_INSTALL[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)


def uninstall(apps: Any, schema_editor: Any) -> None:
    for statement in SHARING_UNINSTALL[schema_editor.connection.vendor]:
        schema_editor.execute(statement, params=None)
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
