"""Steps shared by browser journeys."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

from careplus.accounts.models import User
from tests import factories


def sign_in(page: Page, base_url: str, user: User) -> None:
    """Sign in through the real pages: password, then the authenticator code."""
    page.goto(base_url + "/")
    page.get_by_label("Adresse électronique").fill(user.email)
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Code").fill(factories.totp_code(user))
    page.get_by_role("button", name="Vérifier").click()


def cells_out_of_line(rows: Locator) -> list[str]:
    """The rows whose cells do not share the row's top and bottom (where their borders are drawn)."""
    if rows.count() == 0:
        raise AssertionError("No row to check: the locator matches nothing.")
    misplaced = []
    for index in range(rows.count()):
        row = rows.nth(index)
        edges = row.locator("td").evaluate_all(
            "cells => cells.map(c => { const r = c.getBoundingClientRect(); return [r.top, r.bottom]; })"
        )
        if len({(round(top), round(bottom)) for top, bottom in edges}) != 1:
            misplaced.append(row.locator("td").first.inner_text())
    return misplaced


def open_tab(page: Page, name: str) -> None:
    """Follow a file's tab and wait until the new page shows it as the current one.

    A click starts the navigation without waiting for it; reading the page straight after it may
    read the page being left.
    """
    page.locator(".tabs").get_by_role("link", name=name, exact=True).click()
    expect(page.locator(".tabs [aria-current=page]")).to_have_text(name)


# Resolves once a service worker controls the page. Evaluated through the DevTools protocol, which
# the page's CSP does not govern; Playwright's wait_for_function polls inside the page by compiling
# its predicate there, which a strict CSP (no 'unsafe-eval') may refuse.
_CONTROLLED = """
() => navigator.serviceWorker.controller !== null || new Promise((resolve) => {
  navigator.serviceWorker.addEventListener('controllerchange', () => resolve(true), { once: true });
})
"""


def wait_until_controlled_by_service_worker(page: Page) -> None:
    """Wait until a service worker controls the page (it claims its clients once activated)."""
    assert page.evaluate(_CONTROLLED) is True


def serious_accessibility_violations(page: Page) -> list[str]:
    """Return the ids of serious or critical axe-core violations on the page."""
    results = Axe().run(page)
    violations = results.response.get("violations", [])
    return [v["id"] for v in violations if v.get("impact") in {"serious", "critical"}]
