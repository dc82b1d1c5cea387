"""Issue 23, point 1: the offline package holds the minimum each visit needs, for the user's own files."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from django.core.serializers.json import DjangoJSONEncoder

from careplus.access.roles import Role
from careplus.accounts.models import Office, User
from careplus.audit.models import AuditEvent
from careplus.cases.models import Case
from careplus.core.errors import RuleViolation
from careplus.field import package
from careplus.returns import services as returns_services
from careplus.returns.choices import VisitMode
from careplus.returns.models import Visit
from tests import factories

pytestmark = pytest.mark.django_db

ARRIVAL = datetime.date(2018, 5, 20)
TODAY = datetime.date(2018, 6, 10)  # the first visit (20 June) is 10 days ahead


def _own_file(caseworker: User, office: Office, **changes: Any) -> Case:
    case = factories.make_returned_case(office=office, arrival_on=changes.pop("arrival_on", ARRIVAL))
    Case.objects.filter(pk=case.pk).update(caseworker=caseworker, **changes)
    return Case.objects.select_related("data_key", "office").get(pk=case.pk)


@pytest.fixture
def office() -> Office:
    return factories.make_office()


@pytest.fixture
def caseworker(office: Office) -> User:
    return factories.make_user(Role.CASEWORKER, office=office)


def test_the_package_names_the_person_by_alias_and_holds_no_full_name(caseworker: User, office: Office) -> None:
    case = _own_file(caseworker, office)

    taken = package.take_offline(actor=caseworker, days=14, today=TODAY)

    assert [(v.case_reference, v.person, v.planned_on) for v in taken.visits] == [
        (case.reference, "Maya", datetime.date(2018, 6, 20))
    ]
    flat = json.dumps(taken.__dict__, cls=DjangoJSONEncoder, default=str)
    assert "Gurung" not in flat  # the family name never leaves
    assert "Sita" not in flat  # nor the given name when an alias is set
    assert taken.expires_at - taken.generated_at == datetime.timedelta(days=14)
    assert taken.user_id == caseworker.pk


def test_without_an_alias_the_first_given_name_only(caseworker: User, office: Office) -> None:
    case = _own_file(caseworker, office)
    case.safe_contact = {"channel": "phone"}
    case.given_names = "Sita Kumari"
    case.save()

    taken = package.take_offline(actor=caseworker, days=14, today=TODAY)

    assert taken.visits[0].person == "Sita"


def test_overdue_visits_come_first_and_say_so(caseworker: User, office: Office) -> None:
    _own_file(caseworker, office)

    taken = package.take_offline(actor=caseworker, days=14, today=datetime.date(2018, 7, 1))

    assert [(v.planned_on, v.overdue) for v in taken.visits] == [(datetime.date(2018, 6, 20), True)]


def test_only_the_users_own_open_unrestricted_files(caseworker: User, office: Office) -> None:
    mine = _own_file(caseworker, office)
    colleague = factories.make_user(Role.CASEWORKER, office=office)
    _own_file(colleague, office)
    _own_file(caseworker, office, status="closed")
    restricted = _own_file(caseworker, office, restricted=True)
    restricted.restricted_users.add(caseworker)  # named on it: sees it, yet it stays on the server

    taken = package.take_offline(actor=caseworker, days=14, today=TODAY)

    assert {v.case_id for v in taken.visits} == {mine.pk}
    assert taken.restricted_left_out == 1
    assert taken.files_left_out == 0


def test_files_beyond_the_limit_are_counted_the_most_urgent_kept(
    caseworker: User, office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(package, "MAX_FILES", 2)
    later = _own_file(caseworker, office, arrival_on=datetime.date(2018, 5, 25))
    soonest = _own_file(caseworker, office, arrival_on=datetime.date(2018, 5, 15))
    middle = _own_file(caseworker, office, arrival_on=ARRIVAL)

    taken = package.take_offline(actor=caseworker, days=20, today=TODAY)

    assert [v.case_id for v in taken.visits] == [soonest.pk, middle.pk]
    assert later.pk not in {v.case_id for v in taken.visits}
    assert taken.files_left_out == 1


def test_the_last_scores_and_the_alerting_answers_travel(caseworker: User, office: Office) -> None:
    case = _own_file(caseworker, office)
    first = Visit.objects.filter(case=case).order_by("planned_on")[0]
    questionnaire = package.questionnaire_offline()
    alerting = next(q for q in questionnaire.questions if q.alerting)
    answers = {q.code: q.options[0].code for q in questionnaire.questions}
    answers[alerting.code] = alerting.alerting[0]
    returns_services.visit_record(
        actor=caseworker,
        visit=first,
        done_on=datetime.date(2018, 6, 20),
        mode=VisitMode.IN_PERSON,
        progress="Atelier ouvert",
        notes="",
        answers=answers,
    )

    taken = package.take_offline(actor=caseworker, days=60, today=datetime.date(2018, 7, 1))

    assert taken.visits[0].last_scores is not None
    assert set(taken.visits[0].last_scores) >= {"economic", "social", "psychosocial", "composite"}
    assert taken.questionnaire.instrument_id == Visit.objects.get(pk=first.pk).instrument_id
    assert all(q.options for q in taken.questionnaire.questions)


def test_arrival_assistance_due_is_taken_too(caseworker: User, office: Office) -> None:
    case = _own_file(caseworker, office)
    item = returns_services.arrival_item_add(
        actor=caseworker, case=case, kind="shelter", details="Foyer de Pokhara", planned_on=TODAY
    )

    taken = package.take_offline(actor=caseworker, days=14, today=TODAY)

    assert [(a.id, a.kind, a.person) for a in taken.arrivals] == [(item.pk, "shelter", "Maya")]
    assert "Pokhara" not in json.dumps(taken.__dict__, cls=DjangoJSONEncoder, default=str)


def test_each_file_taken_is_audited_as_an_export(caseworker: User, office: Office) -> None:
    case = _own_file(caseworker, office)

    taken = package.take_offline(actor=caseworker, days=14, today=TODAY)

    event = AuditEvent.objects.get(action="export", object_id=str(case.pk))
    assert event.actor_id == str(caseworker.pk)
    assert "offline_package" in event.fields
    assert f"package:{taken.id}" in event.fields


@pytest.mark.parametrize("days", [0, -3, 61, 365])
def test_days_out_of_range_are_refused_and_nothing_is_audited(caseworker: User, office: Office, days: int) -> None:
    _own_file(caseworker, office)
    before = AuditEvent.objects.count()

    with pytest.raises(RuleViolation, match="60"):
        package.take_offline(actor=caseworker, days=days, today=TODAY)

    assert AuditEvent.objects.count() == before


def test_the_package_costs_a_bounded_number_of_queries(
    caseworker: User, office: Office, django_assert_max_num_queries: Any
) -> None:
    for _ in range(4):
        _own_file(caseworker, office)

    # Reading is nine queries whatever the number of files; each file adds its audit event (five:
    # savepoint, chain head, insert, head moved, release).
    with django_assert_max_num_queries(9 + 5 * 4):
        taken = package.take_offline(actor=caseworker, days=14, today=TODAY)

    assert len(taken.visits) == 4
