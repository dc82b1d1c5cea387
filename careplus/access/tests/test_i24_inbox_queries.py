"""The inbox's lists: exactly the rows of the files their reader may open (`cases_visible_to`), a
handover the task of the office it was sent to, and the planned visits' query planned by
PostgreSQL with its values at each run.

Their filter (`scopes.case_in_scope`) says the rule of `cases_visible_to` for each row's case: the
same files for every kind of reader, whatever their offices, their consent to share and the
restriction to named users.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest

from django.db import connection, transaction
from django.db.models import Model, QuerySet

from careplus.access import compiled
from careplus.access.policy import grants_of
from careplus.access.roles import Role
from careplus.access.scopes import case_in_scope, cases_visible_to
from careplus.accounts.models import User
from careplus.accounts.services import role_grant_system
from careplus.cases.models import Case, Consent, Handover
from careplus.returns import selectors as returns
from careplus.returns.choices import ItemStatus, VisitStatus
from careplus.returns.models import FollowUpAlert, PlanItem, Visit
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 2)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    compiled.forget()  # a worker's connection outlives a test; its compiled SQL must not


def _tasks_of_every_kind(case: Case) -> None:
    """A pending plan item, an open alert and a handover to acknowledge, beside its planned visits."""
    visit = Visit.objects.filter(case=case).order_by("planned_on").first()
    assert visit is not None
    factories.make_plan_item(case, status=ItemStatus.PLANNED)
    FollowUpAlert.objects.create(case=case, visit=visit, item="psy_distress")
    assert case.office is not None
    Handover.objects.create(case=case, office=case.office, sent_by=factories.system_user(), due_on=TODAY)


def _case_ids(rows: QuerySet[Model, tuple[object, ...]] | list[tuple[object, ...]], at: int) -> set[object]:
    return {row[at] for row in rows}


def test_every_inbox_list_keeps_the_rows_of_the_files_its_reader_may_open() -> None:
    home, other = factories.make_office("NPL"), factories.make_office("CMR")
    named = factories.make_user(Role.CASEWORKER, office=home)
    shared, theirs = factories.make_returned_case(office=home), factories.make_returned_case(office=other)
    restricted, unshared = factories.make_returned_case(office=home), factories.make_returned_case(office=home)
    Case.objects.filter(pk=restricted.pk).update(restricted=True)
    restricted.restricted_users.add(named)
    Consent.objects.filter(case=unshared).update(withdrawn_on=TODAY)  # the database unshares the file
    every = {shared.pk, theirs.pk, restricted.pk, unshared.pk}
    for case in (shared, theirs, restricted, unshared):
        _tasks_of_every_kind(case)
    lists: list[tuple[QuerySet[Model, tuple[object, ...]], int]] = [
        (Visit.objects.filter(status=VisitStatus.PLANNED).values_list("planned_on", "case_id"), 1),
        (PlanItem.objects.filter(status=ItemStatus.PLANNED).values_list("case_id"), 0),
        (FollowUpAlert.objects.values_list("case_id"), 0),
        (Handover.objects.values_list("case_id"), 0),
    ]
    seen: dict[str, set[object]] = {}
    for made in factories.users_of_every_kind(home, other, named):
        user = User.objects.get(pk=made.pk)  # as the next request loads it
        may_open: set[object] = set(cases_visible_to(user).filter(pk__in=every).values_list("pk", flat=True))
        for rows, at in lists:
            assert _case_ids(rows.filter(case_in_scope(user)), at) == may_open, (user.email, rows.model)
        seen[user.email] = may_open
    # The rule each reader was held to: the named caseworker sees the restricted file, their colleague
    # does not; nobody of the office sees the file whose consent to share was withdrawn; the other
    # office sees its own; the coordinator every file but the restricted one; the others none.
    assert list(seen.values()) == [
        {shared.pk, restricted.pk},
        {shared.pk},
        {theirs.pk},
        {shared.pk, theirs.pk, unshared.pk},
        set(),
        set(),
    ]


def test_the_inbox_shows_a_caseworker_the_tasks_of_the_files_they_may_open_and_no_other() -> None:
    home, other = factories.make_office("NPL"), factories.make_office("CMR")
    mine, theirs = factories.make_returned_case(office=home), factories.make_returned_case(office=other)
    restricted = factories.make_returned_case(office=home)
    Case.objects.filter(pk=restricted.pk).update(restricted=True)
    for case in (mine, theirs, restricted):
        _tasks_of_every_kind(case)
    worker = User.objects.get(pk=factories.make_user(Role.CASEWORKER, office=home).pk)
    texts = " ".join(task.text for task in returns.tasks_for(actor=worker, today=TODAY))
    assert mine.reference in texts
    assert theirs.reference not in texts
    assert restricted.reference not in texts


@pytest.mark.django_db(transaction=True)
def test_the_planned_visits_are_read_with_a_plan_made_for_their_values_the_other_lists_prepared() -> None:
    """A prepared statement run more than five times may be given one plan for any values. For the
    visits due, that plan sets up two caches of cases sized for its guess of the cases met before
    reading the fifty rows: 3.0-3.4 ms, where the plan for the values takes 0.7-0.8 ms (100,000
    files)."""
    case = factories.make_returned_case(arrival_on=TODAY)
    _tasks_of_every_kind(case)
    worker = User.objects.get(pk=factories.make_user(Role.CASEWORKER, office=case.office).pk)
    for _run in range(7):
        tasks = returns.tasks_for(actor=worker, today=TODAY + datetime.timedelta(days=40))
        assert sum(task.kind == "visit" for task in tasks) == 1  # its first visit, a month after arrival
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert not [statement for statement in prepared if "returns_visit" in statement]
    assert any("cases_handover" in statement for statement in prepared)  # compiled and prepared


@pytest.mark.django_db(transaction=True)
def test_the_planned_visits_are_planned_without_memoize_and_the_setting_ends_with_their_statement() -> None:
    """At a million files the plan for the visits due sets up two caches of cases (Memoize) sized
    for 170,911 visits to read fifty: 2.1 ms in the request, 1.1 ms without. Outside a transaction
    the statement is sent after `SET LOCAL enable_memoize = off`, in one message; inside one it is
    sent alone, or the setting would last to the transaction's end."""
    case = factories.make_returned_case(arrival_on=TODAY)
    worker = User.objects.get(pk=factories.make_user(Role.CASEWORKER, office=case.office).pk)
    sent: list[str] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append(sql)
        return execute(sql, params, many, context)

    def visits_and_setting() -> tuple[list[str], list[str], object]:
        sent.clear()
        with connection.execute_wrapper(record):
            tasks = returns.tasks_for(actor=worker, today=TODAY + datetime.timedelta(days=40))
        if connection.vendor != "postgresql":
            return [task.text for task in tasks], sent[:], None
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_memoize")
            return [task.text for task in tasks], sent[:], cursor.fetchone()

    outside, statements, setting = visits_and_setting()
    # Its first visit, read from the statement's rows (not from the setting's answer).
    assert outside == [f"Visite de suivi du dossier {case.reference}"]
    (visits,) = [sql for sql in statements if "returns_visit" in sql]
    if connection.vendor != "postgresql":
        assert visits.startswith("SELECT ")
        return
    assert visits.startswith("SET LOCAL enable_memoize = off; SELECT ")
    assert setting == ("on",)  # for the statements after it
    with transaction.atomic():
        inside, statements, setting = visits_and_setting()
    assert inside == outside
    (visits,) = [sql for sql in statements if "returns_visit" in sql]
    assert visits.startswith("SELECT ")
    assert setting == ("on",)


@pytest.mark.django_db(transaction=True)
def test_a_statement_the_server_binds_is_sent_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """With `server_side_binding` in the database's OPTIONS, PostgreSQL would refuse two statements
    in one prepared message: the planned visits are then sent alone, Memoize allowed."""
    case = factories.make_returned_case(arrival_on=TODAY)
    worker = User.objects.get(pk=factories.make_user(Role.CASEWORKER, office=case.office).pk)
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "server_side_binding", True)
    sent: list[str] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        tasks = returns.tasks_for(actor=worker, today=TODAY + datetime.timedelta(days=40))
    assert [task.text for task in tasks] == [f"Visite de suivi du dossier {case.reference}"]
    (visits,) = [sql for sql in sent if "returns_visit" in sql]
    assert visits.startswith("SELECT ")


@pytest.mark.django_db(transaction=True)
def test_a_read_that_opens_a_transaction_is_not_prepared_in_it() -> None:
    """Inside `atomic`, psycopg opens the transaction with the first statement, and until then the
    connection looks idle: a statement prepared there could be lost with the transaction, so the
    compiled reads are prepared only in autocommit."""
    case = factories.make_returned_case(arrival_on=TODAY)
    _tasks_of_every_kind(case)
    worker = User.objects.get(pk=factories.make_user(Role.CASEWORKER, office=case.office).pk)
    compiled.forget()
    grants_of(worker)  # read and kept on the account, as a request does before its reads
    sent: list[str] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append(sql)
        return execute(sql, params, many, context)

    with transaction.atomic(), connection.execute_wrapper(record):
        handovers = compiled.rows(returns._handovers_due, 50, actor=worker)
    assert len(sent) == 1  # the transaction's first statement
    assert [row[1] for row in handovers] == [case.pk]
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        assert not [statement for (statement,) in cursor.fetchall() if "cases_handover" in statement]
    compiled.rows(returns._handovers_due, 50, actor=worker)  # in autocommit: prepared
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        assert [statement for (statement,) in cursor.fetchall() if "cases_handover" in statement]


def test_a_handover_is_a_task_of_the_office_it_was_sent_to_while_the_file_is_open_to_it() -> None:
    home, other, third = factories.make_office("NPL"), factories.make_office("CMR"), factories.make_office("SEN")
    case = factories.make_returned_case(office=home)
    sent_by = factories.system_user()
    Handover.objects.create(case=case, office=home, sent_by=sent_by, due_on=TODAY)
    Handover.objects.create(case=case, office=other, sent_by=sent_by, due_on=TODAY)  # the file not moved there
    at_home, at_other = (factories.make_user(Role.CASEWORKER, office=office) for office in (home, other))
    at_both = factories.make_user(Role.CASEWORKER, office=home)
    role_grant_system(user=at_both, role=Role.CASEWORKER, office=third, organisation=None)
    coordinator = factories.make_user(Role.COORDINATOR)

    def handed_to(user: User) -> list[str]:
        tasks = returns.tasks_for(actor=User.objects.get(pk=user.pk), today=TODAY)
        return sorted(task.text for task in tasks if task.kind == "handover")

    assert handed_to(at_home) == [f"Transfert du dossier {case.reference} à {home.name} à confirmer"]
    assert handed_to(at_both) == handed_to(at_home)  # another office of theirs changes nothing
    assert handed_to(at_other) == []  # the file is not open to the other office
    assert handed_to(coordinator) == sorted(
        f"Transfert du dossier {case.reference} à {office.name} à confirmer" for office in (home, other)
    )
