"""Pages of lists that may hold a million rows: counted no further than needed.

An exact count reads every row of the list (from an index at best): the coordinator's case list
and referral list, and the audit log, would take longer the more files the programme holds. A
bounded page counts at most `COUNT_BOUND` rows, or one page past the page asked when that is
further, so its cost follows the page asked, not the size of the list. Past that, the last page is
not known: the pager says "of more than N" and offers the next page, never a page that does not
exist; every row stays reachable page after page, and by the filters and the search.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet

# A person pages through a few dozen pages at most, then filters or searches: past a thousand rows
# the pager says "of more than 40 pages" (a count to 10,000 cost the case list a millisecond).
COUNT_BOUND = 1_000
# A row of an ordered queryset: a model instance, or a values or values_list row.
Row = TypeVar("Row")
# Counts the rows of a list up to the number given (a list's rows past it are not read).
Counter = Callable[[int], int]
# A page number past this is read as this one (its window would overflow a database's LIMIT).
LAST_PAGE_ASKED = 1_000_000


class BoundedPaginator(Paginator):  # type: ignore[type-arg]  # not subscriptable at run time
    """A paginator whose count stops at a window: `bounded` tells that the list goes on past it."""

    def __init__(
        self,
        object_list: Sequence[object] | QuerySet[Model, object],
        per_page: int,
        *,
        asked: int,
        bound: int,
        count_to: Counter,
    ) -> None:
        super().__init__(object_list, per_page)
        # Always one page past the page asked, so that its Next link is offered when rows follow.
        self.window = max(bound, (asked + 1) * per_page)
        self.bounded = False
        self.count_to = count_to

    @cached_property
    def count(self) -> int:
        counted = self.count_to(self.window + 1)
        self.bounded = counted > self.window
        return min(counted, self.window)


def asked_page(number: object) -> int:
    """The page number a request asks for: 1 for anything that is not a positive whole number in
    ASCII digits, LAST_PAGE_ASKED for any number past it."""
    text = str(number)
    if not text.isascii() or not text.isdigit() or len(text) > len(str(LAST_PAGE_ASKED)):
        return LAST_PAGE_ASKED if text.isascii() and text.isdigit() else 1
    return min(max(int(text), 1), LAST_PAGE_ASKED)


def bounded_page(object_list: QuerySet[Model, Row], per_page: int, number: object) -> Page[Row]:
    """The page asked of an ordered queryset (the last counted one past the end, as `get_page` does)."""
    return bounded_page_of(object_list, counter_of(object_list), per_page, number)


def counter_of(object_list: QuerySet[Model, Row]) -> Counter:
    """Count a queryset's rows up to a limit, reading no row past it."""

    def count_to(limit: int) -> int:
        # Order does not change a count: without it the database stops at the window from any index.
        return object_list.order_by()[:limit].count()

    return count_to


def bounded_page_of(
    rows: Sequence[Row] | QuerySet[Model, Row], count_to: Counter, per_page: int, number: object
) -> Page[Row]:
    """The page asked of rows read by slices (`rows[start:stop]`), counted by `count_to`."""
    asked = asked_page(number)
    paginator = BoundedPaginator(rows, per_page, asked=asked, bound=COUNT_BOUND, count_to=count_to)
    return paginator.get_page(asked)
