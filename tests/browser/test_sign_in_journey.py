"""A user signs in with password and authenticator code, in French, then switches to English."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_with_code_lands_on_french_home_then_english(page: Page, live_server: object, artifacts: Path) -> None:
    base = str(live_server)
    user = factories.make_user(Role.COORDINATOR, email="claire@example.test")

    page.goto(base + "/")
    expect(page.get_by_role("heading", name="Connexion à CARE+")).to_be_visible()
    assert serious_accessibility_violations(page) == []

    sign_in(page, base, user)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bonjour, Alex")
    expect(page.get_by_text("Vos rôles")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "fr"
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "home-fr.png"), full_page=True)

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Alex")
    expect(page.get_by_text("Your roles")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    page.screenshot(path=str(artifacts / "home-en.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to CARE+")
    page.goto(base + "/compte/")
    assert "/connexion/" in page.url


def test_wrong_code_keeps_the_user_out(page: Page, live_server: object) -> None:
    base = str(live_server)
    user = factories.make_user(Role.TRAINER)
    page.goto(base + "/")
    page.get_by_label("Adresse électronique").fill(user.email)
    page.get_by_label("Mot de passe").fill(factories.PASSWORD)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_label("Code").fill("000000" if factories.totp_code(user) != "000000" else "111111")
    page.get_by_role("button", name="Vérifier").click()
    expect(page.get_by_role("alert")).to_contain_text("Ce code n'est pas valide")
    page.goto(base + "/compte/")
    assert "/connexion/code/" in page.url
