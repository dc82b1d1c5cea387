"""A caseworker creates an API token (second factor again), uses it once, reads the local API docs, revokes it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from tests import factories
from tests.browser.conftest import ARTIFACTS
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_token_creation_use_docs_and_revocation(new_page: Callable[[], Page], live_server: object) -> None:
    base = str(live_server)
    user = factories.make_user(Role.CASEWORKER)
    page = new_page()
    external: list[str] = []
    page.on("request", lambda request: external.append(request.url) if not request.url.startswith(base) else None)
    sign_in(page, base, user)

    page.goto(base + "/compte/")
    page.get_by_role("link", name="Mes jetons d’API").click()
    expect(page.get_by_role("heading", name="Jetons d’API", level=1)).to_be_visible()
    page.get_by_label("Nom du jeton").fill("Logiciel du bureau de Tunis")
    page.get_by_label("Code d'authentification").fill("000000")
    page.get_by_role("button", name="Créer le jeton").click()
    expect(page.get_by_text("Ce code n'est pas valide", exact=False)).to_be_visible()
    assert page.locator("#new-token").count() == 0
    page.wait_for_timeout(2100)  # django-otp slows retries down after a failure

    page.get_by_label("Nom du jeton").fill("Logiciel du bureau de Tunis")
    page.get_by_label("Code d'authentification").fill(factories.totp_code(user, offset_steps=1))
    page.get_by_role("button", name="Créer le jeton").click()
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("cpt_")
    expect(page.get_by_role("cell", name="Actif")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / "api-token-created.png"), full_page=True)

    me = page.request.get(base + "/api/v1/me/", headers={"Authorization": f"Bearer {token}"})
    assert me.status == 200
    assert me.json()["email"] == user.email

    page.goto(base + "/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("CARE+ API")
    expect(page.get_by_text("/api/v1/referrals/").first).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "api-docs.png"))

    page.goto(base + "/compte/jetons/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Retirer").click()
    expect(page.get_by_text("est révoqué", exact=False)).to_be_visible()
    again = page.request.get(base + "/api/v1/me/", headers={"Authorization": f"Bearer {token}"})
    assert again.status == 401
    assert again.json()["code"] == "authentication_failed"
    assert external == []
