"""The inbox's and the case list's SQL, compiled once per inputs (`careplus.access.compiled`), gives
what the query built anew gives, and never what another user, a revoked grant or another day
would have been given."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from careplus.access import compiled
from careplus.access.policy import Actor, grants_of
from careplus.access.roles import Role
from careplus.accounts.models import RoleGrant, User
from careplus.cases.models import Case
from careplus.cases.selectors import case_list_page
from careplus.returns import selectors as returns
from careplus.returns.choices import VisitStatus
from careplus.returns.models import Visit
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 2)
INBOX: list[tuple[Callable[..., QuerySet[Any]], tuple[Any, ...]]] = [
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


def _nothing(actor: Actor) -> QuerySet[Case, tuple[Any, ...]]:
    return Case.objects.filter(pk__in=[]).values_list("pk")


def _instances(actor: Actor) -> QuerySet[Case]:
    return Case.objects.all()


def _cases_of(actor: Actor, office_code: str) -> QuerySet[Case, tuple[Any, ...]]:
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
    users = [
        named,
        factories.make_user(Role.CASEWORKER, office=home),
        factories.make_user(Role.CASEWORKER, office=other),
        factories.make_user(Role.COORDINATOR),
        factories.make_user(Role.PARTNER),
        factories.make_user(Role.DPO),
    ]
    seen = 0
    for user in users:
        for build, args in INBOX:
            expected = list(build(user, *args))
            assert compiled.rows(build, user, *args) == expected  # compiled on this call
            assert compiled.rows(build, user, *args) == expected  # run again as it is
            seen += len(expected)
    assert seen > 0
    # The dates, ids and times come back converted as Django converts them.
    planned_on, case_id, reference = compiled.rows(returns._visits_due, named, TODAY, 50)[0]
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
        assert compiled.rows(_cases_of, worker, code) == []
    assert len(compiled._cache("default")) == 3


def test_a_query_that_can_match_nothing_gives_nothing_without_a_query() -> None:
    worker = factories.make_user(Role.COORDINATOR)
    grants_of(worker)
    with CaptureQueriesContext(connection) as queries:
        assert compiled.rows(_nothing, worker) == []
        assert compiled.count(_nothing, worker) == 0
    assert queries.captured_queries == []


def test_only_values_list_queries_are_compiled() -> None:
    with pytest.raises(TypeError, match="values_list"):
        compiled.rows(_instances, factories.make_user(Role.COORDINATOR))


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
