"""Issue 21 point 3: a coordinator completes a programme's settings; a typo is refused; the history shows old → new."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from careplus.programmes.models import Programme
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_i21_p03_programme_settings_journey(new_page: Callable[[], Page], live_server: object, artifacts: Path) -> None:
    base = str(live_server)
    coordinator = factories.make_user(Role.COORDINATOR)
    programme = factories.make_programme(
        name="CARE+ Dakar", budget=Decimal("50000"), ceiling_per_beneficiary=Decimal("2000")
    )
    page = new_page()
    sign_in(page, base, coordinator)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Programmes").click()
    page.get_by_role("link", name="CARE+ Dakar").click()

    page.locator("#id_ceiling_per_beneficiary").fill("2 500")
    page.locator("#id_currencies").fill("XOF, XFO")
    page.locator("#id_budget_medical").fill("12 000")
    page.locator("#id_budget_iga").fill("20 000,50")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#id_currencies_error")).to_contain_text("XFO")
    programme.refresh_from_db()
    assert programme.version == 1
    assert programme.ceiling_per_beneficiary == Decimal("2000.00")
    assert not programme.budget_lines.exists()

    page.locator("#id_currencies").fill("XOF")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".message--success")).to_contain_text("Programme enregistré")
    page.get_by_role("link", name="CARE+ Dakar").click()
    history = page.locator("#history")
    expect(history).to_contain_text("Plafond par bénéficiaire (EUR)")
    expect(history.locator("tr", has_text="Plafond par bénéficiaire")).to_contain_text("2\xa0000")
    expect(history.locator("tr", has_text="Plafond par bénéficiaire")).to_contain_text("2\xa0500")
    expect(page.locator("#budget-by-category")).to_contain_text("12\xa0000,00")
    expect(page.locator("#id_budget_iga")).to_have_value("20000,50")
    page.screenshot(path=str(artifacts / "i21-programme-settings.png"), full_page=True)
    assert serious_accessibility_violations(page) == []

    programme.refresh_from_db()
    assert programme.currencies == ["XOF"]
    assert dict(programme.budget_lines.values_list("category", "amount")) == {
        "iga": Decimal("20000.50"),
        "medical": Decimal("12000.00"),
    }
    assert Programme.objects.count() == 1
