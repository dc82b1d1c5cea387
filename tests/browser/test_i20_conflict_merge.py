"""Issue 20, point 4 in a real browser: two people edit the same section; the second sees both values
side by side, keeps their text, and saves the merge."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from django.urls import reverse

from careplus.access.roles import Role
from careplus.cases import selectors
from careplus.cases.models import SkillsAssessment
from tests import factories
from tests.browser.helpers import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_i20_p04_conflict_shows_both_values_and_the_merge_is_saved(
    new_page: Callable[[], Page], live_server: object
) -> None:
    base = str(live_server)
    case = factories.make_case()
    url = base + reverse("cases:case_section", kwargs={"case_id": case.pk, "section": "competences"})
    alice, bruno = new_page(), new_page()  # two browser contexts: two sessions
    sign_in(alice, base, factories.make_user(Role.COORDINATOR))
    sign_in(bruno, base, factories.make_user(Role.COORDINATOR))
    for page in (alice, bruno):
        page.goto(url)
    for page, motivation in ((alice, "Reprendre l'atelier familial"), (bruno, "Élever des chèvres")):
        page.locator("#id_education").fill("Lycée")
        page.locator("#id_languages").fill("népali")
        page.locator("#id_work_experience").fill("Couture")
        page.locator("#id_skills").fill("Couture")
        page.locator("#id_motivation").fill(motivation)
        page.locator("#id_preferred_path").select_option("iga")

    alice.get_by_role("button", name="Enregistrer").click()
    alice.wait_for_url(lambda address: "/sections/" not in address)  # saved: back on the case page
    bruno.get_by_role("button", name="Enregistrer").click()

    row = bruno.locator('[data-conflict] tr[data-field="motivation"]')
    expect(row.locator("[data-theirs]")).to_have_text("Reprendre l'atelier familial")
    expect(row.locator("[data-mine]")).to_have_text("Élever des chèvres")
    expect(bruno.locator("#id_motivation")).to_have_value("Élever des chèvres")  # my text kept
    bruno.locator("#id_constraints").fill("Pas de voyage avant mars")  # the merge can be edited
    bruno.get_by_role("button", name="Enregistrer").click()
    bruno.wait_for_url(lambda address: "/sections/" not in address)

    record = selectors.section_record(case, SkillsAssessment)
    assert record is not None
    assert (record.motivation, record.constraints) == ("Élever des chèvres", "Pas de voyage avant mars")
