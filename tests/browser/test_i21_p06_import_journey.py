"""Issue 21, point 6: a coordinator brings existing files in from the template, fixing a bad row in the preview."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from careplus.cases import imports
from careplus.cases.models import Case, CaseImport
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def _row(family: str, office: str, programme: str, organisation: str) -> dict[str, str]:
    return {
        "family_name": family,
        "given_names": "Aminata",
        "sex": "F",
        "date_of_birth": "14/03/1995",
        "nationality": "Népal",
        "country_of_return": "Népal",
        "office": office,
        "programme": programme,
        "organisation": organisation,
        "departement": "69",
        "identification": "Identifiée",
        "exploitation": "Exploitation sexuelle",
        "consent_processing": "Oui",
        "consent_sharing": "Oui",
        "received_on": "02/03/2018",
        "opened_on": "15/03/2018",
        "status": "Retourné",
        "departed_on": "10/06/2019",
        "returned_on": "11/06/2019",
        "visit1_date": "20/07/2019",
        "visit1_economic": "0,65",
    }


def test_i21_p06_coordinator_imports_existing_files(
    new_page: Callable[[], Page], live_server: object, artifacts: Path, tmp_path: Path
) -> None:
    base = str(live_server)
    factories.make_office("KTM", country="NP")
    programme = factories.make_programme(name="Programme Retour 2018")
    organisation = factories.make_organisation("Association Fictive Lyon")
    coordinator = factories.make_user(Role.COORDINATOR, email="coordination@example.test")
    page = new_page()
    sign_in(page, base, coordinator)
    page.goto(base + "/dossiers/")
    page.locator("a[href='/dossiers/import/']").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "i21-p06-import-start.png"), full_page=True)

    with page.expect_download() as download_info:
        page.locator("a[href$='/dossiers/import/modele.xlsx']").click()
    template = tmp_path / "modele.xlsx"
    download_info.value.save_as(template)
    book = load_workbook(template)
    sheet = book["Dossiers"]
    assert [cell.value for cell in sheet[1]] == [column.header for column in imports.COLUMNS]
    rows = [
        _row("Gurung", "KTM", programme.name, organisation.name),
        _row("Tamang", "KTX", programme.name, organisation.name),  # a mistyped office code
    ]
    for number, values in enumerate(rows, start=2):
        for column, key in enumerate(imports.KEYS, start=1):
            sheet.cell(row=number, column=column, value=values.get(key, ""))
    filled = tmp_path / "dossiers-existants.xlsx"
    output = io.BytesIO()
    book.save(output)
    filled.write_bytes(output.getvalue())

    page.locator("#id_sheet").set_input_files(str(filled))
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    expect(page.locator(".row--error")).to_have_count(1)
    expect(page.locator("#row-3")).to_contain_text("KTX")
    assert not Case.objects.exists()
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "i21-p06-import-preview.png"), full_page=True)

    page.locator("#r1-office").fill("KTM")
    page.locator("form[action='/dossiers/import/confirmer/'] button[type=submit]").click()
    expect(page.locator(".message--success")).to_be_visible()
    assert CaseImport.objects.get().rows == 2
    assert Case.objects.filter(imported_from__isnull=False, status="returned", office__code="KTM").count() == 2
    page.screenshot(path=str(artifacts / "i21-p06-import-done.png"), full_page=True)
