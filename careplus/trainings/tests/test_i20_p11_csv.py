"""Issue 20, point 11: attendance sheets as French offices save them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.trainings import sheets
from careplus.trainings.models import Participation, Professional
from tests import factories

pytestmark = pytest.mark.django_db

# Excel's "CSV (séparateur: point-virgule)" in a French office: Windows-1252, ";" between
# cells, a cell with commas quoted, CRLF line ends.
EXCEL_FR = (
    "Nom;Courriel;Organisation;Type d’organisation;Fonction\r\n"
    'Hélène Lefèvre;helene@example.test;"Gendarmerie, brigade de Créteil";Gendarmerie;Adjudante-cheffe\r\n'
    'Zoë Kraïem;zoe@example.test;"ASE, Seine-Saint-Denis";ASE;Éducatrice\r\n'
).encode("cp1252")


def _preview(client: Client, content: bytes, name: str = "présence.csv") -> str:
    session = factories.make_training()
    url = reverse("trainings:import_sheet", kwargs={"session_id": session.pk})
    response = client.post(url, {"sheet": SimpleUploadedFile(name, content)})
    assert response.status_code == 200
    return response.content.decode()


def test_i20_p11_an_excel_semicolon_csv_in_cp1252_is_previewed_with_its_accents(
    signed_in: Callable[[User], Client],
) -> None:
    page = _preview(signed_in(factories.make_user(Role.TRAINER)), EXCEL_FR)
    assert "Colonnes manquantes" not in page
    assert "Hélène Lefèvre" in page
    assert "Gendarmerie, brigade de Créteil" in page
    assert "Éducatrice" in page
    assert "Ã" not in page  # no mojibake
    assert not Participation.objects.exists()  # a preview only


def test_i20_p11_a_quoted_cell_with_commas_does_not_change_the_delimiter() -> None:
    rows = sheets.read_sheet("s.csv", EXCEL_FR)
    assert [row.values["organisation"] for row in rows] == ["Gendarmerie, brigade de Créteil", "ASE, Seine-Saint-Denis"]
    assert rows[0].values["full_name"] == "Hélène Lefèvre"
    assert sheets.check_rows(rows, already_registered=set())[0].errors == []


@pytest.mark.parametrize(
    "content",
    [
        EXCEL_FR.decode("cp1252").encode("utf-8-sig"),  # "CSV UTF-8" (with BOM)
        EXCEL_FR.decode("cp1252").encode("utf-8"),  # UTF-8 without BOM
        EXCEL_FR.decode("cp1252").encode("utf-16"),  # "Texte Unicode" (UTF-16 with BOM)
        b"sep=;\r\n" + EXCEL_FR,  # Excel's separator line
        EXCEL_FR.decode("cp1252").replace(";", ",").encode("cp1252"),  # quoted cells keep their commas
    ],
    ids=["utf8-bom", "utf8", "utf16", "sep-line", "comma"],
)
def test_i20_p11_utf8_with_or_without_bom_and_other_delimiters_are_read(content: bytes) -> None:
    rows = sheets.read_sheet("s.csv", content)
    assert rows[0].values["full_name"] == "Hélène Lefèvre"
    assert rows[1].values["position"] == "Éducatrice"


@pytest.mark.parametrize(
    "header",
    [
        "Nom;Courriel;Organisation;Type",
        "\ufeffNom complet ;E-mail;Organisme;Type d'organisation;Fonction",
        "NOM ET PRÉNOM;Adresse électronique;Structure;Type de structure",
        "nom\u00a0;adresse e-mail;organisation;type d’organisme;poste",
        '"Nom, prénom";courriel;organisation;type',  # a title with a comma
        "Nom,Courriel,Organisation,Type",
        "Nom\tCourriel\tOrganisation\tType",
    ],
)
def test_i20_p11_a_header_with_all_columns_is_never_told_columns_are_missing(header: str) -> None:
    delimiter = "\t" if "\t" in header else ("," if header.startswith("Nom,") else ";")
    line = delimiter.join(["Hélène", "h@example.test", "OFII", "OFII"])
    for encoding in ("cp1252", "utf-8", "utf-8-sig"):
        text = header.replace("\ufeff", "") if encoding != "utf-8" else header
        rows = sheets.read_sheet("s.csv", f"{text}\r\n{line}\r\n".encode(encoding))
        assert rows[0].values["full_name"] == "Hélène", (header, encoding)
        assert rows[0].values["email"] == "h@example.test"


def test_i20_p11_a_file_missing_a_column_still_says_so() -> None:
    with pytest.raises(sheets.SheetError, match="Colonnes manquantes"):
        sheets.read_sheet("s.csv", "Nom;Organisation;Type\r\nHélène;OFII;OFII\r\n".encode("cp1252"))


# The same export with the name in two columns, as most office sheets keep it.
EXCEL_FR_TWO_NAME_COLUMNS = (
    "Nom;Prénom;Courriel;Organisation;Type d’organisation;Fonction\r\n"
    'Lefèvre;Hélène;helene@example.test;"Gendarmerie, brigade de Créteil";Gendarmerie;Adjudante-cheffe\r\n'
    "Kraïem;Zoë Anaïs;zoe@example.test;ASE;ASE;Éducatrice\r\n"
    ";Aminata;aminata@example.test;OFII;OFII;\r\n"
).encode("cp1252")


def test_i20_p11_separate_family_and_given_name_columns_make_the_full_name(
    signed_in: Callable[[User], Client],
) -> None:
    rows = sheets.check_rows(sheets.read_sheet("s.csv", EXCEL_FR_TWO_NAME_COLUMNS), already_registered=set())
    assert [row.values["full_name"] for row in rows] == ["Hélène Lefèvre", "Zoë Anaïs Kraïem", "Aminata"]
    assert [row.errors for row in rows] == [[], [], []]
    # Through the page: previewed, then imported with both names.
    trainer = signed_in(factories.make_user(Role.TRAINER))
    session = factories.make_training()
    url = reverse("trainings:import_sheet", kwargs={"session_id": session.pk})
    preview = trainer.post(url, {"sheet": SimpleUploadedFile("présence.csv", EXCEL_FR_TWO_NAME_COLUMNS)})
    assert 'value="Hélène Lefèvre"' in preview.content.decode()
    post = {"commit": "1", "rows": str(len(rows))}
    for index, row in enumerate(rows):
        post[f"r{index}-number"] = str(row.number)
        post.update({f"r{index}-{column}": value for column, value in row.values.items()})
    assert trainer.post(url, post).status_code == 302
    assert Professional.objects.get(email="helene@example.test").full_name == "Hélène Lefèvre"
    assert Professional.objects.get(email="zoe@example.test").full_name == "Zoë Anaïs Kraïem"


@pytest.mark.parametrize(
    "header",
    [
        "Nom de famille;Prénom(s);E-mail;Organisme;Type",
        "Prénom;Nom;E-mail;Organisme;Type",
        "Last name,First name,Email,Organisation,Type",
        "Surname\tGiven names\tEmail\tOrganization\tType",
    ],
)
def test_i20_p11_name_columns_in_any_order_and_language_give_given_names_then_family_name(header: str) -> None:
    delimiter = "\t" if "\t" in header else ("," if "," in header else ";")
    family_first = not header.startswith("Prénom")
    cells = ["Lefèvre", "Hélène"] if family_first else ["Hélène", "Lefèvre"]
    line = delimiter.join([*cells, "h@example.test", "OFII", "OFII"])
    rows = sheets.read_sheet("s.csv", f"{header}\r\n{line}\r\n".encode("cp1252"))
    assert rows[0].values["full_name"] == "Hélène Lefèvre", header


def test_i20_p11_a_full_name_column_of_its_own_is_kept_beside_a_given_name_column() -> None:
    text = "Nom complet;Prénom;Courriel;Organisation;Type\r\nHélène Lefèvre;Hélène;h@example.test;OFII;OFII\r\n"
    assert sheets.read_sheet("s.csv", text.encode("cp1252"))[0].values["full_name"] == "Hélène Lefèvre"


def test_i20_p11_the_import_limits_are_the_participant_fields_own() -> None:
    assert sheets.max_lengths() == {
        column: getattr(Professional._meta.get_field(column), "max_length", None)
        for column in ("full_name", "email", "organisation", "position")
    }
    assert sheets.max_lengths()["full_name"] == 150


def _says_too_long(text: str, limit: int) -> bool:
    return f"plus de {limit} caractères" in text or f"more than {limit} characters" in text


def test_i20_p11_a_name_longer_than_the_field_is_refused_naming_the_row_and_never_cut(
    signed_in: Callable[[User], Client],
) -> None:
    limit = sheets.max_lengths()["full_name"]  # the model field's own (test above)
    family, given = "L" + "e" * 99, "H" + "a" * (limit - 101)  # 151 characters with the space
    assert len(f"{given} {family}") == limit + 1
    text = (
        "Nom;Prénom;Courriel;Organisation;Type\r\n"
        "Roy;Inès;ines@example.test;OFII;OFII\r\n"
        f"{family};{given};long@example.test;OFII;OFII\r\n"
    )
    rows = sheets.check_rows(sheets.read_sheet("s.csv", text.encode("cp1252")), already_registered=set())
    assert rows[0].errors == []
    assert rows[1].values["full_name"] == f"{given} {family}"  # shown whole, to be shortened by the user
    assert len(rows[1].errors) == 1
    # The sheet's row (the header is row 1), the field and its limit. (The sentence is French once the
    # translations are compiled, English until then.)
    assert rows[1].errors[0].startswith(("Ligne 3, Nom complet", "Row 3, Nom complet"))
    assert _says_too_long(rows[1].errors[0], limit)
    # A name of exactly the limit is accepted.
    exact = sheets.check_rows(
        [sheets.Row(number=2, values={**rows[0].values, "full_name": "N" * limit})], already_registered=set()
    )
    assert exact[0].errors == []
    # Through the page: the preview says so and the import saves nothing, not even the valid row.
    trainer = signed_in(factories.make_user(Role.TRAINER))
    session = factories.make_training()
    url = reverse("trainings:import_sheet", kwargs={"session_id": session.pk})
    preview = trainer.post(url, {"sheet": SimpleUploadedFile("présence.csv", text.encode("cp1252"))})
    assert _says_too_long(preview.content.decode(), limit)
    post = {"commit": "1", "rows": "2"}
    for index, row in enumerate(rows):
        post[f"r{index}-number"] = str(row.number)
        post.update({f"r{index}-{column}": value for column, value in row.values.items()})
    refused = trainer.post(url, post)
    assert refused.status_code == 400
    assert _says_too_long(refused.content.decode(), limit)
    assert not Participation.objects.exists()
    assert not Professional.objects.exists()
