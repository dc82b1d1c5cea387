"""The inbox's and the case list's SQL, compiled once per inputs (`careplus.access.compiled`), gives
what the query built anew gives, and never what another user, a revoked grant or another day
would have been given."""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.pq import Format

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Count, Max, Model, QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from careplus.access import compiled
from careplus.access.policy import Actor, grants_of
from careplus.access.roles import Role
from careplus.access.scopes import case_visible_to
from careplus.accounts.models import Office, RoleGrant, User
from careplus.audit.models import AuditEvent
from careplus.audit.services import record_event
from careplus.cases.choices import CaseStatus
from careplus.cases.models import Case
from careplus.cases.selectors import case_list_page
from careplus.returns import selectors as returns
from careplus.returns.choices import VisitStatus
from careplus.returns.models import Visit
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 2)
INBOX: list[tuple[compiled.Query[Model, object], tuple[object, ...]]] = [
    (returns._visits_due, (TODAY + datetime.timedelta(days=7), 50)),
    (returns._items_awaiting, (50,)),
    (returns._handovers_due, (50,)),
    (returns._referrals_received, (50,)),
    (returns._open_alerts, (50,)),
]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    compiled.forget()  # a worker's connection outlives a test; its compiled SQL must not


def _request_user(user: User) -> User:
    """The user as the next request loads it (grants read anew)."""
    return User.objects.get(pk=user.pk)


def _visit_references(actor: Actor) -> set[str]:
    return {task.text for task in returns.tasks_for(actor=actor, today=TODAY) if task.kind == "visit"}


def _nothing(actor: Actor) -> QuerySet[Case, tuple[object, ...]]:
    return Case.objects.filter(pk__in=[]).values_list("pk")


def _instances(actor: Actor) -> QuerySet[Case]:
    return Case.objects.all()


def _cases_of(actor: Actor, office_code: str) -> QuerySet[Case, tuple[object, ...]]:
    return Case.objects.filter(office__code=office_code).values_list("reference")


def test_every_inbox_query_gives_the_rows_the_orm_gives_for_every_kind_of_user() -> None:
    home, other = factories.make_office("NPL"), factories.make_office("CMR")
    named = factories.make_user(Role.CASEWORKER, office=home)
    for office in (home, other):
        factories.make_returned_case(office=office)
    restricted = factories.make_returned_case(office=home)
    Case.objects.filter(pk=restricted.pk).update(restricted=True)
    restricted.restricted_users.add(named)
    factories.make_referral()
    users = factories.users_of_every_kind(home, other, named)
    seen = 0
    for user in users:
        for build, args in INBOX:
            expected = list(build(user, *args))
            assert compiled.rows(build, *args, actor=user) == expected  # compiled on this call
            assert compiled.rows(build, *args, actor=user) == expected  # run again as it is
            seen += len(expected)
    assert seen > 0
    # The dates, ids and times come back converted as Django converts them.
    planned_on, case_id, reference = compiled.rows(returns._visits_due, TODAY, 50, actor=named)[0]
    assert isinstance(planned_on, datetime.date)
    assert isinstance(reference, str)
    assert Case.objects.filter(pk=case_id).exists()


def test_a_second_user_of_another_office_is_given_their_own_sql() -> None:
    home, other = factories.make_office("NPL"), factories.make_office("CMR")
    mine = factories.make_returned_case(office=home)
    theirs = factories.make_returned_case(office=other)
    worker, stranger = (
        factories.make_user(Role.CASEWORKER, office=home),
        factories.make_user(Role.CASEWORKER, office=other),
    )
    assert any(mine.reference in text for text in _visit_references(worker))
    seen_by_stranger = _visit_references(stranger)
    assert seen_by_stranger
    assert all(mine.reference not in text for text in seen_by_stranger)
    assert any(theirs.reference in text for text in seen_by_stranger)


def test_a_revoked_grant_takes_effect_at_the_next_request() -> None:
    home = factories.make_office("NPL")
    case = factories.make_returned_case(office=home)
    worker = factories.make_user(Role.CASEWORKER, office=home)
    assert any(case.reference in text for text in _visit_references(_request_user(worker)))
    RoleGrant.objects.filter(user=worker).update(revoked_at=timezone.now())
    assert _visit_references(_request_user(worker)) == set()
    # Granted again, for another office: that office's files only.
    other = factories.make_office("CMR")
    theirs = factories.make_returned_case(office=other)
    RoleGrant.objects.create(user=worker, role=Role.CASEWORKER, office=other)
    seen = _visit_references(_request_user(worker))
    assert any(theirs.reference in text for text in seen)
    assert all(case.reference not in text for text in seen)


def test_a_newly_named_user_sees_the_restricted_file_with_the_same_sql() -> None:
    home = factories.make_office("NPL")
    case = factories.make_returned_case(office=home)
    Case.objects.filter(pk=case.pk).update(restricted=True)
    worker = factories.make_user(Role.CASEWORKER, office=home)
    assert _visit_references(worker) == set()
    kept = len(compiled._cache("default"))
    case.restricted_users.add(worker)
    assert any(case.reference in text for text in _visit_references(worker))
    assert len(compiled._cache("default")) == kept  # the naming is read by the SQL at each run
    case.restricted_users.remove(worker)
    assert _visit_references(worker) == set()


def test_another_day_is_given_its_own_sql() -> None:
    case = factories.make_case(office=factories.make_office("NPL"))
    worker = factories.make_user(Role.CASEWORKER, office=case.office)
    Visit.objects.create(case=case, planned_on=TODAY + datetime.timedelta(days=10), status=VisitStatus.PLANNED)
    assert returns.tasks_for(actor=worker, today=TODAY) == []  # ten days ahead: not yet a task
    later = returns.tasks_for(actor=worker, today=TODAY + datetime.timedelta(days=5))
    assert [task.overdue for task in later] == [False]
    overdue = returns.tasks_for(actor=worker, today=TODAY + datetime.timedelta(days=11))
    assert [task.overdue for task in overdue] == [True]


def test_the_inbox_runs_the_same_queries_compiled_or_not() -> None:
    home = factories.make_office("NPL")
    factories.make_returned_case(office=home)
    worker = factories.make_user(Role.COORDINATOR)
    grants_of(worker)  # loaded once per request, before the inbox
    with CaptureQueriesContext(connection) as first:
        tasks = returns.tasks_for(actor=worker, today=TODAY)
    with CaptureQueriesContext(connection) as again:
        assert returns.tasks_for(actor=worker, today=TODAY) == tasks
    assert tasks
    assert [q["sql"] for q in again.captured_queries] == [q["sql"] for q in first.captured_queries]
    assert len(again.captured_queries) == 5  # one query for each kind of task


def test_the_kept_sql_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled, "CACHE_SIZE", 3)
    worker = factories.make_user(Role.COORDINATOR)
    for code in ("AAA", "BBB", "CCC", "DDD", "EEE"):
        assert compiled.rows(_cases_of, code, actor=worker) == []
    assert len(compiled._cache("default")) == 3


def test_a_query_that_can_match_nothing_gives_nothing_without_a_query() -> None:
    worker = factories.make_user(Role.COORDINATOR)
    grants_of(worker)
    with CaptureQueriesContext(connection) as queries:
        assert compiled.rows(_nothing, actor=worker) == []
        assert compiled.count(_nothing, actor=worker) == 0
    assert queries.captured_queries == []


def _annotated(actor: Actor) -> QuerySet[Case, tuple[object, ...]]:
    # Django would put the count back after the id the SQL selects first.
    return Case.objects.annotate(n=Count("events")).values_list("n", "pk")


def _counted_by_status(office: str) -> QuerySet[Case, tuple[object, ...]]:
    return Case.objects.filter(office__code=office).values_list("status").annotate(n=Count("*"), last=Max("opened_on"))


def _annotated_records() -> QuerySet[Case]:
    return Case.objects.annotate(n=Count("events"))


def _prefetching(actor: Actor) -> QuerySet[Case]:
    return Case.objects.prefetch_related("events")


def _case_with_office(case_id: uuid.UUID) -> QuerySet[Case]:
    return Case.objects.select_related("office").filter(pk=case_id)


def _case_named_by(case_id: uuid.UUID) -> QuerySet[Case, tuple[object, ...]]:
    # Reads its Param in Python: the SQL would hold what the stand-in made, not the file's id.
    return Case.objects.filter(reference__startswith=case_id.hex[:8]).values_list("pk")


def _case_unless(case_id: uuid.UUID) -> QuerySet[Case, tuple[object, ...]]:
    return Case.objects.none().values_list("pk") if case_id.version == 4 else Case.objects.values_list("pk")


def _events_of(object_id: str) -> QuerySet[AuditEvent, tuple[object, ...]]:
    return AuditEvent.objects.filter(object_type="test.row", object_id=object_id).order_by("seq").values_list("action")


def test_only_plain_queries_are_compiled_and_each_is_read_as_what_it_gives() -> None:
    worker = factories.make_user(Role.COORDINATOR)
    with pytest.raises(TypeError, match="values_list"):
        compiled.rows(_annotated, actor=worker)
    with pytest.raises(TypeError, match="values_list"):
        compiled.rows(_annotated_records)
    with pytest.raises(TypeError, match="prefetches nothing"):
        compiled.records(_prefetching, actor=worker)
    with pytest.raises(TypeError, match="read it with `records`"):
        compiled.rows(_instances, actor=worker)
    with pytest.raises(TypeError, match="read it with `rows`"):
        compiled.records(_cases_of, "NPL", actor=worker)  # type: ignore[type-var]  # refused by mypy too


def test_one_compiled_query_serves_every_file_through_its_param() -> None:
    first, second = factories.make_case(office=factories.make_office("NPL")), factories.make_case()
    (found,) = compiled.records(_case_with_office, compiled.Param(first.pk))
    kept = len(compiled._cache("default"))
    with CaptureQueriesContext(connection) as queries:
        (other,) = compiled.records(_case_with_office, compiled.Param(second.pk))
    assert len(compiled._cache("default")) == kept  # the same SQL, bound to the second file
    assert len(queries.captured_queries) == 1  # its office came with it
    assert found.office is not None
    assert (found.pk, found.office.code, other.pk, other.office_id) == (first.pk, "NPL", second.pk, second.office_id)
    assert found.given_names == "Sita"  # an encrypted field opens as it does from the ORM
    assert compiled.records(_case_with_office, compiled.Param(uuid.uuid4())) == []
    # A text Param (the audit log names a file by its id as text).
    record_event(action="view", object_type="test.row", object_id=str(first.pk), actor=None)
    assert compiled.rows(_events_of, compiled.Param(str(first.pk))) == [("view",)]
    assert compiled.rows(_events_of, compiled.Param(str(second.pk))) == []


def test_a_param_read_in_python_is_refused() -> None:
    with pytest.raises(TypeError, match="bound parameter"):
        compiled.rows(_case_named_by, compiled.Param(uuid.uuid4()))
    with pytest.raises(TypeError, match="bound parameter"):
        compiled.rows(_case_unless, compiled.Param(uuid.uuid1()))  # the stand-in (a uuid4) matched nothing
    # A query that can match nothing whatever the Param (a user who may see no file): nothing, and
    # nothing kept.
    partner = factories.make_user(Role.PARTNER)
    assert compiled.rows(_case_unless, compiled.Param(uuid.uuid4())) == []
    assert case_visible_to(partner, factories.make_case().pk) is None
    assert len(compiled._cache("default")) == 0


def test_an_argument_is_a_plain_value_never_a_record() -> None:
    worker = factories.make_user(Role.COORDINATOR)
    office = factories.make_office("NPL")
    with pytest.raises(TypeError, match="plain values, not Office"):
        compiled.rows(_cases_of, office, actor=worker)  # its other attributes are not in the key
    with pytest.raises(TypeError, match="plain values, not User"):
        compiled.rows(_cases_of, worker)
    assert compiled.rows(_cases_of, office.code, actor=worker) == []


def test_the_case_list_pages_through_the_compiled_sql() -> None:
    home = factories.make_office("NPL")
    cases = [factories.make_case(office=home) for _index in range(7)]
    worker = factories.make_user(Role.CASEWORKER, office=home)
    pages = [case_list_page(actor=worker, number=number, per_page=3) for number in (1, 2, 3)]
    assert [page.paginator.count for page in pages] == [7, 7, 7]
    listed = [row.reference for page in pages for row in page.object_list]
    assert sorted(listed) == sorted(case.reference for case in cases)
    assert {row.given_names for page in pages for row in page.object_list} == {"Sita"}
    stranger = factories.make_user(Role.CASEWORKER, office=factories.make_office("CMR"))
    assert case_list_page(actor=stranger, number=1, per_page=3).object_list == []


def test_a_files_history_shows_what_happened_after_its_sql_was_compiled() -> None:
    from careplus.cases.models import CaseEvent
    from careplus.cases.selectors import timeline

    case, other = factories.make_case(), factories.make_case()
    author = factories.make_user(Role.COORDINATOR)
    before = timeline(case)
    CaseEvent.objects.create(case=case, actor=author, kind="note_added", params={})
    CaseEvent.objects.create(case=case, actor=None, kind="section_saved", params={"label": "Visite"})
    after = timeline(case)
    assert after.total == before.total + 2
    assert [(event.kind, event.actor_name) for event in after.events[-2:]] == [
        ("note_added", "Alex Test"),
        ("section_saved", None),
    ]
    assert after.events[-1].params == {"label": "Visite"}
    assert all(event.kind != "note_added" for event in timeline(other).events)
    whole = timeline(case, everything=True)
    assert [event.kind for event in whole.events] == [event.kind for event in after.events]


def test_an_id_that_is_no_id_is_a_refused_404_and_compiles_nothing() -> None:
    from django.http import Http404

    from careplus.access.fetch import get_case_for
    from careplus.access.roles import Action

    worker = factories.make_user(Role.COORDINATOR)
    for typed in ("not-a-uuid", "١٢٣٤", "' OR 1=1 --", "x" * 5000, ""):
        with pytest.raises(Http404):
            get_case_for(worker, typed, action=Action.CASES_VIEW)
    assert len(compiled._cache("default")) == 0
    refused = AuditEvent.objects.filter(object_type="cases.case", outcome="denied").count()
    assert refused == 5  # each attempt is in the audit log


def _opened(office: Office | None, status: str, opened_on: datetime.date) -> None:
    case = factories.make_case(office=office)
    Case.objects.filter(pk=case.pk).update(status=status, opened_on=opened_on)


def test_a_values_list_with_aggregates_gives_the_rows_the_orm_gives() -> None:
    office = factories.make_office("NPL")
    for day, status in ((1, CaseStatus.OPEN), (9, CaseStatus.OPEN), (5, CaseStatus.RETURNED)):
        _opened(office, status, datetime.date(2026, 3, day))
    _opened(None, CaseStatus.RETURNED, datetime.date(2026, 3, 2))  # another office's
    expected = sorted(_counted_by_status("NPL"))
    assert expected == [
        (CaseStatus.OPEN, 2, datetime.date(2026, 3, 9)),
        (CaseStatus.RETURNED, 1, datetime.date(2026, 3, 5)),
    ]
    assert sorted(compiled.rows(_counted_by_status, "NPL")) == expected
    _opened(office, CaseStatus.RETURNED, datetime.date(2026, 4, 1))
    with CaptureQueriesContext(connection) as queries:
        again = sorted(compiled.rows(_counted_by_status, "NPL"))
    assert len(queries.captured_queries) == 1
    assert again[1] == (CaseStatus.RETURNED, 2, datetime.date(2026, 4, 1))  # run again, not kept


def _prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return [statement for (statement,) in cursor.fetchall() if "cases_case" in statement]


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_compiled_query_is_prepared_once_outside_transactions_and_still_logged() -> None:
    """The server plans a compiled query once per connection (SQLite keeps its own statement cache)."""
    compiled.forget()
    cases = [factories.make_case() for _index in range(3)]
    with CaptureQueriesContext(connection) as queries:
        for case in cases * 3:
            (found,) = compiled.records(_case_with_office, compiled.Param(case.pk))
            assert found.pk == case.pk
    assert len(queries.captured_queries) == 9  # each run is in the query log
    if connection.vendor != "postgresql":
        return
    (prepared,) = _prepared_statements()  # one statement for every file, its id bound
    assert str(cases[0].pk) not in prepared
    assert cases[0].pk.hex not in prepared
    # Inside a transaction the prepared statement is used; on any rollback, a savepoint's too,
    # psycopg drops its statements, and the next run outside a transaction prepares it again.
    with transaction.atomic():
        with transaction.atomic():
            compiled.records(_case_with_office, compiled.Param(cases[1].pk))
            transaction.set_rollback(True)
        (again,) = compiled.records(_case_with_office, compiled.Param(cases[2].pk))
    assert again.pk == cases[2].pk
    assert _prepared_statements() == []
    compiled.records(_case_with_office, compiled.Param(cases[0].pk))
    assert len(_prepared_statements()) == 1
    compiled.forget()
    assert _prepared_statements() == []
    (after,) = compiled.records(_case_with_office, compiled.Param(cases[1].pk))  # prepared anew
    assert after.pk == cases[1].pk


def test_inside_a_transaction_nothing_is_prepared_that_a_rollback_could_lose() -> None:
    case = factories.make_case()  # pytest-django runs this test inside a transaction
    for _index in range(3):
        with transaction.atomic():
            (found,) = compiled.records(_case_with_office, compiled.Param(case.pk))
            transaction.set_rollback(True)
    assert found.pk == case.pk
    if connection.vendor == "postgresql":
        assert _prepared_statements() == []


def _created_at(case_id: uuid.UUID) -> QuerySet[Case, tuple[object, ...]]:
    return Case.objects.filter(pk=case_id).values_list("created_at")


@compiled.planned_without_memoize
def _created_at_without_memoize(case_id: uuid.UUID) -> QuerySet[Case, tuple[object, ...]]:
    return Case.objects.filter(pk=case_id).values_list("created_at")


@contextlib.contextmanager
def _database_time_zone(name: str) -> Iterator[None]:
    """The database's TIME_ZONE changed on a connection already open, as Django does when the setting
    changes: the connection's loader of timestamps keeps the zone it connected with, and Django's
    cursors read them in the new one."""
    connection.ensure_connection()
    saved = connection.settings_dict["TIME_ZONE"]
    connection.settings_dict["TIME_ZONE"] = name
    _forget_time_zone()
    connection.ensure_timezone()  # the session's zone too, as Django does when the setting changes
    try:
        yield
    finally:
        connection.settings_dict["TIME_ZONE"] = saved
        _forget_time_zone()
        connection.close()  # the next test connects with the database's own zone


def _forget_time_zone() -> None:
    """Drop the connection's zone, worked out once (Django's cached properties)."""
    wrapper = connections[DEFAULT_DB_ALIAS]  # the connection itself, not its proxy
    for cached in ("timezone", "timezone_name"):
        wrapper.__dict__.pop(cached, None)


@pytest.mark.django_db(transaction=True)
def test_a_compiled_read_gives_datetimes_in_the_database_time_zone_as_the_orm_does() -> None:
    """Whichever way it runs (alone outside a transaction, after the Memoize setting in a pipeline,
    inside a transaction by a cursor that never prepares), a compiled read gives a timestamp as
    Django's own cursor gives it: the same instant, in the database's zone."""
    with _database_time_zone("Asia/Kathmandu"):
        case = factories.make_case()
        zone = connection.timezone
        assert str(zone) == "Asia/Kathmandu"
        if connection.vendor == "postgresql":  # the connection's own loader keeps the zone it opened with
            loader = connection.connection.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, Format.TEXT)
            assert getattr(loader, "timezone", None) != zone
        read_by_the_orm = Case.objects.values_list("created_at", flat=True).get(pk=case.pk)
        assert read_by_the_orm == case.created_at
        assert read_by_the_orm.tzinfo == zone
        reads = []
        for _run in range(2):  # the second run reuses the compiled query
            reads.append(compiled.rows(_created_at, compiled.Param(case.pk)))
            reads.append(compiled.rows(_created_at_without_memoize, compiled.Param(case.pk)))
            with transaction.atomic():
                reads.append(compiled.rows(_created_at_without_memoize, compiled.Param(case.pk)))
        for read in reads:
            ((value,),) = read
            assert value == read_by_the_orm
            assert isinstance(value, datetime.datetime)
            assert value.tzinfo == zone  # not the zone the connection was opened with


def test_a_compiled_record_reads_every_column_as_the_orm_does_read_after_read() -> None:
    """Each column's converters are worked out once with the SQL: datetimes stay aware, dates, UUIDs,
    booleans and the related office's values come back as Django's own reading gives them."""
    case = factories.make_case(office=factories.make_office("NPL"), is_minor=True)
    orm = Case.objects.select_related("office").get(pk=case.pk)
    columns = [field.attname for field in Case._meta.concrete_fields]
    for _read in range(2):  # the second read reuses the kept query and its converters
        (found,) = compiled.records(_case_with_office, compiled.Param(case.pk))
        assert {name: found.__dict__[name] for name in columns} == {name: orm.__dict__[name] for name in columns}
        assert found.created_at.tzinfo is not None
        assert found.office is not None
        assert (found.office.pk, found.office.code) == (orm.office_id, "NPL")
