"""The DPO answers an access request: finds the file, reviews other people's data, downloads the zip."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from careplus.access.roles import Role
from careplus.cases.models import CaseNote
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

RELATIVE = "Her cousin Ion Popescu drove her to Lyon"


def test_i21_p05_dpo_produces_an_access_export(
    new_page: Callable[[], Page], live_server: object, artifacts: Path
) -> None:
    base = str(live_server)
    case = factories.make_case(office=factories.make_office("NPL"), family_name="Gurung", given_names="Sita")
    note = CaseNote(case=case, author=factories.system_user())
    note.body = RELATIVE
    note.save()
    dpo = factories.make_user(Role.DPO, email="dpo@example.test")

    page = new_page()
    sign_in(page, base, dpo)
    page.goto(f"{base}/protection-des-donnees/acces/")
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "i21-access-request.png"), full_page=True)
    page.locator("#id_reference").fill(case.reference)
    page.locator("#id_reason").fill("Demande écrite du 3 mars")
    # A wrong code first: nothing opens, the form says why.
    page.locator("#id_code").fill("000000" if factories.totp_code(dpo, offset_steps=1) != "000000" else "111111")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("#id_code")).to_be_visible()
    expect(page.locator("blockquote")).to_have_count(0)
    page.wait_for_timeout(2500)  # a failed code slows the next try down (throttling)
    page.locator("#id_reason").fill("Demande écrite du 3 mars")
    page.locator("#id_code").fill(factories.totp_code(dpo, offset_steps=1))
    page.locator("form.form button[type=submit]").click()

    expect(page.locator("blockquote").first).to_contain_text(RELATIVE)
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "i21-access-review.png"), full_page=True)
    radios = page.locator("input[type=radio][value=redact]")
    assert radios.count() >= 1
    radios.first.check()  # the note naming the cousin is hidden
    releases = page.locator("input[type=radio][value=release]")
    for index in range(1, releases.count()):
        releases.nth(index).check()
    with page.expect_download() as info:
        page.locator("form.form button[type=submit]").click()
    download = info.value
    assert download.suggested_filename == f"acces-{case.reference}.zip"
    content = Path(download.path()).read_bytes()
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert {f"{case.reference}.pdf", f"{case.reference}.json"} <= set(archive.namelist())
    exported = archive.read(f"{case.reference}.json").decode()
    assert RELATIVE not in exported
    assert "[masqué par le DPD]" in exported
    assert "Gurung" in exported
    assert json.loads(exported)["reason"] == "Demande écrite du 3 mars"

    page.goto(f"{base}/protection-des-donnees/registre/")
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "i21-register.png"), full_page=True)
