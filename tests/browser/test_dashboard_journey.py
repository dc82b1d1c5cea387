"""The coordinator reads the demo programme's dashboard from the launch to 31 August 2018."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from django.core.management import call_command

from careplus.accounts.models import User
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_dashboard_shows_the_published_2018_figures(
    new_page: Callable[[], Page], live_server: object, artifacts: Path
) -> None:
    base = str(live_server)
    call_command("seed_demo", stdout=io.StringIO())
    coordinator = User.objects.get(email="coordination@demo.careplus.test")
    coordinator.set_password(factories.PASSWORD)
    coordinator.save()
    page = new_page()
    sign_in(page, base, coordinator)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Tableau de bord").click()
    page.locator("#id_programme").select_option(label="CARE+ 2017-2019")
    page.locator("#id_end").fill("2018-08-31")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("[data-kpi=professionals] .kpi__value")).to_have_text("41")
    expect(page.locator("[data-kpi=trainings] .kpi__value")).to_have_text("2")
    expect(page.locator("[data-kpi=trainings] .kpi__target")).to_contain_text("5")
    expect(page.locator("[data-kpi=referrals] .kpi__value")).to_have_text("6")
    expect(page.locator("[data-kpi=beneficiaries] .kpi__value")).to_have_text("2")
    expect(page.locator("[data-kpi=beneficiaries] .kpi__target")).to_contain_text("15")
    assert page.locator("svg.bars").count() >= 5
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "dashboard-2018-08.png"), full_page=True)
    page.locator("#id_end").fill("")
    page.locator("#id_period").select_option("2018-S1")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("[data-kpi=professionals] .kpi__value")).to_have_text("41")
    expect(page.locator("[data-kpi=trainings] .kpi__value")).to_have_text("2")
    with page.expect_download() as download:
        page.get_by_role("link", name="Rapport au bailleur (XLSX)").click()
        expect(page.get_by_role("status").filter(has_text="Préparation du fichier")).to_be_visible()
    assert download.value.suggested_filename.endswith(".xlsx")
    expect(page.get_by_role("status").filter(has_text="Le fichier est prêt")).to_be_visible()
