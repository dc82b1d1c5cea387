"""Issue 21 point 5: a coordinator corrects a person's family name from the file's summary."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from careplus.cases.models import Case
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_i21_p05_coordinator_corrects_the_identity(page: Page, live_server: object, artifacts: Path) -> None:
    base = str(live_server)
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name="Gurung", given_names="Sita")

    sign_in(page, base, coordinator)
    page.goto(f"{base}/dossiers/{case.pk}/")
    page.locator("a[href$='/identite/']").click()
    expect(page.locator("#id_family_name")).to_have_value("Gurung")

    # Without a reason: refused on the field, nothing changed.
    page.locator("#id_family_name").fill("Gurung-Tamang")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("#id_reason")).to_have_attribute("aria-invalid", "true")
    assert Case.objects.get(pk=case.pk).family_name == "Gurung"
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "i21-p05-identity-form.png"), full_page=True)

    page.locator("#id_reason").fill("Le passeport indique une autre orthographe.")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("#person-title")).to_be_visible()
    expect(page.get_by_text("Gurung-Tamang")).to_be_visible()
    assert Case.objects.get(pk=case.pk).family_name == "Gurung-Tamang"

    # The correction is listed in the file's history (which field, by whom, when).
    page.goto(f"{base}/dossiers/{case.pk}/?onglet=historique")
    expect(page.locator("main")).to_contain_text("Nom de famille")
    page.screenshot(path=str(artifacts / "i21-p05-identity-history.png"), full_page=True)
