"""A long case list is counted no further than needed: the pager says "more than" and every file
stays reachable page after page (issue 24). The bound is lowered so that a few dozen files reach it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from careplus.core import pagination
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_caseworker_pages_through_a_list_counted_up_to_its_bound(
    new_page: Callable[[], Page], live_server: object, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pagination, "COUNT_BOUND", 10)  # the server runs in this process
    office = factories.make_office("NPL")
    references = {factories.make_case(office=office, family_name=f"Nom {n}").reference for n in range(55)}
    worker = factories.make_user(Role.CASEWORKER, office=office, email="worker@example.test")
    page = new_page()
    sign_in(page, str(live_server), worker)
    page.get_by_role("link", name="Dossiers").first.click()
    pager = page.get_by_role("navigation", name="Pages")
    expect(pager).to_contain_text("Page 1 sur plus de 2")
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "case-list-bounded-pager.png"), full_page=True)
    seen = set(page.locator("tbody tr td:first-child").all_inner_texts())
    pager.get_by_role("link", name="Suivant").click()
    expect(pager).to_contain_text("Page 2 sur 3")
    seen |= set(page.locator("tbody tr td:first-child").all_inner_texts())
    pager.get_by_role("link", name="Suivant").click()
    expect(pager).to_contain_text("Page 3 sur 3")
    expect(pager.get_by_role("link", name="Suivant")).to_have_count(0)
    seen |= set(page.locator("tbody tr td:first-child").all_inner_texts())
    assert seen == references  # every file once, none lost past the bound
    pager.get_by_role("link", name="Précédent").click()
    expect(pager).to_contain_text("Page 2 sur 3")
