"""A trainer runs the Bordeaux session; a professional registers through the link."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pypdfium2
import pytest
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from careplus.trainings.models import Participation, TrainingSession
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

SHEET = (
    "nom;courriel;organisation;type;fonction\n"
    "Élodie Martin;elodie.martin@example.test;Brigade de gendarmerie fictive;Gendarmerie;Adjudante\n"
    "Karim Benali;karim.benali@example.test;Aide sociale à l'enfance fictive;ASE;Éducateur\n"
    "Sophie Leroy;;Association fictive;Association non spécialisée;Bénévole\n"
)


def test_trainer_runs_the_bordeaux_session(
    new_page: Callable[[], Page], live_server: object, artifacts: Path, tmp_path: Path
) -> None:
    base = str(live_server)
    factories.make_programme()
    trainer = factories.make_user(Role.TRAINER, email="trainer@example.test")
    page = new_page()
    sign_in(page, base, trainer)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name="Formations").click()
    page.get_by_role("link", name="Nouvelle session").click()
    page.get_by_label("Intitulé").fill("Identification et orientation des victimes de la traite")
    page.get_by_label("Ville").fill("Bordeaux")
    page.get_by_label("Lieu").fill("Salle fictive du centre-ville")
    page.locator("#id_held_on").fill("2018-06-05")
    page.locator("#id_status").select_option("held")
    page.get_by_label("Capacité").fill("25")
    for index in range(3):
        page.locator(f"#id_modules_{index}").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".message--success")).to_contain_text("Session de formation créée")

    sheet = tmp_path / "emargement.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    page.get_by_label("Feuille d'émargement (CSV ou XLSX, 2 Mo au plus)").set_input_files(str(sheet))
    page.get_by_role("button", name="Aperçu").click()
    expect(page.locator(".row--error")).to_have_count(1)
    expect(page.locator(".row--error")).to_contain_text("L'adresse électronique est manquante.")
    assert not Participation.objects.exists()
    page.locator("#r2-email").fill("sophie.leroy@example.test")
    page.get_by_role("button", name="Importer").click()
    expect(page.locator(".message--success")).to_contain_text("3 participants importés")

    session = TrainingSession.objects.get()
    martin = Participation.objects.get(professional__email="elodie.martin@example.test")
    for participation in Participation.objects.all():
        page.locator(f"#p{participation.pk}-present").select_option("yes")
        page.locator(f"#p{participation.pk}-pre").fill("40")
        page.locator(f"#p{participation.pk}-post").fill("80")
        page.locator(f"#p{participation.pk}-rating-II").select_option("5")
    page.get_by_role("button", name="Enregistrer présences et scores").click()
    expect(page.locator(".message--success")).to_contain_text("Présences, scores et satisfaction enregistrés")
    expect(page.locator(".facts")).to_contain_text("40")
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "training-session.png"), full_page=True)

    with page.expect_download() as download_info:
        page.locator(f"a[href$='/attestations/{martin.pk}/']").click()
    pdf_path = tmp_path / "attestation.pdf"
    download_info.value.save_as(pdf_path)
    document = pypdfium2.PdfDocument(str(pdf_path))
    text = " ".join(document[0].get_textpage().get_text_range().split())
    image = document[0].render(scale=1.5).to_pil()
    image.save(artifacts / "certificate.png")
    assert image.width > 500
    assert "Élodie Martin" in text
    for module in ("Module I", "Module II", "Module III"):
        assert module in text
    assert "Bordeaux" in text
    assert "5 juin 2018" in text
    assert session.status == "held"


def test_professional_registers_through_the_link(new_page: Callable[[], Page], live_server: object) -> None:
    base = str(live_server)
    session = factories.make_training(capacity=3, status="planned")
    factories.add_participant(session, email="already@example.test")
    url = f"{base}/inscription/{session.registration_token}/"

    def register(page: Page, email: str) -> None:
        page.goto(url)
        page.get_by_label("Nom complet").fill("Lucie Garnier")
        page.get_by_label("Adresse électronique").fill(email)
        page.get_by_label("Organisation", exact=False).first.fill("Police aux frontières fictive")
        page.locator("#id_organisation_type").select_option("paf")
        page.get_by_role("button", name="S'inscrire").click()

    page = new_page()
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text("S'inscrire à la formation")
    assert "already@example.test" not in page.content()
    assert serious_accessibility_violations(page) == []
    register(page, "lucie.garnier@example.test")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vous êtes inscrit·e")
    register(page, "lucie.garnier@example.test")  # the same answer for a registered address (issue 19, p23)
    expect(page.get_by_role("heading", level=1)).to_have_text("Vous êtes inscrit·e")
    register(page, "autre@example.test")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vous êtes inscrit·e")
    register(page, "encore@example.test")
    expect(page.get_by_role("alert")).to_contain_text("Cette session est complète")
    assert Participation.objects.filter(session=session).count() == 3
