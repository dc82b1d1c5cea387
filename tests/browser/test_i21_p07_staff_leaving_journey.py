"""Issue 21 point 7: a coordinator names a file's caseworker, then hands a leaving caseworker's (or coordinator's) work over."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from careplus.accounts.models import Office, User
from careplus.cases import staff
from careplus.cases.models import Case, CaseEvent
from careplus.core.models import Instrument
from careplus.instruments import services as drafts
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _person(role: Role, name: str, office: Office | None = None) -> User:
    user = factories.make_user(role, office=office)
    User.objects.filter(pk=user.pk).update(full_name=name)
    user.refresh_from_db()
    return user


def test_i21_p07_coordinator_hands_over_a_leaving_caseworker(
    page: Page, new_page: Callable[[], Page], live_server: object, artifacts: Path
) -> None:
    base = str(live_server)
    dakar = factories.make_office("DKR", country="SN")
    lagos = factories.make_office("LOS", country="NG")
    coordinator = _person(Role.COORDINATOR, "Claire Coordination")
    leaver = _person(Role.CASEWORKER, "Awa Diop", office=dakar)
    colleague = _person(Role.CASEWORKER, "Moussa Fall", office=dakar)
    elsewhere = _person(Role.CASEWORKER, "Ngozi Okafor", office=lagos)
    case = factories.make_case(office=dakar, family_name="Sarr", country="SN")

    # The coordinator names the file's caseworker on its access tab.
    sign_in(page, base, coordinator)
    page.goto(f"{base}/dossiers/{case.pk}/?onglet=acces")
    page.locator("#id_caseworker").select_option(label=f"Awa Diop ({leaver.email})")
    page.locator("form[action$='/intervenant/'] button[type=submit]").click()
    expect(page.get_by_test_id("case-caseworker")).to_contain_text("Awa Diop")
    assert Case.objects.get(pk=case.pk).caseworker_id == leaver.pk

    # Awa leaves: from the file, the coordinator reaches her handover page.
    page.locator("a[href$='/depart/']").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Awa Diop")
    expect(page.get_by_role("cell", name=case.reference)).to_be_visible()
    offered = page.locator("#id_successor option").all_inner_texts()
    assert any("Moussa Fall" in label for label in offered)
    assert not any("Ngozi Okafor" in label or "Awa Diop" in label for label in offered)
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "i21-p07-staff-leaving.png"), full_page=True)

    # Submitting without a colleague is refused on the field, nothing changed.
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form.form button[type=submit]").last.click()
    expect(page.locator("#id_successor")).to_have_attribute("aria-invalid", "true")
    assert User.objects.get(pk=leaver.pk).is_active
    assert Case.objects.get(pk=case.pk).caseworker_id == leaver.pk

    # With Moussa chosen: the file moves, Awa's account is deactivated.
    page.locator("#id_successor").select_option(label=f"Moussa Fall ({colleague.email})")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form.form button[type=submit]").last.click()
    expect(page.locator(".message, [role=status], .messages").first).to_be_visible()
    assert not User.objects.get(pk=leaver.pk).is_active
    assert Case.objects.get(pk=case.pk).caseworker_id == colleague.pk
    assert CaseEvent.objects.filter(case=case, kind="reassigned").count() == 1
    assert elsewhere.is_active

    # The file shows its new caseworker, and the handover in its history.
    page.goto(f"{base}/dossiers/{case.pk}/")
    expect(page.get_by_test_id("case-caseworker")).to_contain_text("Moussa Fall")
    page.goto(f"{base}/dossiers/{case.pk}/?onglet=historique")
    page.screenshot(path=str(artifacts / "i21-p07-history.png"), full_page=True)

    # Awa can no longer sign in.
    other = new_page()
    other.goto(base + "/")
    other.get_by_label("Adresse électronique").fill(leaver.email)
    other.get_by_label("Mot de passe").fill(factories.PASSWORD)
    other.get_by_role("button", name="Continuer").click()
    expect(other.get_by_label("Code")).to_have_count(0)
    assert "/connexion/" in other.url


def test_i21_coordinator_hands_over_a_leaving_coordinator(page: Page, live_server: object, artifacts: Path) -> None:
    """A coordinator leaves: their file and instrument draft go to another coordinator, never a caseworker."""
    base = str(live_server)
    dakar = factories.make_office("DKR", country="SN")
    coordinator = _person(Role.COORDINATOR, "Claire Coordination")
    leaver = _person(Role.COORDINATOR, "Bruno Bureau")
    successor = _person(Role.COORDINATOR, "Diane Direction")
    _person(Role.CASEWORKER, "Moussa Fall", office=dakar)
    case = factories.make_case(office=dakar, family_name="Sarr", country="SN")
    staff.caseworker_set(actor=coordinator, case=case, caseworker=leaver, expected_version=case.version)
    draft = drafts.draft_create(actor=leaver, kind=drafts.ELIGIBILITY)

    sign_in(page, base, coordinator)
    page.goto(f"{base}/utilisateurs/departs/")
    page.get_by_role("link", name="Bruno Bureau").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bruno Bureau")
    counts = page.get_by_test_id("handover-counts")
    expect(counts.locator("[data-kind=files]")).to_have_text("1")
    expect(counts.locator("[data-kind=drafts]")).to_have_text("1")
    offered = page.locator("#id_successor option").all_inner_texts()
    assert any("Diane Direction" in label for label in offered)
    assert not any("Moussa Fall" in label or "Bruno Bureau" in label for label in offered)
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "i21-staff-leaving-coordinator.png"), full_page=True)

    page.locator("#id_successor").select_option(label=f"Diane Direction ({successor.email})")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form.form button[type=submit]").last.click()
    expect(page.locator(".message, [role=status], .messages").first).to_be_visible()
    assert not User.objects.get(pk=leaver.pk).is_active
    assert Case.objects.get(pk=case.pk).caseworker_id == successor.pk
    assert Instrument.objects.get(pk=draft.pk).drafted_by_id == successor.pk
    expect(page.get_by_role("link", name="Bruno Bureau")).to_have_count(0)
