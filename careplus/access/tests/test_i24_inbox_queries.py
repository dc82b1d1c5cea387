"""The inbox's lists: exactly the rows of the files their reader may open (`cases_visible_to`), a
handover the task of the office it was sent to, and the planned visits' query prepared and planned
by PostgreSQL without Memoize.

Their filter (`scopes.case_in_scope`) says the rule of `cases_visible_to` for each row's case: the
same files for every kind of reader, whatever their offices, their consent to share and the
restriction to named users.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
import pytest
from psycopg._preparing import Prepare, PrepareManager

from django.db import DatabaseError, connection, transaction
from django.db.models import CharField, IntegerField, Model, QuerySet
from django.db.models.expressions import RawSQL

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
T = TypeVar("T")


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


@compiled.planned_without_memoize
def _memoize_as_planned(actor: User) -> QuerySet[User, tuple[str]]:
    """The setting as the statement itself sees it (a stand-in for the visits due); on SQLite,
    which has no such setting, the account's e-mail."""
    if connection.vendor != "postgresql":
        return User.objects.filter(pk=actor.pk).values_list("email")
    setting = RawSQL("current_setting('enable_memoize')", (), output_field=CharField())
    return User.objects.filter(pk=actor.pk).annotate(setting=setting).values_list("setting")


@compiled.planned_without_memoize
def _failing_without_memoize(actor: User) -> QuerySet[User, tuple[int]]:
    # An integer overflow, refused by both engines when the statement runs.
    overflow = RawSQL("abs(-9223372036854775807 - 1)", (), output_field=IntegerField())
    return User.objects.filter(pk=actor.pk).annotate(n=overflow).values_list("n")


def _memoize_setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW enable_memoize")
        (setting,) = cursor.fetchone()
    return str(setting)


def _sent_during(call: Callable[[], T]) -> tuple[T, list[str]]:
    """What `call` answers, and the statements it sent, as an execute wrapper sees them. (Django's
    query log, `CaptureQueriesContext`, records no text for a statement sent in a pipeline: psycopg
    knows it only once the answer is read.)"""
    sent: list[str] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        result = call()
    return result, sent


@pytest.mark.django_db(transaction=True)
def test_a_query_planned_without_memoize_sees_the_setting_and_the_next_statement_does_not() -> None:
    """Outside a transaction the setting is sent before the statement, in one pipeline: PostgreSQL
    runs the two in one implicit transaction, and the setting ends with it. Inside a transaction it
    would last to the transaction's end: the statement is sent alone there."""
    worker = User.objects.get(pk=factories.make_user(Role.CASEWORKER).pk)
    grants_of(worker)  # read and kept on the account, as a request does before its reads
    rows, sent = _sent_during(lambda: compiled.rows(_memoize_as_planned, actor=worker))
    if connection.vendor != "postgresql":
        assert rows == [(worker.email,)]
        assert len(sent) == 1  # SQLite has no such setting: the statement alone
        return
    assert rows == [("off",)]
    assert sent[0] == "SELECT set_config('enable_memoize', 'off', true)"
    assert len(sent) == 2
    assert _memoize_setting() == "on"  # for the statements after it
    assert compiled.rows(_memoize_as_planned, actor=worker) == [("off",)]  # run again, prepared
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        assert [statement for (statement,) in cursor.fetchall() if "current_setting('enable_memoize')" in statement]
    with transaction.atomic():
        inside, sent = _sent_during(lambda: compiled.rows(_memoize_as_planned, actor=worker))
        assert inside == [("on",)]
        assert len(sent) == 1
        assert _memoize_setting() == "on"


@pytest.mark.django_db(transaction=True)
def test_a_query_planned_without_memoize_that_fails_leaves_the_setting_and_the_connection_as_they_were() -> None:
    worker = factories.make_user(Role.CASEWORKER)
    with pytest.raises(DatabaseError):
        compiled.rows(_failing_without_memoize, actor=worker)
    assert User.objects.filter(pk=worker.pk).exists()  # the connection serves the next statement
    if connection.vendor == "postgresql":
        assert _memoize_setting() == "on"
        assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    assert compiled.rows(_memoize_as_planned, actor=worker)  # and the next compiled read


@pytest.mark.django_db(transaction=True)
def test_the_planned_visits_are_prepared_and_planned_without_memoize() -> None:
    """The plan PostgreSQL keeps for the visits due, made with Memoize, sets up two caches of cases
    sized for its guess of the cases met before reading the fifty rows: 1.6 ms a run where the same
    plan without Memoize takes 0.33-0.37 ms (100,000 and a million files). The visits are read as the
    other lists, prepared, after the setting."""
    case = factories.make_returned_case(arrival_on=TODAY)
    _tasks_of_every_kind(case)
    worker = User.objects.get(pk=factories.make_user(Role.CASEWORKER, office=case.office).pk)
    for _run in range(7):
        tasks, sent = _sent_during(lambda: returns.tasks_for(actor=worker, today=TODAY + datetime.timedelta(days=40)))
        # Its first visit, a month after arrival, read from the statement's rows (not the setting's).
        assert [task.text for task in tasks if task.kind == "visit"] == [f"Visite de suivi du dossier {case.reference}"]
    if connection.vendor != "postgresql":
        return
    (visits,) = [index for index, sql in enumerate(sent) if "returns_visit" in sql]
    assert sent[visits - 1] == "SELECT set_config('enable_memoize', 'off', true)"
    assert _memoize_setting() == "on"
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [statement for (statement,) in cursor.fetchall()]
    assert [statement for statement in prepared if "returns_visit" in statement]
    assert any("cases_handover" in statement for statement in prepared)
    with transaction.atomic():
        inside, sent = _sent_during(lambda: returns.tasks_for(actor=worker, today=TODAY + datetime.timedelta(days=40)))
        assert [task.text for task in inside] == [task.text for task in tasks]
        assert not [sql for sql in sent if "enable_memoize" in sql]
        assert _memoize_setting() == "on"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("server_side_binding", [False, True], ids=["values-in-the-text", "values-bound-by-the-server"])
def test_the_planned_visits_run_as_prepared_only_after_their_setting(
    monkeypatch: pytest.MonkeyPatch, server_side_binding: bool
) -> None:
    """Inside a transaction the visits are planned with their values and never run as the statement
    prepared after the setting: a plan made there, without it, would be kept for the runs outside.
    With `server_side_binding` (chosen when Django connects) Django's own cursor would run that
    statement by its name. Both ways, the setting precedes the prepared statement outside."""
    case = factories.make_returned_case(arrival_on=TODAY)
    worker = User.objects.get(pk=factories.make_user(Role.CASEWORKER, office=case.office).pk)
    looked_up: list[Prepare] = []
    if connection.vendor == "postgresql":
        monkeypatch.setitem(connection.settings_dict["OPTIONS"], "server_side_binding", server_side_binding)
        connection.close()  # Django picks its cursor's way of binding when it connects
        monkeypatch.setattr(PrepareManager, "get", _recorded_lookup(PrepareManager.get, looked_up))
    try:
        _check_visits_prepared_only_after_their_setting(
            worker, f"Visite de suivi du dossier {case.reference}", looked_up
        )
    finally:
        monkeypatch.undo()
        connection.close()  # back to the database's own OPTIONS, whatever the checks found


def _check_visits_prepared_only_after_their_setting(worker: User, expected: str, looked_up: list[Prepare]) -> None:
    day = TODAY + datetime.timedelta(days=40)
    for _run in range(3):
        tasks, sent = _sent_during(lambda: returns.tasks_for(actor=worker, today=day))
        assert [task.text for task in tasks] == [expected]
    if connection.vendor != "postgresql":
        assert not [sql for sql in sent if "enable_memoize" in sql]
        return
    (visits,) = [index for index, sql in enumerate(sent) if "returns_visit" in sql]
    assert sent[visits - 1] == "SELECT set_config('enable_memoize', 'off', true)"
    assert looked_up[-1] == Prepare.YES  # run as the statement prepared after the setting
    looked_up.clear()
    with transaction.atomic():
        inside, sent = _sent_during(lambda: returns.tasks_for(actor=worker, today=day))
    assert [task.text for task in inside] == [expected]
    assert not [sql for sql in sent if "enable_memoize" in sql]
    assert set(looked_up) <= {Prepare.NO}  # neither prepared nor run by its name
    assert _memoize_setting() == "on"


def _recorded_lookup(lookup: Callable[..., tuple[Prepare, bytes]], looked_up: list[Prepare]) -> Callable[..., Any]:
    """psycopg's lookup of a prepared statement, recording its answer for the visits' statement."""

    def recorded(manager: PrepareManager, query: Any, prepare: bool | None = None) -> tuple[Prepare, bytes]:
        answer = lookup(manager, query, prepare)
        if b"returns_visit" in query.query:
            looked_up.append(answer[0])
        return answer

    return recorded


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
