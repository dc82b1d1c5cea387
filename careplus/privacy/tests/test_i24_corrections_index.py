"""A file's corrections are read from the index of the changes alone, however often it was viewed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from django.db import connection, transaction

from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.core.sql import Code
from careplus.privacy import rectification
from tests import factories

if TYPE_CHECKING:
    from django.db.backends.utils import _ExecuteParameters

pytestmark = pytest.mark.django_db


def _plan(sql: str, params: _ExecuteParameters) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # the test tables are tiny
            pieces = sql.split("%s")  # the values bound by the server, as `compiled` runs it
            numbered = "".join(f"{piece}${index}" for index, piece in enumerate(pieces[:-1], start=1))
            cursor.execute(f"PREPARE changes AS {numbered}{pieces[-1]}")
            cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")  # a plan for any value
            cursor.execute(f"EXPLAIN EXECUTE changes({', '.join(['%s'] * len(pieces[:-1]))})", params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            cursor.execute("DEALLOCATE changes")
            return plan
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def test_the_corrections_of_a_file_come_from_the_partial_index_of_the_changes() -> None:
    case = factories.make_case()
    for _index in range(5):
        record_event(action=AuditAction.VIEW, object_type="cases.case", object_id=case.pk)
    sql, params = rectification._changes(str(case.pk), rectification.LIMIT).query.sql_with_params()
    assert "'change'" in sql  # written, not bound: a prepared plan may use the partial index
    assert sorted(map(str, params)) == sorted(["cases.case", str(case.pk)])
    assert "audit_change_idx" in _plan(sql, params)
    assert rectification.corrections(case) == []  # views are no corrections


@pytest.mark.parametrize("typed", ["Change", "change'; --", "", "x" * 41, "é"])
def test_only_the_applications_own_codes_are_written_into_the_sql(typed: str) -> None:
    with pytest.raises(ValueError, match="Not an application code"):
        Code(typed)
