"""Issue 21 point 2: the DPO opens an office in Dakar, adds a partner organisation, invites its user, suspends its portal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from careplus.accounts.models import Office, Organisation, RoleGrant
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

NAME = re.compile(r"^Nom\W*$")  # not "Nom complet"
CODE = re.compile(r"^Code\W*$")  # not "Code d'authentification"


def test_i21_p02_dpo_sets_up_dakar_and_a_partner(page: Page, live_server: object, artifacts: Path) -> None:
    base = str(live_server)
    dpo = factories.make_user(Role.DPO)
    factories.make_office("DKR-OLD", country="SN")
    sign_in(page, base, dpo)
    menu = page.get_by_role("navigation", name="Menu principal")

    # An office in Dakar; a code already used is refused on its field first.
    menu.get_by_role("link", name="Bureaux").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bureaux")
    page.get_by_role("link", name="Nouveau bureau").click()
    page.get_by_label(NAME).fill("Bureau de Dakar")
    page.get_by_label(CODE).fill(" dkr-old ")
    page.get_by_label("Pays").select_option(label="Sénégal")
    page.get_by_label("Ville").fill("Dakar")
    page.get_by_label("Fuseau horaire").select_option("Africa/Dakar")
    page.get_by_role("button", name="Créer le bureau").click()
    expect(page.get_by_text("Un autre bureau a déjà le code DKR-OLD.")).to_be_visible()
    assert not Office.objects.filter(name="Bureau de Dakar").exists()
    page.get_by_label(CODE).fill(" dkr ")
    page.get_by_role("button", name="Créer le bureau").click()
    expect(page.get_by_text("Bureau Bureau de Dakar (DKR) créé.")).to_be_visible()
    office = Office.objects.get(code="DKR")
    assert (office.country, office.city, office.time_zone) == ("SN", "Dakar", "Africa/Dakar")
    menu.get_by_role("link", name="Bureaux").click()
    expect(page.get_by_role("row", name="Bureau de Dakar")).to_contain_text("Sénégal")
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "i21-p02-offices.png"), full_page=True)

    # A partner organisation: without a type it is refused, with its reason.
    menu.get_by_role("link", name="Organisations partenaires").click()
    page.get_by_role("link", name="Nouvelle organisation").click()
    page.get_by_label(NAME).fill("Commissariat de Lyon 7e")
    page.get_by_label("Département").fill("2C")
    page.get_by_role("button", name="Créer l’organisation").click()
    expect(page.get_by_text("Choisissez le type d’organisation.")).to_be_visible()
    expect(page.get_by_text("Saisissez un numéro de département français, par exemple 69 ou 2A.")).to_be_visible()
    assert not Organisation.objects.filter(name="Commissariat de Lyon 7e").exists()
    page.get_by_label(re.compile(r"^Type")).select_option("police")
    page.get_by_label("Département").fill("69")
    page.get_by_role("button", name="Créer l’organisation").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Commissariat de Lyon 7e")

    # Its user, invited from its page: the grant asks for the second factor again.
    page.get_by_label("Adresse électronique").fill("agent.lyon7@example.test")
    page.get_by_label("Nom complet").fill("Paul Girard")
    page.get_by_label("Code d'authentification").fill(factories.totp_code(dpo, offset_steps=1))
    page.get_by_role("button", name="Inviter", exact=True).click()
    expect(page.get_by_text("Compte de Paul Girard créé avec le rôle de partenaire")).to_be_visible()
    expect(page.get_by_role("row", name="Paul Girard")).to_contain_text("agent.lyon7@example.test")
    grant = RoleGrant.objects.select_related("organisation").get(user__email="agent.lyon7@example.test")
    assert (grant.role, str(grant.organisation)) == (Role.PARTNER, "Commissariat de Lyon 7e")

    # Its referral portal, suspended.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Suspendre le portail d’orientation").click()
    expect(page.get_by_text("Portail d’orientation suspendu : ses partenaires")).to_be_visible()
    assert Organisation.objects.get(name="Commissariat de Lyon 7e").referrals_suspended
    expect(page.get_by_role("button", name="Rétablir le portail d’orientation")).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "i21-p02-organisation.png"), full_page=True)
    body = page.locator("main").inner_text()
    for english in ("Partners of this organisation", "Invite a user", "Referral portal", "Suspended"):
        assert english not in body
