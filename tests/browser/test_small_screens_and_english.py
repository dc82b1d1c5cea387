"""The screens people use every day work at 375 px, weigh little, and read in English without French leftovers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from careplus.access.roles import Role
from careplus.returns.models import Visit
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import serious_accessibility_violations, sign_in

if TYPE_CHECKING:
    from playwright._impl._api_structures import SetCookieParam

pytestmark = pytest.mark.django_db(transaction=True)
PHONE: ViewportSize = {"width": 375, "height": 740}
MAX_PAGE_BYTES = 300_000


def _transferred(page: Page, url: str) -> int:
    """Load a page in a fresh context and return the bytes of the document and every asset it fetched."""
    sizes: list[int] = []

    def note(response: Any) -> None:
        if response.ok:
            sizes.append(len(response.body()))

    page.on("response", note)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return sum(sizes)


def _no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_inbox_case_page_and_visit_form_at_375_px(new_page: Callable[[], Page], live_server: object) -> None:
    base = str(live_server)
    office = factories.make_office("KTM", country="NP")
    caseworker = factories.make_user(Role.CASEWORKER, office=office)
    case = factories.make_returned_case(office=office)
    visit = Visit.objects.filter(case=case).order_by("planned_on").first()
    assert visit is not None
    page = new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, base, caseworker)

    for name, url in (
        ("inbox", "/"),
        ("case", f"/dossiers/{case.pk}/"),
        ("visit-form", f"/dossiers/{case.pk}/retour/visites/{visit.pk}/"),
    ):
        page.goto(base + url)
        expect(page.locator("h1")).to_be_visible()
        assert _no_horizontal_scroll(page), f"{name} scrolls sideways at 375 px"
        assert serious_accessibility_violations(page) == [], name
        page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)


def test_main_pages_weigh_under_300_kb(new_page: Callable[[], Page], live_server: object) -> None:
    base = str(live_server)
    office = factories.make_office("TUN", country="TN")
    caseworker = factories.make_user(Role.CASEWORKER, office=office)
    case = factories.make_returned_case(office=office)
    page = new_page()
    sign_in(page, base, caseworker)
    for url in ("/", "/dossiers/", f"/dossiers/{case.pk}/", f"/dossiers/{case.pk}/retour/", "/recherche/"):
        other = new_page()
        other.context.add_cookies(cast("list[SetCookieParam]", page.context.cookies()))
        weight = _transferred(other, base + url)
        assert 0 < weight < MAX_PAGE_BYTES, f"{url}: {weight} bytes"


def test_the_english_interface_has_no_french_leftovers(new_page: Callable[[], Page], live_server: object) -> None:
    base = str(live_server)
    office = factories.make_office("YAO", country="CM")
    caseworker = factories.make_user(Role.CASEWORKER, office=office)
    case = factories.make_returned_case(office=office)
    page = new_page()
    sign_in(page, base, caseworker)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("link", name="Home")).to_be_visible()
    french_words = ["Accueil", "Dossiers", "Rechercher", "Se déconnecter", "Vos tâches", "Statut", "Enregistrer"]
    for name, url in (("home", "/"), ("cases", "/dossiers/"), ("case", f"/dossiers/{case.pk}/")):
        page.goto(base + url)
        text = page.locator("main").inner_text() + page.get_by_role("navigation").first.inner_text()
        leftovers = [word for word in french_words if word in text]
        leftovers += sorted({char for char in text if char in "éèêàçùœ"})
        assert leftovers == [], f"{url}: {leftovers}"
        page.screenshot(path=str(ARTIFACTS / f"english-{name}.png"), full_page=True)
