"""Issue 23, point 1, through the API: a caseworker takes their files offline (POST, audited)."""

from __future__ import annotations

import datetime

import pytest

from django.utils import timezone

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.audit.models import AuditEvent
from careplus.cases.models import Case
from tests import factories
from tests.api.helpers import api_client

pytestmark = pytest.mark.django_db
URL = "/api/v1/field/package/"


@pytest.fixture
def caseworker_with_a_visit_due() -> tuple[User, Case]:
    office = factories.make_office()
    caseworker = factories.make_user(Role.CASEWORKER, office=office)
    arrival = timezone.localdate() - datetime.timedelta(days=25)  # first visit a month after: in 5 or 6 days
    case = factories.make_returned_case(office=office, arrival_on=arrival)
    Case.objects.filter(pk=case.pk).update(caseworker=caseworker)
    return caseworker, case


def test_a_caseworker_takes_the_due_visit_offline(caseworker_with_a_visit_due: tuple[User, Case]) -> None:
    caseworker, case = caseworker_with_a_visit_due

    response = api_client(caseworker).post(URL, {"days": 14}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [(v["case_reference"], v["person"]) for v in body["visits"]] == [(case.reference, "Maya")]
    assert body["questionnaire"]["questions"]
    assert body["files_left_out"] == 0
    assert b"Gurung" not in response.content
    assert AuditEvent.objects.filter(action="export", object_id=str(case.pk)).count() == 1


def test_days_out_of_range_answer_400_with_the_reason(caseworker_with_a_visit_due: tuple[User, Case]) -> None:
    caseworker, _case = caseworker_with_a_visit_due
    before = AuditEvent.objects.filter(action="export").count()

    response = api_client(caseworker).post(URL, {"days": 90}, format="json")

    assert response.status_code == 400
    assert "60" in response.json()["message"]
    assert AuditEvent.objects.filter(action="export").count() == before


def test_a_package_is_taken_by_post_only(caseworker_with_a_visit_due: tuple[User, Case]) -> None:
    caseworker, _case = caseworker_with_a_visit_due

    assert api_client(caseworker).get(URL).status_code == 405


@pytest.mark.parametrize("role", [Role.PARTNER, Role.AUDITOR, Role.DPO, Role.TRAINER])
def test_roles_that_record_no_visit_get_404(role: Role) -> None:
    user = factories.make_user(role)

    assert api_client(user).post(URL, {}, format="json").status_code == 404
