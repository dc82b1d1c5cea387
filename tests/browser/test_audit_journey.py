"""A caseworker opens a case file; the coordinator sees who viewed it; the DPO finds the view."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_views_are_visible_to_coordinator_and_dpo(
    new_page: Callable[[], Page], live_server: object, artifacts: Path
) -> None:
    base = str(live_server)
    office = factories.make_office("NPL")
    case = factories.make_case(office=office, family_name="Gurung", given_names="Sita")
    worker = factories.make_user(Role.CASEWORKER, office=office, email="worker@example.test")
    coordinator = factories.make_user(Role.COORDINATOR, email="coord@example.test")
    dpo = factories.make_user(Role.DPO, email="dpo@example.test")

    page = new_page()
    sign_in(page, base, worker)
    page.get_by_role("link", name="Dossiers").first.click()
    expect(page.get_by_role("cell", name="S. G.")).to_be_visible()
    page.get_by_role("link", name=case.reference).click()
    expect(page.get_by_text("Gurung")).to_be_visible()
    expect(page.get_by_role("link", name="Accès", exact=True)).to_have_count(0)
    expect(page.get_by_text("Qui a consulté ce dossier")).to_have_count(0)

    page = new_page()
    sign_in(page, base, coordinator)
    page.goto(f"{base}/dossiers/{case.pk}/")
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "case-summary.png"), full_page=True)
    page.get_by_role("link", name="Accès", exact=True).click()
    expect(page.locator(".tabs [aria-current=page]")).to_have_text("Accès")
    viewers = page.get_by_role("region", name="Qui a consulté ce dossier").or_(
        page.locator("section", has_text="Qui a consulté ce dossier")
    )
    expect(viewers.first).to_contain_text("worker@example.test")
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "case-detail.png"), full_page=True)

    page = new_page()
    sign_in(page, base, dpo)
    page.get_by_role("link", name="Journal d'audit").first.click()
    page.get_by_label("Identifiant de l'objet").fill(str(case.pk))
    page.locator("#id_action").select_option("view")
    page.get_by_role("button", name="Rechercher").click()
    table = page.locator("table")
    expect(table).to_contain_text("worker@example.test")
    expect(table).to_contain_text("coord@example.test")
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "audit-log.png"), full_page=True)
