"""Issue 21 point 5: a coordinator corrects a person's family name from the file's summary."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from django.utils import timezone

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

    # A corrected date of birth that makes the person a minor: the file now follows the minors'
    # procedure, and the coordinator is told so (the warning) beside the minor's badge.
    today = timezone.localdate()
    minor_birth = datetime.date(today.year - 12, 1, 15)
    page.goto(f"{base}/dossiers/{case.pk}/identite/")
    expect(page.locator(".messages .message--warning")).to_have_count(0)
    page.locator("#id_date_of_birth").fill(minor_birth.isoformat())
    page.locator("#id_reason").fill("L'acte de naissance indique une autre date.")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("#person-title")).to_be_visible()
    expect(page.locator(".messages .message--warning")).to_have_count(1)
    expect(page.locator(".messages .message--warning")).to_be_visible()
    expect(page.locator(".page-head .badge--warning")).to_be_visible()
    assert Case.objects.get(pk=case.pk).is_minor
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "i21-identity-minor-notice.png"), full_page=True)
