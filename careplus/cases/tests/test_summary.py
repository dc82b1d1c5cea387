"""The case summary reads only the facts the guards of its offered targets look at
(`workflow.READ_BEYOND_THE_ROW`): its checklist must be exactly the one that full facts give."""

from __future__ import annotations

import datetime
import itertools

import pytest
from pytest_django import DjangoAssertNumQueries

from careplus.accounts.models import User
from careplus.cases import selectors, services, workflow
from careplus.cases.choices import CaseStatus, ConsentScope
from careplus.cases.models import Case
from careplus.returns.models import Visit
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 11, 2)


def _checklists(facts: workflow.CaseFacts) -> dict[str, list[str]]:
    return {target: workflow.missing_requirements(facts, target) for target in workflow.allowed_targets(facts)}


def test_the_summary_checklist_equals_the_full_one_in_every_status(coordinator: User) -> None:
    returned = factories.make_returned_case()
    assert Visit.objects.filter(case=returned, status="planned").exists()
    minor = factories.make_case(is_minor=True)
    services.consent_record(actor=coordinator, case=minor, scope=ConsentScope.GUARDIAN, given_on=DAY)
    services.opportunity_add(actor=coordinator, case=minor, kind="training", description="Formation", verified_on=DAY)
    statuses = [s for s in CaseStatus.values if s != CaseStatus.SUSPENDED]
    compared = 0
    for case, status, before in itertools.product(
        (returned, minor, factories.make_case(shared=False)), CaseStatus.values, ["", *statuses]
    ):
        if (status == CaseStatus.SUSPENDED) != bool(before):
            continue
        Case.objects.filter(pk=case.pk).update(status=status, status_before_suspension=before)
        summary, _sections = selectors.case_summary(case)
        full = selectors.case_facts(case)
        assert _checklists(summary) == _checklists(full), (case.reference, status, before)
        compared += 1
    assert compared == 3 * (len(statuses) + len(statuses))
    # Not vacuous: some checklists name a consent, an opportunity or a planned visit.
    Case.objects.filter(pk=returned.pk).update(status=CaseStatus.RETURNED, status_before_suspension="")
    closing = _checklists(selectors.case_summary(returned)[0])[CaseStatus.CLOSED]
    assert closing
    assert all("visite" in item for item in closing)


def test_a_returned_file_summary_reads_its_row_and_its_planned_visits_only(
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    case = factories.make_returned_case()
    with django_assert_max_num_queries(2):
        facts, _sections = selectors.case_summary(case)
    assert facts.pending_visits
