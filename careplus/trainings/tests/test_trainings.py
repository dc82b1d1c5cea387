"""Trainings: indicators, sheet import checks, registration rules, access."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal

import pytest
from openpyxl import Workbook

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.trainings import indicators, sheets
from careplus.trainings.models import Participation, Professional
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]
HEADER = "nom;courriel;organisation;type;fonction\n"


def test_a_person_attending_two_sessions_is_one_professional_trained() -> None:
    programme = factories.make_programme()
    lyon = factories.make_training(programme=programme, city="Lyon")
    bordeaux = factories.make_training(programme=programme, city="Bordeaux")
    factories.add_participant(lyon, email="same@example.test", present=True)
    factories.add_participant(bordeaux, email="same@example.test", present=True)
    factories.add_participant(bordeaux, email="other@example.test", present=True, organisation_type="ase")
    factories.add_participant(bordeaux, email="absent@example.test", present=False)
    result = indicators.compute(programme)
    assert result.sessions_held == 2
    assert result.professionals_trained == 2
    assert result.by_organisation_type == {"gendarmerie": 1, "ase": 1}
    assert result.by_city == {"Lyon": 1, "Bordeaux": 2}


def test_knowledge_gain_is_exact() -> None:
    session = factories.make_training()
    factories.add_participant(session, present=True, pre=40, post=75)  # +35
    factories.add_participant(session, present=True, pre=55, post=60)  # +5
    factories.add_participant(session, present=True, pre=70, post=71)  # +1
    factories.add_participant(session, present=True, pre=10)  # no post-test: left out
    gain = indicators.knowledge_gain(Participation.objects.filter(session=session, present=True))
    assert gain == Decimal("13.67")  # 41 / 3 = 13.666…


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "sheet.csv",
            HEADER.encode() + b"\x81\x8d\x90;elodie@example.test;Gendarmerie;gendarmerie;Adjudante\n",
            "UTF-8",  # neither UTF-8 nor Windows-1252 (a latin-1/cp1252 file is read: issue 20, point 11)
        ),
        ("sheet.csv", b"x" * (10 * 1024 * 1024), "2 Mo"),
        ("sheet.xlsx", b"PK\x03\x04 not really a workbook", "XLSX"),
        ("sheet.txt", b"hello", "CSV et XLSX"),
        ("sheet.csv", b"nom;adresse\nA;B\n", "Colonnes manquantes"),
    ],
)
def test_unreadable_sheets_are_reported(name: str, content: bytes, message: str) -> None:
    with pytest.raises(sheets.SheetError, match=message):
        sheets.read_sheet(name, content)


def test_rows_are_checked_one_by_one() -> None:
    csv_text = HEADER + (
        "Alice Dupont;alice@example.test;OFII Lyon;OFII;Agente\n"
        ";bob@example.test;ASE;ASE;\n"
        "Carla;pas-un-courriel;Police;Police;\n"
        "Dan;dan@example.test;Asso;Inconnu;\n"
        '=HYPERLINK("x");eve@example.test;PAF;PAF;\n'
        "Alice bis;ALICE@example.test;OFII Lyon;OFII;\n"
    )
    rows = sheets.check_rows(sheets.read_sheet("s.csv", csv_text.encode()), already_registered=set())
    errors = {row.number: row.errors for row in rows}
    assert errors[2] == []
    assert errors[3] == ["Le nom est manquant."]
    assert errors[4] == ["L'adresse électronique n'est pas valide."]
    assert errors[5] == ["Type d'organisation inconnu : Inconnu."]
    assert errors[6] == []  # typed text that looks like a formula is stored as typed, neutralised on export
    assert errors[7] == ["Cette adresse électronique figure deux fois dans la feuille."]


def test_xlsx_sheet_with_a_formula_is_reported() -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["Nom", "Courriel", "Organisation", "Type", "Fonction"])
    sheet.append(["Zoé", "zoe@example.test", "Gendarmerie", "Gendarmerie", "Adjudante"])
    sheet.append(["=1+1", "x@example.test", "Police", "Police", ""])
    out = io.BytesIO()
    book.save(out)
    rows = sheets.check_rows(sheets.read_sheet("s.xlsx", out.getvalue()), already_registered=set())
    assert rows[0].errors == []
    assert rows[1].errors


def test_import_is_all_or_nothing(signed_in: SignedIn) -> None:
    trainer = factories.make_user(Role.TRAINER)
    session = factories.make_training()
    client = signed_in(trainer)
    url = reverse("trainings:import_sheet", kwargs={"session_id": session.pk})
    upload = SimpleUploadedFile("sheet.csv", (HEADER + "Alice;alice@example.test;OFII;OFII;\nBob;;ASE;ASE;\n").encode())
    preview = client.post(url, {"sheet": upload})
    assert preview.status_code == 200
    assert "L&#x27;adresse électronique est manquante." in preview.content.decode()
    assert not Participation.objects.exists()
    post = {
        "commit": "1",
        "rows": "2",
        "r0-number": "2",
        "r0-full_name": "Alice",
        "r0-email": "alice@example.test",
        "r0-organisation": "OFII",
        "r0-organisation_type": "OFII",
        "r0-position": "",
        "r1-number": "3",
        "r1-full_name": "Bob",
        "r1-email": "",
        "r1-organisation": "ASE",
        "r1-organisation_type": "ASE",
        "r1-position": "",
    }
    refused = client.post(url, post)
    assert refused.status_code == 400
    assert not Participation.objects.exists()
    post["r1-email"] = "bob@example.test"
    done = client.post(url, post)
    assert done.status_code == 302
    assert Participation.objects.filter(session=session).count() == 2
    assert Professional.objects.get(email="bob@example.test").organisation_type == "ase"


def test_registration_ignores_duplicates_refuses_full_sessions_and_bursts(client: Client) -> None:
    session = factories.make_training(capacity=2)
    url = reverse("trainings:registration", kwargs={"token": session.registration_token})
    data = {
        "full_name": "Inès Roy",
        "email": "ines@example.test",
        "organisation": "Commissariat",
        "organisation_type": "police",
    }
    ok = client.post(url, data)
    assert ok.status_code == 200
    assert "Vous êtes inscrit" in ok.content.decode()
    assert len(mail.outbox) == 0 or mail.outbox[-1].to == ["ines@example.test"]
    duplicate = client.post(url, data)
    assert duplicate.status_code == 200
    assert "Vous êtes inscrit" in duplicate.content.decode()  # the same answer: see test_p23 in test_review_19
    client.post(url, {**data, "email": "second@example.test"})
    full = client.post(url, {**data, "email": "third@example.test"})
    assert "Cette session est complète" in full.content.decode()
    assert Participation.objects.filter(session=session).count() == 2
    page = client.get(url).content.decode()
    assert "ines@example.test" not in page
    assert "Inès" not in page
    for _index in range(10):
        client.post(url, {**data, "email": ""})
    assert client.post(url, data).status_code == 429


def test_unknown_or_closed_link(client: Client) -> None:
    assert client.get(reverse("trainings:registration", kwargs={"token": "nope"})).status_code == 404
    session = factories.make_training(registration_open=False)
    page = client.get(reverse("trainings:registration", kwargs={"token": session.registration_token})).content.decode()
    assert "inscriptions à cette session sont closes" in page


def test_a_trainer_gets_404_on_every_case_and_referral_url(signed_in: SignedIn) -> None:
    trainer = factories.make_user(Role.TRAINER)
    case = factories.make_case()
    referral = factories.make_referral()
    client = signed_in(trainer)
    urls = [
        reverse("cases:case_list"),
        reverse("cases:case_detail", kwargs={"case_id": case.pk}),
        reverse("cases:case_section", kwargs={"case_id": case.pk, "section": "risque"}),
        reverse("returns:overview", kwargs={"case_id": case.pk}),
        reverse("referrals:referral_list"),
        reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk}),
    ]
    assert [client.get(url).status_code for url in urls] == [404] * len(urls)


def test_attendance_grid_bad_scores_save_nothing(signed_in: SignedIn) -> None:
    trainer = factories.make_user(Role.TRAINER)
    session = factories.make_training()
    participation = factories.add_participant(session)
    url = reverse("trainings:session_detail", kwargs={"session_id": session.pk})
    response = signed_in(trainer).post(
        url,
        {f"p{participation.pk}-present": "yes", f"p{participation.pk}-pre": "140", f"p{participation.pk}-post": "80"},
    )
    assert response.status_code == 400
    assert "nombre entier de 0 à 100" in response.content.decode()
    participation.refresh_from_db()
    assert participation.present is None
