"""Issue 20, point 12: the expected date format is said next to a date field, in French and in English."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from tests import factories
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_i20_p12_the_date_hint_is_shown_beside_a_date_field_in_french_and_english(
    new_page: Callable[[], Page], live_server: object
) -> None:
    base = str(live_server)
    coordinator = factories.make_user(Role.COORDINATOR)
    page = new_page()
    sign_in(page, base, coordinator)
    page.goto(base + "/programmes/nouveau/")
    start = page.locator("#id_starts_on")
    expect(page.locator("#id_starts_on_format")).to_be_visible()
    expect(page.locator("#id_starts_on_format")).to_have_text("Format : jj/mm/aaaa (jour, mois, année)")
    expect(start).to_have_accessible_description("Format : jj/mm/aaaa (jour, mois, année)")
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("link", name="Home")).to_be_visible()
    page.goto(base + "/programmes/nouveau/")
    expect(page.locator("#id_ends_on_format")).to_be_visible()
    expect(page.locator("#id_ends_on")).to_have_accessible_description("Format: dd/mm/yyyy (day, month, year)")
