"""A Nepal case of the demo programme returns, is assisted on arrival, gets a plan, is followed up and closes."""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from django.core.management import call_command

from careplus.accounts.models import Office, User
from careplus.cases import services as case_services
from careplus.cases.models import Case, NeedsAssessment, RiskAssessment, SkillsAssessment
from careplus.demo.programmes import DEMO_PROGRAMME
from careplus.programmes.models import Programme
from careplus.returns import services
from careplus.returns.models import Visit
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def nepal_case_ready() -> tuple[Case, User]:
    call_command("seed_demo", stdout=io.StringIO())
    coordinator = User.objects.get(email="coordination@demo.careplus.test")
    coordinator.set_password(factories.PASSWORD)  # the browser helper signs in with the fixtures' password
    coordinator.save()
    # The seeded Nepal beneficiary has already returned; follow a second Nepal case through the same steps.
    case = factories.make_case(office=Office.objects.get(code="NPL"), family_name="Rai", given_names="Anita")
    for model, values in (
        (RiskAssessment, {"ratings": {}, "overall": "low", "mitigation": "Suivi rapproché"}),
        (NeedsAssessment, {"priorities": {"employment": "high"}, "notes": ""}),
        (
            SkillsAssessment,
            {
                "education": "Collège",
                "languages": "népali",
                "work_experience": "Couture",
                "skills": "Couture",
                "motivation": "Forte",
                "preferred_path": "iga",
                "constraints": "",
            },
        ),
    ):
        case_services.section_save(
            actor=coordinator, case=case, model=model, values=values, expected_version=None, label="x"
        )
    case_services.opportunity_add(
        actor=coordinator, case=case, kind="iga", description="Atelier", verified_on=datetime.date(2018, 3, 1)
    )
    Case.objects.filter(pk=case.pk).update(
        planned_departure_on=datetime.date(2018, 3, 20),
        status="pre_departure",
        programme=Programme.objects.get(name=DEMO_PROGRAMME),
    )
    case = Case.objects.select_related("data_key").get(pk=case.pk)
    case_services.case_transition(actor=coordinator, case=case, target="ready_to_depart", expected_version=case.version)
    return Case.objects.select_related("data_key").get(pk=case.pk), coordinator


def record_visit(page: Page, done_on: str, *, distress: str) -> None:
    page.get_by_role("link", name="Enregistrer la visite").first.click()
    page.get_by_label("Date de la visite").fill(done_on)
    page.get_by_label("Modalité").select_option("in_person")
    page.get_by_label("Avancement de chaque élément du plan").fill("Atelier ouvert, clientèle en hausse")
    page.locator("#id_q_eco_satisfaction").select_option("satisfied")
    page.locator("#id_q_eco_working").select_option("yes")
    page.locator("#id_q_soc_housing_access").select_option("good")
    page.locator("#id_q_psy_network").select_option("yes")
    page.locator("#id_q_psy_distress").select_option(distress)
    page.get_by_role("button", name="Enregistrer la visite").click()
    expect(page.locator(".message--success")).to_contain_text("les scores ont été calculés")


def test_nepal_case_returns_is_followed_up_and_closes(
    new_page: Callable[[], Page], live_server: object, artifacts: Path
) -> None:
    base = str(live_server)
    case, coordinator = nepal_case_ready()
    page = new_page()
    sign_in(page, base, coordinator)
    page.goto(f"{base}/dossiers/{case.pk}/retour/")
    page.get_by_role("link", name="Remplir").click()
    page.get_by_label("Départ effectif").fill("2018-03-20")
    page.locator("#id_arrival_on").fill("2018-03-21")
    page.get_by_label("Aéroport de départ").fill("Paris-Charles-de-Gaulle")
    page.get_by_label("Apte au voyage").check()
    page.get_by_label("Souhait de retour reconfirmé le").fill("2018-03-16")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".message--success")).to_contain_text("Départ enregistré")

    page.goto(f"{base}/dossiers/{case.pk}/")
    page.get_by_role("button", name="Passer à « Retourné »").click()
    expect(page.locator(".page-head .badge").first).to_have_text("Retourné")
    assert Visit.objects.filter(case=case).count() == 4

    page.goto(f"{base}/dossiers/{case.pk}/retour/")
    page.get_by_text("Planifier une assistance à l'arrivée").click()
    page.locator("#id_kind").select_option("airport_reception")
    page.get_by_label("Qui, où").fill("Agente du bureau de Katmandou, terminal international")
    page.get_by_label("Prévue le").fill("2018-03-21")
    page.get_by_role("button", name="Ajouter", exact=True).first.click()
    page.get_by_role("button", name="Marquer fournie aujourd'hui").click()
    expect(page.locator("#arrivee")).to_contain_text("Accueil à l'aéroport")

    page.get_by_text("Ajouter un élément au plan").click()
    page.get_by_label("Catégorie").select_option("iga")
    page.get_by_label("Description").fill("Machine à coudre et tissus")
    page.get_by_label("Prestataire").fill("Fournisseur fictif de Pokhara")
    page.get_by_label("Montant prévu (EUR)").fill("850.00")
    page.locator("#plan form").filter(has=page.get_by_label("Catégorie")).get_by_role("button", name="Ajouter").click()
    expect(page.locator("#plan")).to_contain_text("Machine à coudre")
    for category, amount in (("psychosocial", "300.00"), ("medical", "150.50")):
        services.plan_item_add(
            actor=coordinator,
            case=case,
            description="Suivi",
            category=category,
            provider="Centre",
            delivery_mode="in_kind",
            planned_amount=Decimal(amount),
        )
    page.reload()
    for _index in range(3):
        page.get_by_role("button", name="Approuver").first.click()
        expect(page.locator(".message--success")).to_contain_text("approuvé")
    expect(page.locator("#plan")).to_contain_text(re.compile(r"approuvé 1\s300,50\s€"))  # French grouping

    record_visit(page, "2018-04-23", distress="often")
    visits = list(Visit.objects.filter(case=case).order_by("planned_on"))
    for visit in visits[1:3]:
        page.locator(f"#missed-{visit.pk}").locator("xpath=ancestor::details").locator("summary").click()
        page.locator(f"#missed-{visit.pk}").fill("Personne injoignable ce mois-ci")
        page.locator(f"#missed-{visit.pk}").locator("xpath=ancestor::form").get_by_role("button").click()
        expect(page.locator(".message--success")).to_contain_text("manquée")
    record_visit(page, "2019-03-20", distress="never")
    expect(page.locator("figure.trend svg")).to_be_visible()
    assert page.locator("#suivi td").filter(has_text="0,").count() >= 4  # scores with the French decimal comma
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "follow-up.png"), full_page=True)

    page.goto(f"{base}/dossiers/{case.pk}/")
    page.get_by_label("Motif de clôture").select_option("completed")
    page.get_by_role("button", name="Passer à « Clôturé »").click()
    expect(page.locator(".page-head .badge").first).to_have_text("Clôturé")
    assert Case.objects.get(pk=case.pk).closure_reason == "completed"
