"""A file's latest timeline lines come from the end of its index: no sort, however long its history."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from careplus.cases import selectors
from careplus.cases.models import CaseEvent
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


def _generic_plan(sql: str, case_id: object) -> str:
    """PostgreSQL's plan for any file, as the statement it prepares once is planned."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE timeline_plan AS {sql.replace('%s', '$1')}")
        try:
            cursor.execute("EXPLAIN EXECUTE timeline_plan(%s)", [str(case_id)])
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE timeline_plan")


def test_the_latest_lines_of_a_timeline_are_read_in_the_index_order() -> None:
    case = factories.make_case()
    sql, params = selectors._latest_events(case.pk).query.sql_with_params()
    assert sql.count("%s") == 2
    assert params[0] == params[1]
    plan = _plan(sql, params)
    assert "caseevent_case_at_id" in plan, plan
    if connection.vendor == "postgresql":
        # The latest ids come from the end of the index, no further than the fifty asked, however
        # few lines the plan expects: only those fifty are sorted, never the whole history.
        generic = _generic_plan(sql, case.pk)
        assert "Index Only Scan Backward using caseevent_case_at_id" in generic, generic
        assert "Limit" in generic, generic
    else:
        # SQLite sorts only the fifty rows it joined: the ids' subquery reads the index in its order.
        lines = plan.splitlines()
        assert any("LIST SUBQUERY" in line for line in lines), plan
        assert sum("TEMP B-TREE" in line for line in lines) == 1, plan


def test_a_timeline_counts_all_its_lines_in_the_same_query() -> None:
    case = factories.make_case()
    for index in range(selectors.TIMELINE_RECENT + 7):
        CaseEvent.objects.create(case=case, kind="section_saved", params={"label": f"Visite {index}"})
    with CaptureQueriesContext(connection) as queries:
        shown = selectors.timeline(case)
    assert len(queries.captured_queries) == 1
    total = CaseEvent.objects.filter(case=case).count()
    assert (len(shown.events), shown.total, shown.hidden) == (selectors.TIMELINE_RECENT, total, total - 50)
    assert shown.events[-1].params == {"label": f"Visite {selectors.TIMELINE_RECENT + 6}"}  # the latest last
    assert [event.at for event in shown.events] == sorted(event.at for event in shown.events)
    everything = selectors.timeline(case, everything=True)
    assert everything.total == len(everything.events) == total
    assert everything.events[-len(shown.events) :] == shown.events


def test_a_file_with_no_line_counts_none() -> None:
    case = factories.make_case()
    CaseEvent.objects.filter(case=case).delete()
    assert selectors.timeline(case) == selectors.Timeline([], 0)
