"""A 17-year-old's whole journey through the real pages, from the partner's referral to closure.

A partner refers her; a coordinator screens and accepts; the file is handed over to the Tunisia
office, which acknowledges it and records the family assessment; a second coordinator approves the
best-interests determination; departure, arrival, a two-item plan, visits at 1, 3, 6 and 12 months
with their questionnaires, closure; then the dashboard counts her and the auditor sees only
suppressed aggregates. Every step is screenshotted (test-artifacts/journey-NN-*.png) and checked
with axe-core.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from django.utils import timezone

from careplus.access.roles import Role
from careplus.cases.models import Case
from careplus.referrals.models import Referral
from careplus.returns.models import Visit
from tests import factories
from tests.browser.helpers import cells_out_of_line, open_tab, serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


class Journey:
    """Screenshots numbered in order, and an accessibility check at each step."""

    def __init__(self, artifacts: Path) -> None:
        self.artifacts = artifacts
        self.number = 0

    def step(self, page: Page, name: str) -> None:
        self.number += 1
        assert serious_accessibility_violations(page) == [], name
        page.screenshot(path=str(self.artifacts / f"journey-{self.number:02d}-{name}.png"), full_page=True)


def badge(page: Page) -> str:
    return page.locator(".page-head .badge").first.inner_text()


def test_a_minors_whole_journey(new_page: Callable[[], Page], live_server: object, artifacts: Path) -> None:
    base = str(live_server)
    journey = Journey(artifacts)
    factories.make_programme(name="CARE+ 2017-2030")
    tunis = factories.make_office("TUN", country="TN")
    organisation = factories.make_organisation("Brigade de protection des mineurs (fictive)")
    partner = factories.make_user(Role.PARTNER, organisation=organisation)
    coordinator = factories.make_user(Role.COORDINATOR)
    second_coordinator = factories.make_user(Role.COORDINATOR)
    caseworker = factories.make_user(Role.CASEWORKER, office=tunis)
    auditor = factories.make_user(Role.AUDITOR)

    # 1. The partner refers a 17-year-old girl.
    p = new_page()
    sign_in(p, base, partner)
    p.get_by_role("link", name="Orientations").first.click()
    p.get_by_role("link", name="Nouvelle orientation").click()
    p.get_by_label("Référent (nom et fonction)").fill("Capitaine Roux, brigade des mineurs")
    p.get_by_label("Courriel ou téléphone du référent").fill("roux@example.test")
    p.get_by_label("Prénoms").fill("Yasmine")
    p.get_by_label("Nom de famille").fill("Ben Amor")
    p.get_by_label("Date de naissance").fill("2009-06-01")
    p.get_by_label("Sexe").select_option("f")
    p.get_by_label("Nationalité").select_option("TN")
    p.get_by_label("Lieu de résidence en France (commune)").fill("Marseille")
    p.get_by_label("Département").fill("13")
    p.get_by_label("Identification", exact=False).first.select_option("identified")
    p.get_by_label("Identifiée ou repérée par").select_option("police")
    p.get_by_label("Servitude domestique").check()
    p.get_by_role("radio", name="Oui").check()
    p.get_by_label("Pays de retour envisagé").select_option("TN")
    p.get_by_label("Tuteur / administrateur ad hoc").fill("Mme Durand, administratrice ad hoc")
    p.get_by_label("Coordonnées du tuteur").fill("durand@example.test")
    p.get_by_label("La personne consent à être orientée vers le programme.").check()
    p.get_by_label("La personne consent au traitement de ses données.").check()
    p.get_by_label("Date du consentement").fill("2025-06-02")
    journey.step(p, "referral-form")
    p.get_by_role("button", name="Envoyer l'orientation").click()
    expect(p.locator(".message--success")).to_contain_text("enregistrée")
    referral = Referral.objects.get()
    assert referral.is_minor
    journey.step(p, "referral-sent")

    # 2. The coordinator screens and accepts: a case file opens.
    c = new_page()
    sign_in(c, base, coordinator)
    expect(c.get_by_text(f"Orientation {referral.reference} à décider")).to_be_visible()
    c.get_by_text(f"Orientation {referral.reference} à décider").click()
    c.get_by_role("link", name="Enregistrer un repérage des indicateurs").first.click()
    boxes = c.locator("input[type=checkbox]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    journey.step(c, "screening")
    c.get_by_role("button", name="Enregistrer le repérage").click()
    c.get_by_label("Accepter : ouvrir un dossier").check()
    journey.step(c, "decision")
    c.get_by_role("button", name="Enregistrer la décision").click()
    expect(c.get_by_text("Décision enregistrée")).to_be_visible()
    case = Case.objects.get()
    assert case.is_minor
    c.get_by_role("link", name=case.reference).click()
    expect(c.get_by_role("heading", level=1)).to_contain_text(case.reference)

    # 3. Consents, then the handover to the Tunisia office.
    c.get_by_role("link", name="Consentements et bureau", exact=True).click()
    for scope in ("share_return_office", "guardian"):  # data processing came with the referral
        c.get_by_text("Enregistrer un consentement").click()
        c.locator("#id_scope").select_option(scope)
        c.get_by_role("button", name="Enregistrer", exact=True).click()
        expect(c.locator(".message--success")).to_contain_text("Consentement enregistré")
    c.locator("#id_office").select_option(str(tunis.pk))
    c.get_by_role("button", name="Transférer").click()
    expect(c.locator(".message--success")).to_be_visible()
    open_tab(c, "Synthèse")
    c.get_by_role("button", name="Passer à « Avant le départ »").click()
    expect(c.locator(".page-head .badge").first).to_have_text("Avant le départ")
    journey.step(c, "handed-over")

    # 4. The Tunisia office acknowledges from its inbox and records the family assessment.
    w = new_page()
    sign_in(w, base, caseworker)
    w.get_by_role("link", name=f"Transfert du dossier {case.reference}", exact=False).click()
    journey.step(w, "handover-to-acknowledge")
    w.get_by_role("button", name="Confirmer la réception").click()
    expect(w.locator(".message--success")).to_be_visible()
    w.goto(f"{base}/dossiers/{case.pk}/sections/enquete-familiale/")
    w.get_by_label("Personne qui prendra soin de l'enfant et lien avec lui").fill("Sa grand-mère, à Sfax")
    w.get_by_label("Volonté et capacité").fill("Volontaire, logement stable, collège à 800 m")
    w.get_by_label("Avis de l'enfant et de la famille").fill("Souhaitent le retour")
    w.get_by_label("Réalisée le").fill("2025-07-10")
    journey.step(w, "family-assessment")
    w.get_by_role("button", name="Enregistrer").click()
    expect(w.locator(".message--success")).to_contain_text("Enquête familiale")

    # 5. The assessments of the case (caseworker), the opportunity and the plan (coordinator).
    w.goto(f"{base}/dossiers/{case.pk}/sections/risque/")
    for select in w.locator("select[id^=id_factor_]").all():
        select.select_option("low")
    w.get_by_label("Risque global").select_option("low")
    w.get_by_label("Mesures d'atténuation").fill("Accompagnement par l'éducatrice jusqu'à Sfax.")
    w.get_by_role("button", name="Enregistrer").click()
    w.goto(f"{base}/dossiers/{case.pk}/sections/besoins/")
    for select in w.locator("select[id^=id_need_]").all():
        select.select_option("medium")
    w.get_by_role("button", name="Enregistrer").click()
    w.goto(f"{base}/dossiers/{case.pk}/sections/competences/")
    w.locator("#id_education").fill("Collège, 4e")
    w.locator("#id_languages").fill("arabe, français")
    w.locator("#id_work_experience").fill("Aucune")
    w.locator("#id_skills").fill("Dessin")
    w.locator("#id_motivation").fill("Reprendre l'école")
    w.locator("#id_preferred_path").select_option("training")
    w.get_by_role("button", name="Enregistrer").click()
    expect(w.locator(".message--success")).to_be_visible()

    c.goto(f"{base}/dossiers/{case.pk}/?onglet=opportunites")
    c.get_by_text("Ajouter une opportunité").click()
    c.get_by_label("Type").select_option("training")
    c.get_by_label("Opportunité (qui, quoi, où)").fill("Collège de Sfax, inscription confirmée")
    c.get_by_label("Vérifiée le").fill("2025-07-15")
    c.get_by_role("button", name="Ajouter", exact=True).click()
    c.goto(f"{base}/dossiers/{case.pk}/depart/")
    # The form takes a future date; the departure itself is recorded a year back below, so that the
    # twelve months of follow-up can be walked through today.
    c.get_by_label("Départ prévu").fill((timezone.localdate() + datetime.timedelta(days=7)).isoformat())
    c.get_by_role("button", name="Enregistrer").click()
    expect(c.locator(".message--success")).to_be_visible()

    # 6. The best-interests determination: written by one coordinator, approved by another.
    c.goto(f"{base}/dossiers/{case.pk}/sections/interet-superieur/")
    c.get_by_label("Participants (comité)").fill("Administratrice ad hoc, éducatrice, coordinatrice")
    c.get_by_label("Éléments pris en compte et recommandation").fill("Liens familiaux, sécurité, scolarité")
    c.get_by_role("radio", name="Oui").check()
    c.get_by_role("button", name="Enregistrer").click()
    c.goto(f"{base}/dossiers/{case.pk}/sections/coordination/")
    c.get_by_label("Acteurs en France").fill("Administratrice ad hoc, ASE des Bouches-du-Rhône")
    c.get_by_label("Acteurs dans le pays de retour").fill("Bureau de Tunis, délégué à la protection de l'enfance")
    c.get_by_label("Escorte pendant le voyage").fill("Escorte OIM")
    c.get_by_label("Accueil à l'arrivée (personne désignée)").fill("Sa grand-mère à l'aéroport")
    c.get_by_role("button", name="Enregistrer").click()
    s = new_page()
    sign_in(s, base, second_coordinator)
    s.goto(f"{base}/dossiers/{case.pk}/")
    s.get_by_role("button", name="Approuver la détermination").click()
    expect(s.locator(".message--success")).to_contain_text("approuvée")
    journey.step(s, "best-interests-approved")

    c.goto(f"{base}/dossiers/{case.pk}/")
    expect(c.locator(".checklist--missing")).to_have_count(0)
    c.get_by_role("button", name="Passer à « Prêt au départ »").click()
    expect(c.locator(".page-head .badge").first).to_have_text("Prêt au départ")
    journey.step(c, "ready-to-depart")

    # 7. Departure, arrival, return.
    c.goto(f"{base}/dossiers/{case.pk}/retour/")
    c.get_by_role("link", name="Remplir").click()
    c.get_by_label("Départ effectif").fill("2025-09-01")
    c.locator("#id_arrival_on").fill("2025-09-01")
    c.get_by_label("Aéroport de départ").fill("Marseille-Provence")
    c.get_by_label("Apte au voyage").check()
    c.get_by_label("Souhait de retour reconfirmé le").fill("2025-08-29")
    c.get_by_role("button", name="Enregistrer").click()
    expect(c.locator(".message--success")).to_contain_text("Départ enregistré")
    c.goto(f"{base}/dossiers/{case.pk}/")
    c.get_by_role("button", name="Passer à « Retourné »").click()
    expect(c.locator(".page-head .badge").first).to_have_text("Retourné")
    assert Visit.objects.filter(case=case).count() == 4
    c.goto(f"{base}/dossiers/{case.pk}/retour/")
    c.get_by_text("Planifier une assistance à l'arrivée").click()
    c.locator("#id_kind").select_option("airport_reception")
    c.get_by_label("Qui, où").fill("Agente du bureau de Tunis, aéroport de Tunis-Carthage")
    c.get_by_label("Prévue le").fill("2025-09-01")
    c.get_by_role("button", name="Ajouter", exact=True).first.click()
    journey.step(c, "returned")

    # 8. A reintegration plan of two items, approved.
    for category, description, amount in (
        ("vocational", "Fournitures scolaires et frais d'inscription", "400.00"),
        ("psychosocial", "Suivi psychologique, 10 séances", "600.00"),
    ):
        c.get_by_text("Ajouter un élément au plan").click()
        c.get_by_label("Catégorie").select_option(category)
        c.get_by_label("Description").fill(description)
        c.get_by_label("Prestataire").fill("Prestataire fictif de Sfax")
        c.get_by_label("Montant prévu (EUR)").fill(amount)
        c.locator("#plan form").filter(has=c.get_by_label("Catégorie")).get_by_role("button", name="Ajouter").click()
        expect(c.locator("#plan")).to_contain_text(description)
    for _index in range(2):
        c.get_by_role("button", name="Approuver").first.click()
        expect(c.locator(".message--success")).to_contain_text("approuvé")
    journey.step(c, "plan")
    assert cells_out_of_line(c.locator("#plan-title ~ table").first.locator("tbody tr")) == []

    # 9. Visits at 1, 3, 6 and 12 months, by the Tunisia office, with the questionnaire.
    w.goto(f"{base}/dossiers/{case.pk}/retour/")
    for visit in Visit.objects.filter(case=case).order_by("planned_on"):
        w.get_by_role("link", name="Enregistrer la visite").first.click()
        w.get_by_label("Date de la visite").fill(visit.planned_on.isoformat())
        w.get_by_label("Modalité").select_option("in_person")
        w.get_by_label("Avancement de chaque élément du plan").fill("Scolarisée, suivi psychologique en cours")
        w.locator("#id_q_eco_satisfaction").select_option("satisfied")
        w.locator("#id_q_soc_housing_access").select_option("good")
        w.locator("#id_q_psy_network").select_option("yes")
        w.locator("#id_q_psy_distress").select_option("rarely")
        w.get_by_role("button", name="Enregistrer la visite").click()
        expect(w.locator(".message--success")).to_contain_text("les scores ont été calculés")
    expect(w.locator("figure.trend svg")).to_be_visible()
    journey.step(w, "follow-up")
    assert cells_out_of_line(w.locator("#suivi table tbody tr")) == []

    # 10. Closure.
    c.goto(f"{base}/dossiers/{case.pk}/")
    c.get_by_label("Motif de clôture").select_option("completed")
    c.get_by_role("button", name="Passer à « Clôturé »").click()
    expect(c.locator(".page-head .badge").first).to_have_text("Clôturé")
    journey.step(c, "closed")

    # 11. The dashboard counts her; the auditor sees suppressed aggregates only.
    c.goto(f"{base}/tableau-de-bord/")
    expect(c.locator("[data-kpi=beneficiaries] .kpi__value")).to_have_text("1")
    expect(c.locator("#bloc-countries")).to_contain_text("Tunisie")  # the country by its name (issue 20, point 14)
    journey.step(c, "dashboard")
    a = new_page()
    sign_in(a, base, auditor)
    a.goto(f"{base}/tableau-de-bord/")
    expect(a.get_by_text("< 5").first).to_be_visible()
    expect(a.get_by_text("Ben Amor")).to_have_count(0)
    journey.step(a, "auditor-dashboard")
