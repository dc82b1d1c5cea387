"""The menu and the home page's "Where to go" list, their addresses reversed once per page: each
entry the user may use, with its address, the current page marked, nothing else."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.home.context_processors import NAVIGATION
from tests import factories

SignedIn = Callable[[User], Client]
pytestmark = pytest.mark.django_db


def _menu(html: str) -> list[tuple[str, str]]:
    block = html.split('class="site-nav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', block)


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.COORDINATOR, Role.PARTNER, Role.DPO])
def test_the_menu_and_where_to_go_list_each_entry_the_user_may_use(signed_in: SignedIn, role: Role) -> None:
    user = factories.make_user(role)
    html = signed_in(user).get(reverse("home:home")).content.decode()
    menu = _menu(html)
    names = {reverse(name): name for name, _label, _action in NAVIGATION}
    assert menu, "an empty menu"
    assert all(url in names for url, _label in menu)
    assert len({url for url, _label in menu}) == len(menu)
    assert '<a href="/" aria-current="page">' in html
    where_to_go = html.rsplit("</h2>", 1)[-1]  # the last section of the page
    for url, label in menu:
        if url != "/":
            assert f'<a href="{url}">{label}</a>' in where_to_go
    assert '<a href="/">' not in where_to_go  # the page itself is not among the places to go
    shown = {names[url] for url, _label in menu}
    assert ("cases:case_list" in shown) == (role in {Role.CASEWORKER, Role.COORDINATOR})
    assert ("audit:event_list" in shown) == (role == Role.DPO)


def test_the_case_list_is_marked_as_the_current_page_in_its_menu(signed_in: SignedIn) -> None:
    html = signed_in(factories.make_user(Role.CASEWORKER)).get(reverse("cases:case_list")).content.decode()
    assert f'<a href="{reverse("cases:case_list")}" aria-current="page">' in html
    assert '<a href="/" aria-current="page">' not in html
