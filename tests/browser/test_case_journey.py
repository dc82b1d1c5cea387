"""Pre-departure journeys: an adult case reaches ready_to_depart; a minor's waits for the child procedure."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from django.utils import timezone

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.cases import services
from careplus.cases.models import Case, NeedsAssessment, RestrictedView, SkillsAssessment
from tests import factories
from tests.browser.helpers import cells_out_of_line, open_tab, serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

SKILLS = {
    "education": "Lycée",
    "languages": "népali",
    "work_experience": "Couture",
    "skills": "Couture",
    "motivation": "Forte",
    "preferred_path": "iga",
    "constraints": "",
}
RISK_FACTORS = ["re_trafficking", "network_threats", "family_involvement", "debts", "stigma", "health", "area_security"]


def setup_case(*, minor: bool) -> tuple[Case, User]:
    coordinator = factories.make_user(Role.COORDINATOR, email="coord@example.test")
    office = factories.make_office("NPL")
    case = factories.make_case(office=office, is_minor=minor, family_name="Tamang", given_names="Maya", shared=minor)
    services.consent_record(actor=coordinator, case=case, scope="data_processing", given_on=datetime.date(2018, 4, 2))
    return case, coordinator


def checklist(page: Page) -> list[str]:
    return page.locator(".checklist--missing").first.locator("li").all_inner_texts()


def fill_risk(page: Page, overall: str) -> None:
    page.get_by_role("row", name="Évaluation des risques").get_by_role("link").click()
    for name in RISK_FACTORS:
        page.locator(f"#id_factor_{name}").select_option("medium")
    page.get_by_label("Risque global").select_option(overall)
    page.get_by_label("Mesures d'atténuation").fill("Accueil en foyer sécurisé, changement de numéro.")
    page.get_by_role("button", name="Enregistrer").click()


def test_adult_case_reaches_ready_to_depart(new_page: Callable[[], Page], live_server: object, artifacts: Path) -> None:
    base = str(live_server)
    case, coordinator = setup_case(minor=False)
    worker = factories.make_user(Role.CASEWORKER, office=case.office, email="worker@example.test")

    coord = new_page()
    sign_in(coord, base, coordinator)
    coord.goto(f"{base}/dossiers/{case.pk}/")
    coord.get_by_role("button", name="Passer à « Avant le départ »").click()
    expect(coord.locator(".message--success")).to_contain_text("Statut modifié")
    before = checklist(coord)
    assert any("risques" in item for item in before)
    open_tab(coord, "Consentements et bureau")
    coord.get_by_text("Enregistrer un consentement").click()
    coord.locator("#id_scope").select_option("share_return_office")
    coord.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(coord.locator(".message--success")).to_contain_text("Consentement enregistré")
    expect(coord.locator(".tabs [aria-current=page]")).to_have_text("Consentements et bureau")
    open_tab(coord, "Synthèse")
    assert len(checklist(coord)) == len(before) - 1

    page = new_page()
    sign_in(page, base, worker)
    page.goto(f"{base}/dossiers/{case.pk}/")
    fill_risk(page, "high")
    expect(page.locator(".message--success")).to_contain_text("Évaluation des risques")
    items = checklist(page)
    assert any("approuver l'évaluation des risques" in item for item in items)
    assert len(items) == len(before) - 1  # the risk item became the approval item

    coord.reload()
    coord.get_by_role("button", name="Approuver le risque élevé").click()
    expect(coord.locator(".message--success")).to_contain_text("Risque élevé approuvé")
    assert len(checklist(coord)) == len(before) - 2

    services.section_save(
        actor=worker,
        case=case,
        model=NeedsAssessment,
        values={"priorities": {"medical": "high"}, "notes": ""},
        expected_version=None,
        label="b",
    )
    services.section_save(
        actor=worker, case=case, model=SkillsAssessment, values=SKILLS, expected_version=None, label="c"
    )
    coord.reload()
    assert len(checklist(coord)) == len(before) - 4

    open_tab(coord, "Opportunités")
    coord.get_by_text("Ajouter une opportunité").click()
    coord.get_by_label("Opportunité (qui, quoi, où)").fill("Atelier de couture de Pokhara, poste confirmé")
    coord.get_by_role("button", name="Ajouter", exact=True).click()
    expect(coord.locator(".message--success")).to_contain_text("Opportunité de réinsertion ajoutée")
    expect(coord.get_by_text("Atelier de couture de Pokhara, poste confirmé")).to_be_visible()
    open_tab(coord, "Synthèse")
    assert len(checklist(coord)) == len(before) - 5
    coord.get_by_role("link", name="Modifier").first.click()
    coord.get_by_label("Départ prévu").fill((timezone.localdate() + datetime.timedelta(days=30)).isoformat())
    coord.get_by_role("button", name="Enregistrer").click()
    expect(coord.locator(".checklist--missing")).to_have_count(0)
    assert serious_accessibility_violations(coord) == []
    coord.screenshot(path=str(artifacts / "case-ready.png"), full_page=True)
    assert cells_out_of_line(coord.locator("#assess-title + table tbody tr")) == []
    coord.get_by_role("button", name="Passer à « Prêt au départ »").click()
    expect(coord.locator(".page-head .badge").first).to_have_text("Prêt au départ")
    assert Case.objects.get(pk=case.pk).status == "ready_to_depart"


def test_minor_case_waits_for_the_child_procedure(new_page: Callable[[], Page], live_server: object) -> None:
    base = str(live_server)
    case, coordinator = setup_case(minor=True)
    worker = factories.make_user(Role.CASEWORKER, office=case.office)
    other = factories.make_user(Role.COORDINATOR, email="other@example.test")
    services.case_transition(
        actor=coordinator, case=case, target="pre_departure", expected_version=Case.objects.get(pk=case.pk).version
    )
    for model, values in ((NeedsAssessment, {"priorities": {}, "notes": ""}), (SkillsAssessment, SKILLS)):
        services.section_save(actor=worker, case=case, model=model, values=values, expected_version=None, label="x")
    from careplus.cases.models import RiskAssessment

    services.section_save(
        actor=worker,
        case=case,
        model=RiskAssessment,
        values={"ratings": {}, "overall": "low", "mitigation": "m"},
        expected_version=None,
        label="r",
    )
    services.opportunity_add(
        actor=worker, case=case, kind="education", description="École", verified_on=datetime.date(2018, 5, 1)
    )
    services.case_plan_save(
        actor=coordinator,
        case=case,
        expected_version=Case.objects.get(pk=case.pk).version,
        planned_departure_on=timezone.localdate() + datetime.timedelta(days=40),
        safe_contact={},
    )

    coord = new_page()
    sign_in(coord, base, coordinator)
    coord.goto(f"{base}/dossiers/{case.pk}/")
    items = checklist(coord)
    assert len(items) == 4
    assert all(item.startswith("Mineur") for item in items)

    open_tab(coord, "Consentements et bureau")
    coord.get_by_text("Enregistrer un consentement").click()
    coord.locator("#id_scope").select_option("guardian")
    coord.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(coord.locator(".message--success")).to_contain_text("Consentement enregistré")
    open_tab(coord, "Synthèse")
    expect(coord.locator(".checklist--missing li")).to_have_count(3)

    page = new_page()
    sign_in(page, base, worker)
    page.goto(f"{base}/dossiers/{case.pk}/sections/enquete-familiale/")
    page.get_by_label("Personne qui prendra soin de l'enfant et lien avec lui").fill("Sa tante maternelle")
    page.get_by_label("Volonté et capacité").fill("Volontaire, logement stable, école à 1 km")
    page.get_by_label("Avis de l'enfant et de la famille").fill("Souhaitent le retour")
    page.get_by_label("Réalisée le").fill("2018-05-20")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".message--success")).to_contain_text("Enquête familiale")

    coord.goto(f"{base}/dossiers/{case.pk}/sections/interet-superieur/")
    coord.get_by_label("Participants (comité)").fill("Tuteur, éducatrice ASE, coordinatrice")
    coord.get_by_label("Éléments pris en compte et recommandation").fill("Liens familiaux, sécurité, scolarité")
    coord.get_by_role("radio", name="Oui").check()
    coord.get_by_role("button", name="Enregistrer").click()
    expect(coord.locator(".message--success")).to_have_count(1)
    # Its author is not offered to approve it (careplus.access.rules.may_approve_bid, which the service asks too).
    expect(coord.get_by_role("button", name="Approuver la détermination")).to_have_count(0)
    assert any("autre que son auteur" in item for item in checklist(coord))

    second = new_page()
    sign_in(second, base, other)
    second.goto(f"{base}/dossiers/{case.pk}/")
    second.get_by_role("button", name="Approuver la détermination").click()
    expect(second.locator(".message--success")).to_contain_text("approuvée")

    coord.goto(f"{base}/dossiers/{case.pk}/sections/coordination/")
    coord.get_by_label("Acteurs en France").fill("ASE du Rhône, tuteur")
    coord.get_by_label("Acteurs dans le pays de retour").fill(
        "Bureau de Katmandou, services de protection de l'enfance"
    )
    coord.get_by_label("Escorte pendant le voyage").fill("Escorte OIM")
    coord.get_by_label("Accueil à l'arrivée (personne désignée)").fill("Sa tante à l'aéroport")
    coord.get_by_role("button", name="Enregistrer").click()
    expect(coord.locator(".checklist--missing")).to_have_count(0)
    coord.get_by_role("button", name="Passer à « Prêt au départ »").click()
    expect(coord.locator(".page-head .badge").first).to_have_text("Prêt au départ")


def test_p02_restricted_file_asks_the_reason_once_then_its_sub_pages_open(
    new_page: Callable[[], Page], live_server: object
) -> None:
    base = str(live_server)
    case, coordinator = setup_case(minor=False)
    services.restriction_set(
        actor=coordinator,
        case=case,
        restricted=True,
        users=[coordinator],
        expected_version=Case.objects.get(pk=case.pk).version,
    )
    page = new_page()
    sign_in(page, base, coordinator)
    page.goto(f"{base}/dossiers/{case.pk}/depart/")
    expect(page.get_by_label("Pourquoi ouvrez-vous ce dossier restreint ?")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Maya")
    page.get_by_label("Pourquoi ouvrez-vous ce dossier restreint ?").fill("Préparation du départ avec l'OFII")
    page.get_by_role("button", name="Ouvrir le dossier").click()
    # Back on the page asked, then every other part of the file opens without asking again.
    assert page.url == f"{base}/dossiers/{case.pk}/depart/"
    expect(page.locator("#id_contact_alias")).to_have_value("Maya")
    for path in ("", "?onglet=notes", "sections/risque/", "retour/"):
        page.goto(f"{base}/dossiers/{case.pk}/{path}")
        expect(page.locator('form[action$="/motif/"]')).to_have_count(0)
        expect(page.locator("h1")).not_to_contain_text("Dossier restreint")
    reasons = {view.reason for view in RestrictedView.objects.filter(case=case).select_related("case__data_key")}
    assert reasons == {"Préparation du départ avec l'OFII"}
    assert RestrictedView.objects.filter(case=case).count() == 5
    assert serious_accessibility_violations(page) == []
