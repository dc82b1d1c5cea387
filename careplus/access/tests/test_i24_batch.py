"""Compiled queries read together (`compiled.Batch`): the rows each would give alone, read once, and
on PostgreSQL sent in one pipeline, a plain read still prepared outside any transaction."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest

from django.db import DatabaseError, connection, transaction
from django.db.models import Count, F, IntegerField, QuerySet, Value
from django.db.models.functions import Cast
from django.test.utils import CaptureQueriesContext

from careplus.access import compiled
from careplus.access.tests.test_i24_compiled_queries import _prepared_statements
from careplus.accounts.models import Office
from careplus.cases.choices import CaseStatus
from careplus.cases.models import Case
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    compiled.forget()  # a worker's connection outlives a test; its compiled SQL must not


def _by_status(office_code: str) -> QuerySet[Case, tuple[str, int]]:
    return Case.objects.filter(office__code=office_code).values_list("status").annotate(n=Count("*")).order_by()


@compiled.planned_each_run
def _references(office_code: str) -> QuerySet[Case, tuple[str]]:
    return Case.objects.filter(office__code=office_code).values_list("reference").order_by("reference")


def _nothing() -> QuerySet[Case, tuple[object]]:
    return Case.objects.filter(pk__in=[]).values_list("pk")


def _records() -> QuerySet[Case]:
    return Case.objects.all()


def _divided_by_zero() -> QuerySet[Case, tuple[object]]:
    return Case.objects.values_list(Cast(Value(1), IntegerField()) / (F("version") - F("version")))


def _offices() -> None:
    home, other = factories.make_office("NPL"), factories.make_office("CMR")
    for office, status in ((home, CaseStatus.OPEN), (home, CaseStatus.OPEN), (home, CaseStatus.RETURNED)):
        Case.objects.filter(pk=factories.make_case(office=office).pk).update(status=status)
    factories.make_case(office=other)


def test_a_batch_gives_each_query_the_rows_it_gives_alone_in_the_order_queued() -> None:
    _offices()
    batch = compiled.Batch()
    home, other = batch.rows(_by_status, "NPL"), batch.rows(_references, "CMR")
    nothing, home_again = batch.rows(_nothing), batch.rows(_references, "NPL")
    with CaptureQueriesContext(connection) as queries:
        assert sorted(home.get()) == [(CaseStatus.OPEN, 2), (CaseStatus.RETURNED, 1)]
    assert len(queries.captured_queries) == 3  # every query at the first read; none for `_nothing`
    assert other.get() == compiled.rows(_references, "CMR")
    assert len(other.get()) == 1
    assert nothing.get() == []
    assert home_again.get() == sorted(Case.objects.filter(office__code="NPL").values_list("reference"))


def test_a_batch_is_read_once_and_takes_no_query_after() -> None:
    _offices()
    batch = compiled.Batch()
    pending = batch.rows(_by_status, "NPL")
    first = pending.get()
    factories.make_case(office=Office.objects.get(code="NPL"))
    with CaptureQueriesContext(connection) as queries:
        assert pending.get() == first  # read when the batch was: the rows of that moment
    assert queries.captured_queries == []
    with pytest.raises(RuntimeError, match="has been sent"):
        batch.rows(_references, "NPL")
    assert sum(n for _status, n in compiled.Batch().rows(_by_status, "NPL").get()) == 4  # a new batch reads anew


def test_a_batch_reads_rows_and_refuses_a_query_of_records() -> None:
    batch = compiled.Batch()
    batch.rows(_records)  # typed as any query: only reading tells a query of records
    with pytest.raises(TypeError, match="records"):
        batch.read()


def _pipeline_statuses() -> tuple[list[int], Callable[..., Any]]:
    seen: list[int] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(int(connection.connection.pgconn.pipeline_status))
        return execute(sql, params, many, context)

    return seen, record


def test_on_postgresql_a_batch_is_sent_in_one_pipeline_and_a_query_alone_is_not() -> None:
    _offices()
    if connection.vendor != "postgresql":
        with CaptureQueriesContext(connection) as queries:  # SQLite: one query after the other
            compiled.Batch().rows(_by_status, "NPL").get()
        assert len(queries.captured_queries) == 1
        return
    seen, record = _pipeline_statuses()
    batch = compiled.Batch()
    pending: list[compiled.Pending[Any]] = [
        batch.rows(_by_status, "NPL"),
        batch.rows(_references, "NPL"),
        batch.rows(_by_status, "CMR"),
    ]
    with connection.execute_wrapper(record):
        assert [len(each.get()) for each in pending] == [2, 3, 1]
        compiled.rows(_references, "CMR")
    assert seen == [1, 1, 1, 0]  # psycopg's PipelineStatus.ON for the batch's queries, OFF alone
    assert connection.connection.pgconn.pipeline_status == 0  # the connection left as it was


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_batch_prepares_a_plain_read_outside_transactions_and_plans_the_others() -> None:
    """In a pipeline the connection is busy from the first query on: whether to prepare is decided
    by its state before. A query marked `planned_each_run` is never prepared."""
    _offices()
    for _run in range(3):
        batch = compiled.Batch()
        # The plain read second: the connection is busy with the first query when it is sent.
        references, by_status = batch.rows(_references, "NPL"), batch.rows(_by_status, "NPL")
        assert (len(by_status.get()), len(references.get())) == (2, 3)
    if connection.vendor != "postgresql":
        return
    (prepared,) = _prepared_statements()
    assert "GROUP BY" in prepared
    compiled.forget()
    assert _prepared_statements() == []


@pytest.mark.django_db(transaction=True)
def test_a_failing_query_in_a_batch_raises_the_databases_error_and_the_connection_goes_on() -> None:
    _offices()
    batch = compiled.Batch()
    references, failing = batch.rows(_references, "NPL"), batch.rows(_divided_by_zero)
    if connection.vendor != "postgresql":
        assert {row for (row,) in failing.get()} == {None}  # SQLite divides by zero into NULL
        assert len(references.get()) == 3
        return
    with pytest.raises(DatabaseError, match="division by zero"):
        references.get()
    assert connection.connection.pgconn.pipeline_status == 0
    assert len(compiled.rows(_references, "NPL")) == 3  # the next request's queries run as before


def test_a_batch_sent_ahead_is_read_at_its_first_get_with_the_rows_of_that_moment() -> None:
    """`sent()`: on PostgreSQL the queries leave when the block starts, in one pipeline, and the
    block's Python goes on; the rows are read at the first `get`, and the pipeline left then."""
    _offices()
    seen, record = _pipeline_statuses() if connection.vendor == "postgresql" else ([], None)
    batch = compiled.Batch()
    home, other = batch.rows(_by_status, "NPL"), batch.rows(_references, "CMR")
    with CaptureQueriesContext(connection) as queries, contextlib.ExitStack() as stack:
        if record is not None:
            stack.enter_context(connection.execute_wrapper(record))
        with batch.sent():
            sent_at_start = len(queries.captured_queries)
            with pytest.raises(RuntimeError, match="has been sent"):
                batch.rows(_references, "NPL")  # too late: the batch has left
            assert sorted(home.get()) == [(CaseStatus.OPEN, 2), (CaseStatus.RETURNED, 1)]
            assert len(other.get()) == 1
            if connection.vendor == "postgresql":
                assert connection.connection.pgconn.pipeline_status == 0  # left once read
            assert Case.objects.count() == 4  # the connection is free for the rest of the block
    if connection.vendor == "postgresql":
        assert sent_at_start == 2  # both sent before the block's first line
        assert seen == [1, 1, 0]  # in the pipeline, then the count alone
    else:
        assert sent_at_start == 0  # SQLite: run at the first get, one after the other
        assert len(queries.captured_queries) == 3


def test_a_batch_sent_ahead_and_never_read_leaves_the_connection_usable() -> None:
    _offices()
    batch = compiled.Batch()
    batch.rows(_by_status, "NPL")
    with pytest.raises(ValueError, match="the page failed"), batch.sent():
        raise ValueError("the page failed")
    if connection.vendor == "postgresql":
        assert connection.connection.pgconn.pipeline_status == 0
    assert Case.objects.filter(office__code="NPL").count() == 3
    with pytest.raises(RuntimeError, match="sent already"), batch.sent():
        pass
    unread = compiled.Batch()
    unread.rows(_references, "NPL")
    with unread.sent():
        pass  # nothing read in the block: the answers are dropped with the pipeline
    assert Case.objects.count() == 4


def test_a_batch_sent_ahead_whose_query_fails_raises_at_its_read_and_leaves_no_pipeline() -> None:
    _offices()
    batch = compiled.Batch()
    failing = batch.rows(_divided_by_zero)
    if connection.vendor != "postgresql":
        with batch.sent():
            assert {row for (row,) in failing.get()} == {None}  # SQLite divides by zero into NULL
        return
    with pytest.raises(DatabaseError, match="division by zero"), transaction.atomic(), batch.sent():
        failing.get()
    assert connection.connection.pgconn.pipeline_status == 0
    assert Case.objects.count() == 4


def test_a_statement_made_while_a_batch_is_in_flight_has_it_read_first() -> None:
    """A server-side cursor (Django's `iterator()` on PostgreSQL), which psycopg runs in no
    pipeline: the batch is read and the pipeline left before it runs."""
    _offices()
    batch = compiled.Batch()
    home = batch.rows(_by_status, "NPL")
    with batch.sent():
        references = [case.reference for case in Case.objects.order_by("reference").iterator(chunk_size=1)]
        if connection.vendor == "postgresql":
            assert connection.connection.pgconn.pipeline_status == 0
        assert sorted(home.get()) == [(CaseStatus.OPEN, 2), (CaseStatus.RETURNED, 1)]
    assert len(references) == 4
