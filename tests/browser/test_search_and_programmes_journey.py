"""A coordinator creates a programme, then finds a case by exact name; a caseworker of another office cannot."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from careplus.programmes.models import Programme
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_programme_creation_and_search(new_page: Callable[[], Page], live_server: object) -> None:
    base = str(live_server)
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(
        office=factories.make_office("CMR", country="CM"), family_name="Ngono", given_names="Clarisse"
    )
    page = new_page()
    sign_in(page, base, coordinator)

    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Programmes").click()
    page.get_by_role("link", name="Nouveau programme").click()
    page.get_by_label("Nom", exact=False).first.fill("CARE+ 2020")
    page.get_by_label("Bailleur").fill("FAMI")
    page.locator("#id_starts_on").fill("2020-01-01")
    page.locator("#id_ends_on").fill("2019-01-01")
    for name, value in (
        ("target_beneficiaries", "20"),
        ("target_trainings", "6"),
        ("target_professionals", "120"),
        ("budget", "300000"),
        ("ceiling_per_beneficiary", "2500"),
    ):
        page.locator(f"#id_{name}").fill(value)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert").first).to_contain_text("La fin de la période précède son début.")
    assert not Programme.objects.filter(name="CARE+ 2020").exists()
    page.locator("#id_ends_on").fill("2021-06-30")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".message--success")).to_contain_text("Programme enregistré")
    expect(page.get_by_role("link", name="CARE+ 2020")).to_be_visible()

    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Rechercher").click()
    page.get_by_label("Numéro de dossier, référence d'orientation ou nom exact").fill("ngono CLARISSE")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("link", name=case.reference)).to_be_visible()
    assert "ngono" not in page.url.lower()  # p16: searched by POST, the name is in no URL
    expect(page.locator("main")).not_to_contain_text("Ngono")  # names stay masked in results
    assert serious_accessibility_violations(page) == []

    outsider = factories.make_user(Role.CASEWORKER, office=factories.make_office("NPL"))
    other = new_page()
    sign_in(other, base, outsider)
    for query in ("Clarisse Ngono", case.reference):
        other.goto(f"{base}/recherche/")
        other.get_by_label("Numéro de dossier, référence d'orientation ou nom exact").fill(query)
        other.get_by_role("button", name="Rechercher").click()
        expect(other.get_by_text("Aucun dossier trouvé.")).to_be_visible()
        assert other.url == f"{base}/recherche/"  # the searched name travels in no URL
