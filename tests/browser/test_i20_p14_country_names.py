"""The case page and the case list name the country of return in the interface language, never by its code."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from tests import factories
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_i20_p14_case_page_shows_country_names(new_page: Callable[[], Page], live_server: object) -> None:
    base = str(live_server)
    coordinator = factories.make_user(Role.COORDINATOR, email="coord@example.test")
    case = factories.make_case(country="CM", family_name="Mbarga", given_names="Awa")
    page = new_page()
    sign_in(page, base, coordinator)
    page.goto(f"{base}/dossiers/{case.pk}/")
    facts = page.locator("dl.facts").first
    expect(facts).to_contain_text("Cameroun")
    expect(facts.locator("dd", has_text="CM")).to_have_count(0)
    page.goto(f"{base}/dossiers/")
    expect(page.locator("tbody")).to_contain_text("Cameroun")
    page.get_by_role("button", name="English").click()
    page.goto(f"{base}/dossiers/{case.pk}/")
    expect(page.locator("dl.facts").first).to_contain_text("Cameroon")
