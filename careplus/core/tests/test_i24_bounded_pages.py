"""Long lists counted no further than needed (issue 24): the rule, then the three lists that use it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.audit.models import AuditEvent
from careplus.audit.services import record_event
from careplus.core import pagination
from careplus.core.pagination import LAST_PAGE_ASKED, BoundedPaginator, asked_page, counter_of
from careplus.referrals.models import Referral
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def _events(count: int) -> list[int]:
    for index in range(count):
        record_event(action="view", object_type="test.row", object_id=str(index), actor=None)
    return list(AuditEvent.objects.filter(object_type="test.row").order_by("seq").values_list("seq", flat=True))


def _page(asked: int, *, bound: int = 10, per_page: int = 5) -> tuple[BoundedPaginator, list[int]]:
    rows = AuditEvent.objects.filter(object_type="test.row").order_by("seq").values_list("seq", flat=True)
    paginator = BoundedPaginator(rows, per_page, asked=asked, bound=bound, count_to=counter_of(rows))
    page = paginator.get_page(asked)
    return paginator, list(page.object_list)


def test_a_long_list_counts_up_to_the_bound_and_says_it_goes_on() -> None:
    seqs = _events(23)
    paginator, rows = _page(1)
    assert paginator.bounded
    assert (paginator.count, paginator.num_pages) == (10, 2)
    assert rows == seqs[:5]
    assert paginator.page(1).has_next()


def test_the_count_follows_the_page_asked_one_page_past_it() -> None:
    seqs = _events(23)
    paginator, rows = _page(3)  # a window of 20 rows: the page asked always has a page after it
    assert paginator.bounded
    assert (paginator.count, paginator.num_pages) == (20, 4)
    assert rows == seqs[10:15]
    assert paginator.page(3).has_next()
    paginator, rows = _page(4)  # asked next, the window moves on with it
    assert (paginator.count, paginator.num_pages, paginator.bounded) == (23, 5, False)
    assert rows == seqs[15:20]


def test_near_the_end_the_count_is_exact_and_the_last_page_is_the_last_row() -> None:
    seqs = _events(23)
    paginator, rows = _page(5)
    assert not paginator.bounded
    assert (paginator.count, paginator.num_pages) == (23, 5)
    assert rows == seqs[20:]
    assert not paginator.page(5).has_next()
    # A page past the end answers the last one, as Django's get_page does.
    paginator, rows = _page(40)
    assert not paginator.bounded
    assert rows == seqs[20:]


def test_a_short_list_is_counted_exactly() -> None:
    _events(8)
    paginator, _rows = _page(1)
    assert not paginator.bounded
    assert paginator.count == 8


def test_the_count_reads_no_further_than_its_window() -> None:
    _events(23)
    with CaptureQueriesContext(connection) as queries:
        paginator, _rows = _page(1)
        assert paginator.count == 10
    counting = [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]
    assert len(counting) == 1
    assert re.search(r"LIMIT 11\b", counting[0]), counting[0]
    assert "ORDER BY" not in counting[0].upper()


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (None, 1),
        ("", 1),
        ("abc", 1),
        ("-3", 1),
        ("0", 1),
        ("2.5", 1),
        ("٣", 1),  # an Arabic-Indic digit: not a page number of the address
        ("7", 7),
        (7, 7),
        ("99999999999999999999999", LAST_PAGE_ASKED),
    ],
)
def test_the_page_asked_is_a_positive_whole_number_within_reach(number: object, expected: int) -> None:
    assert asked_page(number) == expected


def _pager(html: str) -> str:
    found = re.search(r'<nav class="pager".*?</nav>', html, re.S)
    assert found, "no pager"
    return re.sub(r"\s+", " ", found.group(0))


def test_the_case_list_says_more_than_and_offers_the_next_page(
    coordinator: User, signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagination, "COUNT_BOUND", 10)
    for index in range(51):
        factories.make_case(family_name=f"Nom {index}")
    client = signed_in(coordinator)
    first = _pager(client.get(reverse("cases:case_list"), {"status": "open"}).content.decode())
    assert "Page 1 sur plus de 2" in first
    assert 'href="?status=open&amp;page=2">Suivant' in first
    last = _pager(client.get(reverse("cases:case_list"), {"status": "open", "page": "3"}).content.decode())
    assert "Page 3 sur 3" in last
    assert "Suivant" not in last
    # Nothing is lost: the three pages hold every file once.
    seen = set()
    for number in (1, 2, 3):
        listing = client.get(reverse("cases:case_list"), {"page": number}).content.decode()
        seen |= set(re.findall(r"/dossiers/([0-9a-f-]{36})/", listing))
    assert len(seen) == 51


def test_the_referral_list_says_more_than(
    coordinator: User, signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagination, "COUNT_BOUND", 10)
    organisation = factories.make_organisation()
    partner = factories.make_user(Role.PARTNER, organisation=organisation)
    for _index in range(51):
        factories.make_referral(actor=partner, organisation=organisation)
    assert Referral.objects.count() == 51
    client = signed_in(coordinator)
    assert "Page 1 sur plus de 2" in _pager(client.get(reverse("referrals:referral_list")).content.decode())
    assert "Page 3 sur 3" in _pager(client.get(reverse("referrals:referral_list"), {"page": 9}).content.decode())


def test_the_audit_log_says_more_than_and_keeps_its_search_in_the_links(
    dpo: User, signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagination, "COUNT_BOUND", 10)
    _events(130)
    client = signed_in(dpo)
    url = reverse("audit:event_list")
    first = _pager(client.get(url, {"object_type": "test.row"}).content.decode())
    assert "Page 1 sur plus de 2" in first
    assert "object_type=test.row&amp;page=2" in first
    assert "Page 3 sur 3" in _pager(client.get(url, {"object_type": "test.row", "page": "3"}).content.decode())


@pytest.mark.parametrize(("asked", "counted_to"), [(1, 1_001), (40, 1_026), (400, 10_026)])
def test_a_list_is_counted_to_a_thousand_rows_or_one_page_past_the_page_asked(asked: int, counted_to: int) -> None:
    """The bound a real list counts to: a thousand rows (40 pages of 25), further only for a page past it."""
    limits: list[int] = []

    def count_to(limit: int) -> int:
        limits.append(limit)
        return limit  # a list longer than any window

    page = pagination.bounded_page_of(list(range(20_000)), count_to, 25, asked)
    assert limits == [counted_to]
    assert isinstance(page.paginator, BoundedPaginator)
    assert page.paginator.bounded  # "of more than": the pager never claims a last page it has not counted
    assert page.number == asked
    assert page.has_next()
