"""The one-case read of the scope (`case_visible_to`, used by every case page and API call) finds
exactly the cases that the list scope (`cases_visible_to`) holds, for every kind of user and file."""

from __future__ import annotations

import itertools
import uuid

import pytest
from pytest_django import DjangoAssertNumQueries

from careplus.access.roles import Role
from careplus.access.scopes import case_visible_to, cases_visible_to
from careplus.accounts.models import Office, User
from careplus.cases.models import Case
from tests import factories

pytestmark = pytest.mark.django_db


def _files(home: Office, other: Office, named: User) -> list[Case]:
    """Every kind of file: own office or another, shared or not, restricted (to `named`) or not."""
    cases = []
    for office, shared, restricted in itertools.product((home, other, None), (True, False), (False, True)):
        case = factories.make_case(office=office, shared=shared)
        if restricted:
            case.restricted = True
            case.save()
            case.restricted_users.add(named)
        cases.append(case)
    return cases


def test_one_case_is_visible_exactly_when_the_list_scope_holds_it() -> None:
    home, other = factories.make_office("NPL"), factories.make_office("CMR")
    named_worker = factories.make_user(Role.CASEWORKER, office=home)
    users = factories.users_of_every_kind(home, other, named_worker)
    cases = _files(home, other, named_worker)
    seen_somewhere, answers = set(), []
    for user in users:
        listed = set(cases_visible_to(user).values_list("pk", flat=True))
        for case in cases:
            found = case_visible_to(user, case.pk)
            answers.append(found is not None)
            assert (found is not None) == (case.pk in listed), (user, case.office, case.restricted)
            if found is not None:
                assert found.pk == case.pk
                seen_somewhere.add(case.pk)
        assert case_visible_to(user, uuid.uuid4()) is None
    # Not vacuous: every unrestricted file is seen by someone (a coordinator at least), the named
    # worker sees the restricted file of their office, and many pairs are refused.
    assert {c.pk for c in cases if not c.restricted} < seen_somewhere
    assert answers.count(False) > len(answers) // 2


def test_an_everyday_file_is_read_in_one_query_a_restricted_one_in_two(
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    office = factories.make_office("NPL")
    worker = factories.make_user(Role.CASEWORKER, office=office)
    everyday = factories.make_case(office=office)
    restricted = factories.make_case(office=office)
    restricted.restricted = True
    restricted.save()
    assert case_visible_to(worker, everyday.pk) is not None  # the worker's grants are loaded once
    with django_assert_max_num_queries(1):
        assert case_visible_to(worker, everyday.pk) is not None
    with django_assert_max_num_queries(2):
        assert case_visible_to(worker, restricted.pk) is None
    restricted.restricted_users.add(worker)
    with django_assert_max_num_queries(2):
        assert case_visible_to(worker, restricted.pk) is not None
