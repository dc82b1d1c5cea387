"""A partner refers a person; the coordinator reads the eligibility and decides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from careplus.cases.models import Case
from careplus.referrals.models import Referral
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def fill_referral(page: Page, *, nationality: str, country: str, family_name: str) -> None:
    page.get_by_label("Référent (nom et fonction)").fill("Lieutenant Martin, police judiciaire")
    page.get_by_label("Courriel ou téléphone du référent").fill("martin@example.test")
    page.get_by_label("Prénoms").fill("Leila")
    page.get_by_label("Nom de famille").fill(family_name)
    page.get_by_label("Date de naissance").fill("1994-03-12")
    page.get_by_label("Sexe").select_option("f")
    page.get_by_label("Nationalité").select_option(nationality)
    page.get_by_label("Lieu de résidence en France (commune)").fill("Lyon")
    page.get_by_label("Département").fill("69")
    page.get_by_label("Identification", exact=False).first.select_option("identified")
    page.get_by_label("Identifiée ou repérée par").select_option("police")
    page.get_by_label("Servitude domestique").check()
    page.get_by_role("radio", name="Oui").check()
    page.get_by_label("Pays de retour envisagé").select_option(country)
    page.get_by_label("La personne consent à être orientée vers le programme.").check()
    page.get_by_label("La personne consent au traitement de ses données.").check()
    page.get_by_label("Date du consentement").fill("2018-04-02")


def test_partner_refers_coordinator_accepts(new_page: Callable[[], Page], live_server: object, artifacts: Path) -> None:
    base = str(live_server)
    factories.make_programme()
    factories.make_office("TUN", country="TN")
    organisation = factories.make_organisation("Police de Lyon (fictive)")
    partner = factories.make_user(Role.PARTNER, organisation=organisation, email="partner@example.test")
    coordinator = factories.make_user(Role.COORDINATOR, email="coord@example.test")

    page = new_page()
    sign_in(page, base, partner)
    page.get_by_role("link", name="Orientations").first.click()
    page.get_by_role("link", name="Nouvelle orientation").click()
    fill_referral(page, nationality="TN", country="TN", family_name="Haddad")
    assert serious_accessibility_violations(page) == []
    page.get_by_role("button", name="Envoyer l'orientation").click()
    expect(page.locator(".message--success")).to_contain_text("enregistrée")
    referral = Referral.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Orientation {referral.reference}")

    coord = new_page()
    sign_in(coord, base, coordinator)
    coord.goto(f"{base}/orientations/{referral.pk}/")
    rules = coord.locator(".rules").first
    expect(rules.locator(".rule--pass")).to_have_count(7)
    expect(rules).to_contain_text("Tunisie est hors de l'Union européenne")
    coord.get_by_role("link", name="Enregistrer un repérage des indicateurs").first.click()
    coord.get_by_label("Violences sur la victime").first.check()
    coord.get_by_label("Servitude pour dettes").first.check()
    coord.get_by_role("button", name="Enregistrer le repérage").click()
    expect(coord.get_by_text("Recrutement coercitif")).to_be_visible()
    coord.get_by_label("Accepter : ouvrir un dossier").check()
    coord.get_by_role("button", name="Enregistrer la décision").click()
    expect(coord.get_by_text("Décision enregistrée")).to_be_visible()
    coord.screenshot(path=str(artifacts / "referral-accepted.png"), full_page=True)
    case = Case.objects.get()
    expect(coord.get_by_role("link", name=case.reference)).to_be_visible()

    page.reload()
    expect(page.locator(".badge--accepted")).to_have_text("Acceptée")
    expect(page.get_by_text("Haddad")).to_have_count(0)
    page.goto(f"{base}/dossiers/{case.pk}/")
    expect(page.get_by_role("heading", name="Page introuvable")).to_be_visible()


def test_romanian_referral_fails_the_eu_rule_and_needs_an_override(
    new_page: Callable[[], Page], live_server: object
) -> None:
    base = str(live_server)
    factories.make_programme()
    coordinator = factories.make_user(Role.COORDINATOR)
    factories.make_organisation("Association fictive")
    page = new_page()
    sign_in(page, base, coordinator)
    page.goto(f"{base}/orientations/nouvelle/")
    page.get_by_label("Organisation orienteuse").select_option(label="Association fictive")
    page.get_by_label("Reçue par").select_option("phone")
    fill_referral(page, nationality="RO", country="RO", family_name="Popescu")
    page.get_by_role("button", name="Envoyer l'orientation").click()
    expect(page.locator(".rule--fail")).to_contain_text("Roumanie est membre de l'Union européenne")
    page.get_by_label("Accepter : ouvrir un dossier").check()
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_role("alert").first).to_contain_text("exige un motif explicite")
    assert not Case.objects.exists()
    page.get_by_label("Accepter : ouvrir un dossier").check()
    page.get_by_label("Motif de l'acceptation malgré une règle non satisfaite").fill(
        "Double nationalité : retour vers la Moldavie."
    )
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.get_by_text("Décision enregistrée")).to_be_visible()
    assert Case.objects.count() == 1
