"""Issue 20, point 7: a minor who comes of age before departure keeps the child procedure, and the
case page says so beside the planned departure."""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest

from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import escape

from careplus.accounts.models import User
from careplus.cases import selectors, workflow
from careplus.cases.choices import CaseStatus
from careplus.cases.models import Case
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def _short(day: datetime.date) -> str:
    return str(formats.date_format(day, "SHORT_DATE_FORMAT"))


def test_i20_p07_minor_turning_18_before_departure_keeps_the_child_procedure(
    coordinator: User, signed_in: SignedIn
) -> None:
    today = timezone.localdate()
    majority = today + datetime.timedelta(days=30)
    if (majority.month, majority.day) == (2, 29):
        majority += datetime.timedelta(days=1)
    birth = majority.replace(year=majority.year - 18)
    departure = today + datetime.timedelta(days=60)
    case = factories.make_case(is_minor=True, date_of_birth=birth)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.PRE_DEPARTURE, planned_departure_on=departure)
    case.refresh_from_db()

    facts, _sections = selectors.case_summary(case)
    procedure = selectors.case_procedure(case, facts)
    assert procedure.child
    assert procedure.majority_on == majority
    assert procedure.majority_before_departure
    # The child guards still apply to the departure checklist.
    assert any(
        "guardian" in item or "tuteur" in item
        for item in workflow.missing_requirements(facts, CaseStatus.READY_TO_DEPART)
    )

    page = signed_in(coordinator).get(reverse("cases:case_detail", kwargs={"case_id": case.pk})).content.decode()
    planned = page.split('id="plan-title"')[1].split("</section>")[0]
    assert _short(departure) in planned
    assert _short(majority) in planned  # the date of majority beside the planned departure
    next_steps = page.split('id="status-title"')[1]
    assert escape(procedure.explanation) in next_steps
    assert _short(majority) in procedure.explanation
    assert _short(departure) in procedure.explanation
    assert "Mineur : enregistrez le consentement du tuteur au retour." in next_steps


def test_i20_p07_procedure_says_why_in_each_situation() -> None:
    today = datetime.date(2026, 12, 1)
    adult = workflow.procedure(is_minor=False, date_of_birth=None, planned_departure_on=None, today=today)
    assert not adult.child
    assert adult.majority_on is None
    unknown = workflow.procedure(is_minor=True, date_of_birth=None, planned_departure_on=None, today=today)
    assert unknown.child
    assert unknown.majority_on is None
    assert unknown.explanation
    already = workflow.procedure(
        is_minor=True, date_of_birth=datetime.date(2008, 1, 15), planned_departure_on=None, today=today
    )
    assert already.child
    assert already.majority_on == datetime.date(2026, 1, 15)
    assert _short(datetime.date(2026, 1, 15)) in already.explanation
    later = workflow.procedure(
        is_minor=True,
        date_of_birth=datetime.date(2010, 6, 1),
        planned_departure_on=datetime.date(2027, 1, 10),
        today=today,
    )
    assert later.child
    assert not later.majority_before_departure
    assert workflow.majority_date(datetime.date(2008, 2, 29)) == datetime.date(2026, 3, 1)


def test_i20_p07_adult_case_page_says_adult_procedure_without_a_majority_date(
    coordinator: User, signed_in: SignedIn
) -> None:
    case = factories.make_case()
    facts, _sections = selectors.case_summary(case)
    procedure = selectors.case_procedure(case, facts)
    page = signed_in(coordinator).get(reverse("cases:case_detail", kwargs={"case_id": case.pk})).content.decode()
    assert not procedure.child
    assert escape(procedure.explanation) in page
    assert 'badge--warning">' not in page.split('id="plan-title"')[1].split("</section>")[0]
