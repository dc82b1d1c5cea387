"""Search by reference or exact name, through the blind index and within the user's scope."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.audit.models import AuditEvent
from careplus.search.selectors import search
from tests import factories

pytestmark = pytest.mark.django_db


def test_exact_name_in_any_order_accents_and_case_ignored() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name="Ngono", given_names="Clarisse")
    factories.make_case(family_name="Ngonou", given_names="Clarisse")
    for query in ("Clarisse Ngono", "NGONO clarisse", "  clarisse   ngono "):
        assert [c.pk for c in search(actor=coordinator, query=query).cases] == [case.pk]
    assert search(actor=coordinator, query="Ngon").cases == []  # no partial matching


def test_reference_search_and_scope() -> None:
    nepal, cameroon = factories.make_office("NPL"), factories.make_office("CMR", country="CM")
    mine = factories.make_case(office=nepal)
    theirs = factories.make_case(office=cameroon, family_name="Mbarga", given_names="Paul")
    worker = factories.make_user(Role.CASEWORKER, office=nepal)
    assert search(actor=worker, query=mine.reference.lower()).cases == [mine]
    assert search(actor=worker, query=theirs.reference).cases == []
    assert search(actor=worker, query="Paul Mbarga").cases == []


def test_partners_find_their_references_but_not_names(signed_in: Callable[[User], Client]) -> None:
    factories.make_programme()
    organisation = factories.make_organisation()
    partner = factories.make_user(Role.PARTNER, organisation=organisation)
    referral = factories.make_referral(actor=partner, organisation=organisation)
    other = factories.make_referral(family_name="Autre")
    assert search(actor=partner, query=referral.reference).referrals == [referral]
    assert search(actor=partner, query=other.reference).referrals == []
    assert search(actor=partner, query="Leila Haddad").referrals == []
    page = signed_in(partner).post(reverse("search:search"), {"q": referral.reference}).content.decode()
    assert referral.reference in page


def test_the_search_is_audited_without_the_query(signed_in: Callable[[User], Client]) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    factories.make_case(family_name="Tamang", given_names="Maya")
    page = signed_in(coordinator).post(reverse("search:search"), {"q": "Maya Tamang"}).content.decode()
    assert "M. T." in page
    event = AuditEvent.objects.filter(object_type="search").get()
    assert "Tamang" not in str(AuditEvent.objects.values_list())
    assert event.field_names == ["query"]


def test_bad_queries_do_not_fail(signed_in: Callable[[User], Client]) -> None:
    client = signed_in(factories.make_user(Role.COORDINATOR))
    for query in ("", " ", "x" * 500, "<script>", "'; DROP TABLE", "CARE-9999-999"):
        response = client.post(reverse("search:search"), {"q": query})
        assert response.status_code == (400 if len(query) > 100 else 200)
        assert "<script>" not in response.content.decode().split("</header>")[1]


def test_coordinator_inbox_lists_referrals_to_decide(signed_in: Callable[[User], Client]) -> None:
    factories.make_programme()
    referral = factories.make_referral()
    home = signed_in(factories.make_user(Role.COORDINATOR)).get("/").content.decode()
    assert f"Orientation {referral.reference} à décider" in home


def test_namesakes_are_listed_newest_first_and_at_most_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime

    from careplus.cases.models import Case
    from careplus.search import selectors

    monkeypatch.setattr(selectors, "LIMIT", 3)
    coordinator = factories.make_user(Role.COORDINATOR)
    cases = [factories.make_case(family_name="Tamang", given_names="Maya") for _index in range(4)]
    for days, case in zip((30, 10, 20, 40), cases, strict=True):
        Case.objects.filter(pk=case.pk).update(opened_on=datetime.date(2024, 1, 1) + datetime.timedelta(days=days))
    found = search(actor=coordinator, query="maya tamang").cases
    assert [case.pk for case in found] == [cases[3].pk, cases[0].pk, cases[2].pk]


def test_p16_a_name_in_the_url_is_not_searched_and_the_search_needs_csrf(signed_in: Callable[[User], Client]) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name="Tamang", given_names="Maya")
    client = signed_in(coordinator)
    by_url = client.get(reverse("search:search"), {"q": "Maya Tamang"})
    assert by_url.status_code == 200
    assert case.reference not in by_url.content.decode()
    assert "Maya Tamang" not in by_url.content.decode()
    assert not AuditEvent.objects.filter(object_type="search").exists()
    assert 'method="post"' in by_url.content.decode()
    strict = Client(enforce_csrf_checks=True)
    factories.sign_in(strict, coordinator)
    assert strict.post(reverse("search:search"), {"q": "Maya Tamang"}).status_code == 403
    found = client.post(reverse("search:search"), {"q": "Maya Tamang"})
    assert case.reference in found.content.decode()
    assert found.wsgi_request.get_full_path() == reverse("search:search")
