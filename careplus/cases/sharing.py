"""`Case.shared_with_office`: does the person's consent to share with the return office stand?

The scope of a caseworker (access.scopes) is "the cases of my offices whose sharing consent
stands". Asked of the consents table, that is one lookup per case, 10,000 of them to count an
office's list; asked of the case row, it is read from the list's index. The flag is a copy of
the consents, so the database keeps it, not the application:

- a trigger on the consents recomputes it whenever a consent is recorded, withdrawn, moved or
  deleted, in the same transaction (bulk paths included);
- a guard on the case recomputes it whenever a write sets it, so a stale case saved from memory
  cannot bring back a withdrawn consent, nor can anything set it by hand.

Installed by migration cases 0009 from a frozen copy of this SQL (a change here needs a new
migration with its own copy; tests/architecture/test_frozen_sql.py compares the two);
`differences` counts the cases whose flag is wrong (0).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from careplus.cases.choices import ConsentScope

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

_SCOPE = ConsentScope.SHARE_RETURN_OFFICE.value


def _standing(case_id: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM cases_consent standing "
        f"WHERE standing.case_id = {case_id} AND standing.scope = '{_SCOPE}' AND standing.withdrawn_on IS NULL)"
    )


def _refresh(case_id: str) -> str:
    return f"UPDATE cases_case SET shared_with_office = {_standing(case_id)} WHERE id = {case_id}"


def install_sql(vendor: str) -> list[str]:
    """Return the statements creating the triggers that keep the flag equal to the consents."""
    if vendor == "sqlite":
        # SQLite cannot assign NEW in a trigger: the guard corrects the row after the write
        # (recursive triggers are off, so its own update does not fire it again).
        wrong = f"NEW.shared_with_office IS NOT {_standing('NEW.id')}"
        return [
            f"CREATE TRIGGER case_sharing_consent_insert AFTER INSERT ON cases_consent "
            f"BEGIN {_refresh('NEW.case_id')}; END",
            f"CREATE TRIGGER case_sharing_consent_update AFTER UPDATE OF case_id, scope, withdrawn_on "
            f"ON cases_consent BEGIN {_refresh('OLD.case_id')}; {_refresh('NEW.case_id')}; END",
            f"CREATE TRIGGER case_sharing_consent_delete AFTER DELETE ON cases_consent "
            f"BEGIN {_refresh('OLD.case_id')}; END",
            f"CREATE TRIGGER case_sharing_guard_insert AFTER INSERT ON cases_case WHEN {wrong} "
            f"BEGIN {_refresh('NEW.id')}; END",
            f"CREATE TRIGGER case_sharing_guard_update AFTER UPDATE OF shared_with_office ON cases_case "
            f"WHEN {wrong} BEGIN {_refresh('NEW.id')}; END",
        ]
    return [
        "CREATE FUNCTION case_sharing_consent() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN {_refresh('OLD.case_id')}; END IF; "
        f"IF TG_OP <> 'DELETE' THEN {_refresh('NEW.case_id')}; END IF; RETURN NULL; END $$",
        "CREATE TRIGGER case_sharing_consent AFTER INSERT OR DELETE OR UPDATE OF case_id, scope, withdrawn_on "
        "ON cases_consent FOR EACH ROW EXECUTE FUNCTION case_sharing_consent()",
        "CREATE FUNCTION case_sharing_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"NEW.shared_with_office := {_standing('NEW.id')}; RETURN NEW; END $$",
        "CREATE TRIGGER case_sharing_guard BEFORE INSERT OR UPDATE OF shared_with_office ON cases_case "
        "FOR EACH ROW EXECUTE FUNCTION case_sharing_guard()",
    ]


def uninstall_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        names = ("consent_insert", "consent_update", "consent_delete", "guard_insert", "guard_update")
        return [f"DROP TRIGGER IF EXISTS case_sharing_{name}" for name in names]
    return [
        "DROP TRIGGER IF EXISTS case_sharing_consent ON cases_consent",
        "DROP TRIGGER IF EXISTS case_sharing_guard ON cases_case",
        "DROP FUNCTION IF EXISTS case_sharing_consent()",
        "DROP FUNCTION IF EXISTS case_sharing_guard()",
    ]


def rebuild(connection: BaseDatabaseWrapper) -> None:
    """Set every case's flag from its consents (once, when the flag is introduced)."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE cases_case SET shared_with_office = {_standing('cases_case.id')}")


def differences(connection: BaseDatabaseWrapper) -> int:
    """Count the cases whose flag disagrees with their consents (0 when in step)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM cases_case WHERE shared_with_office <> {_standing('cases_case.id')}")
        (count,) = cursor.fetchone()
    return int(count)
