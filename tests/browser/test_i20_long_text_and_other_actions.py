"""Issue 20, points 2 and 18 in a real browser: a pasted narrative is counted, never cut, and
refused before sending; Abandon and Suspend wait behind a closed "Other actions" disclosure."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from careplus.cases.models import CaseNote
from tests import factories
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_i20_p02_a_pasted_narrative_is_counted_and_refused_not_cut(page: Page, live_server: object) -> None:
    coordinator = factories.make_user(Role.COORDINATOR, email="coord@example.test")
    case = factories.make_case(shared=False)
    sign_in(page, str(live_server), coordinator)
    page.goto(f"{live_server}/dossiers/{case.pk}/?onglet=notes")
    box = page.locator("#id_body")
    box.click()
    page.keyboard.insert_text("Récit long. " * 416 + "fin")  # 4,995 characters, as a paste does
    counter = page.locator("#id_body_count")
    expect(counter).to_have_class("field__count field__count--over")
    expect(counter).to_contain_text("4995")
    expect(counter).to_contain_text("2000")

    page.locator("#notes form button[type=submit]").click()
    error = page.locator("#notes [data-count-error]")
    expect(error).to_be_visible()
    expect(error).to_contain_text("2995")  # by how much it is too long
    assert box.evaluate("el => el.value.length") == 4995  # nothing cut, nothing lost
    expect(box).to_be_focused()
    assert not CaseNote.objects.filter(case=case).exists()


def test_i20_p18_abandon_waits_behind_a_closed_other_actions_disclosure(page: Page, live_server: object) -> None:
    coordinator = factories.make_user(Role.COORDINATOR, email="coord@example.test")
    case = factories.make_case(shared=False)
    sign_in(page, str(live_server), coordinator)
    page.goto(f"{live_server}/dossiers/{case.pk}/")
    abandon = page.locator('#statut form:has(input[value="withdrawn"]) button[type=submit]')
    expect(abandon).to_be_hidden()
    other = page.locator("#statut details.other-actions")
    expect(other).not_to_have_attribute("open", "")
    other.locator("summary").click()
    expect(abandon).to_be_visible()
    expect(other.locator("#reason-withdrawn")).to_be_visible()
