"""The one reading of the audit log's actors as names (`accounts.selectors.names_by_id`), used by a
file's corrections, a programme's settings history and the DPO's access export."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from careplus.accounts.models import User
from careplus.accounts.selectors import names_by_id
from tests import factories

pytestmark = pytest.mark.django_db


def test_each_actor_is_named_as_the_user_is_called_now_in_one_query(
    django_assert_num_queries: Callable[..., Any],
) -> None:
    first = factories.make_user(email="o'neill@example.test")
    second = factories.make_user(email="haddad@example.test")
    User.objects.filter(pk=first.pk).update(full_name="सीमा O'Neill")
    User.objects.filter(pk=second.pk).update(full_name="ليلى حداد")
    with django_assert_num_queries(1):
        names = names_by_id([str(first.pk), str(second.pk), str(first.pk)])
    assert names == {str(first.pk): "सीमा O'Neill", str(second.pk): "ليلى حداد"}


def test_an_id_that_names_no_user_is_left_out_and_no_id_asks_nothing(
    django_assert_num_queries: Callable[..., Any],
) -> None:
    user = factories.make_user()
    gone = str(uuid.uuid4())
    # Ids as the log may hold them: empty (the system), not a UUID, a deleted account's.
    assert names_by_id(["", "not-an-id", "1' OR '1'='1", gone, str(user.pk)]) == {str(user.pk): user.full_name}
    with django_assert_num_queries(0):
        assert names_by_id(["", "not-an-id"]) == {}
        assert names_by_id([]) == {}
