"""A file's latest timeline lines come from the end of its index: no sort, however long its history."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from django.db import connection, transaction

from careplus.cases import selectors
from tests import factories

if TYPE_CHECKING:
    from django.db.backends.utils import _ExecuteParameters

pytestmark = pytest.mark.django_db


def _plan(sql: str, params: _ExecuteParameters) -> str:
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The test tables are tiny: take away the plans that only suit a handful of rows.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def test_the_latest_lines_of_a_timeline_are_read_in_the_index_order() -> None:
    case = factories.make_case()
    sql, params = selectors._events(case.pk, selectors.TIMELINE_RECENT).query.sql_with_params()
    plan = _plan(sql, params)
    assert "caseevent_case_at_id" in plan, plan
    # Neither engine sorts the lines.
    assert "Sort" not in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_a_timeline_is_counted_without_sorting_it() -> None:
    case = factories.make_case()
    sql, _params = selectors._event_ids(case.pk).query.sql_with_params()
    assert "ORDER BY" not in sql
    assert len(selectors.timeline(case).events) == selectors.timeline(case).total
