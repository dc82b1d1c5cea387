"""The DPO creates an account, grants it a role bound to an office, then deactivates it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from careplus.accounts.models import RoleGrant, User
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_dpo_creates_grants_and_deactivates(page: Page, live_server: object, artifacts: Path) -> None:
    base = str(live_server)
    dpo = factories.make_user(Role.DPO)
    office = factories.make_office("KTM")
    sign_in(page, base, dpo)

    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Utilisateurs").click()
    page.get_by_role("link", name="Nouvel utilisateur").click()
    page.get_by_role("button", name="Créer le compte").click()
    expect(page.get_by_role("alert").first).to_contain_text("Ce champ est obligatoire.")

    page.get_by_label("Adresse électronique").fill("sita.demo@example.test")
    page.get_by_label("Nom complet").fill("Sita Démo")
    page.get_by_role("button", name="Créer le compte").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sita Démo")
    expect(page.get_by_text("Compte créé.")).to_be_visible()

    page.get_by_label("Rôle").select_option(Role.CASEWORKER.value)
    page.get_by_role("button", name="Attribuer", exact=True).click()
    expect(page.get_by_text("Un agent de terrain doit être rattaché à un bureau.")).to_be_visible()
    page.get_by_label("Rôle").select_option(Role.CASEWORKER.value)
    page.get_by_label("Bureau").select_option(str(office.pk))
    page.get_by_role("button", name="Attribuer", exact=True).click()
    expect(page.get_by_text("Saisissez le code de votre application d’authentification")).to_be_visible()
    assert not RoleGrant.objects.filter(user__email="sita.demo@example.test").exists()
    page.get_by_label("Rôle").select_option(Role.CASEWORKER.value)
    page.get_by_label("Bureau").select_option(str(office.pk))
    # A grant asks for the second factor again: the next code, since the sign-in used this one.
    page.get_by_label("Code d'authentification").fill(factories.totp_code(dpo, offset_steps=1))
    page.get_by_role("button", name="Attribuer", exact=True).click()
    expect(page.get_by_text("Rôle attribué.")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "user-detail.png"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Désactiver le compte").click()
    expect(page.get_by_text("Compte désactivé")).to_be_visible()

    user = User.objects.get(email="sita.demo@example.test")
    assert not user.is_active
    assert RoleGrant.objects.get(user=user).office == office

    page.get_by_role("link", name="Utilisateurs").first.click()
    page.get_by_label("Rechercher").fill(dpo.email)
    page.locator("#user-table").get_by_role("link", name=dpo.full_name).first.click()
    expect(page.get_by_text("Personne n’attribue ni ne retire de rôle sur son propre compte")).to_be_visible()
    expect(page.get_by_role("button", name="Attribuer", exact=True)).to_have_count(0)

    page.get_by_role("link", name="Utilisateurs").first.click()
    page.get_by_label("Rechercher").fill("sita")
    expect(page.locator("#user-table")).to_contain_text("sita.demo@example.test")
    expect(page.locator("#user-table")).not_to_contain_text(dpo.email)
