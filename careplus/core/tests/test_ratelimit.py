"""Issue 19, point 9 (and the registration link's limit): counted per slot, so parallel workers cannot exceed it."""

from __future__ import annotations

import pytest

from django.core.cache import cache

from careplus.core.ratelimit import take_slot

pytestmark = pytest.mark.django_db


def test_p09_a_limit_counts_each_request_once_and_refuses_past_it() -> None:
    taken = [take_slot("k", limit=3, window=60, now=1000.0) for _ in range(5)]
    assert taken == [True, True, True, False, False]
    assert take_slot("other", limit=3, window=60, now=1000.0)  # another key has its own count
    assert take_slot("k", limit=3, window=60, now=1060.0)  # the next window starts again


def test_p09_workers_that_all_read_the_same_count_still_pass_only_up_to_the_limit() -> None:
    """Each worker reads a stale count (the hint) before counting: the slots still admit three."""
    passed = 0
    for _worker in range(8):
        cache.delete("ratelimit:k:960")  # the hint every worker read before the others wrote theirs
        passed += take_slot("k", limit=3, window=60, now=1000.0)
    assert passed == 3
