"""Issue 19: a public registration never edits a professional (p04) nor tells who is registered
(p23); the attendance import reads any upload within bounded memory (p12)."""

from __future__ import annotations

import io
import re
import tracemalloc
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import Workbook

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.audit.models import AuditEvent
from careplus.trainings import services, sheets
from careplus.trainings.models import Participation, Professional
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]
Capture = Callable[..., Any]
KNOWN = {
    "full_name": "Claire Martin",
    "email": "claire.martin@example.test",
    "organisation": "Gendarmerie de Lyon",
    "organisation_type": "gendarmerie",
}
FORGED = {**KNOWN, "email": "Claire.Martin@example.test", "full_name": "Nom Falsifié", "organisation": "Autre"}


def _known_professional() -> Professional:
    earlier = factories.make_training(title="Session passée")
    factories.add_participant(earlier, email=KNOWN["email"], present=True)
    Professional.objects.filter(email=KNOWN["email"]).update(
        full_name=KNOWN["full_name"], organisation=KNOWN["organisation"]
    )
    return Professional.objects.get(email=KNOWN["email"])


def _register(client: Client, session: Any, values: dict[str, str]) -> Any:
    return client.post(reverse("trainings:registration", kwargs={"token": session.registration_token}), values)


# p04 ------------------------------------------------------------------------------------------


def test_p04_public_registration_never_rewrites_a_known_professional(
    client: Client, django_capture_on_commit_callbacks: Capture
) -> None:
    professional = _known_professional()
    session = factories.make_training(title="Session ouverte")
    with django_capture_on_commit_callbacks(execute=True):
        response = _register(client, session, FORGED)
    assert response.status_code == 200
    professional.refresh_from_db()
    assert (professional.full_name, professional.organisation) == (KNOWN["full_name"], KNOWN["organisation"])
    participation = Participation.objects.get(session=session)
    assert participation.professional_id == professional.pk
    assert participation.proposed_details == {"full_name": "Nom Falsifié", "organisation": "Autre"}
    assert not AuditEvent.objects.filter(object_type="trainings.professional").exists()
    # the real owner of the address is told, under the name on record
    assert mail.outbox[-1].to == [KNOWN["email"]]
    assert KNOWN["full_name"] in mail.outbox[-1].body
    assert "Nom Falsifié" not in mail.outbox[-1].body


def test_p04_the_trainer_sees_the_proposal_and_applies_or_dismisses_it(client: Client, signed_in: SignedIn) -> None:
    professional = _known_professional()
    session = factories.make_training(title="Session ouverte")
    _register(client, session, FORGED)
    participation = Participation.objects.get(session=session)
    trainer_user = factories.make_user(Role.TRAINER)
    trainer = signed_in(trainer_user)
    detail = reverse("trainings:session_detail", kwargs={"session_id": session.pk})
    page = trainer.get(detail).content.decode()
    assert "Nom Falsifié" in page
    assert KNOWN["full_name"] in page
    url = reverse("trainings:proposal_decide", kwargs={"session_id": session.pk, "participation_id": participation.pk})
    assert trainer.post(url, {"decision": "maybe"}).status_code == 400
    assert trainer.post(url, {"decision": "dismiss"}).status_code == 302
    professional.refresh_from_db()
    participation.refresh_from_db()
    assert professional.full_name == KNOWN["full_name"]
    assert participation.proposed_details == {}
    assert "Nom Falsifié" not in trainer.get(detail).content.decode()
    assert trainer.post(url, {"decision": "apply"}).status_code == 400  # nothing left to apply
    Participation.objects.filter(pk=participation.pk).update(proposed_details={"full_name": "Claire Martin-Roy"})
    assert trainer.post(url, {"decision": "apply"}).status_code == 302
    professional.refresh_from_db()
    assert professional.full_name == "Claire Martin-Roy"
    event = AuditEvent.objects.filter(object_type="trainings.professional").get()
    assert (event.action, event.field_names, event.actor_id) == ("change", ["full_name"], str(trainer_user.pk))


def test_p04_an_imported_sheet_proposes_changes_too(signed_in: SignedIn) -> None:
    professional = _known_professional()
    session = factories.make_training()
    trainer = factories.make_user(Role.TRAINER)
    rows = sheets.read_sheet(
        "s.csv", f"nom;courriel;organisation;type\nNom Falsifié;{KNOWN['email']};Autre;OFII\n".encode()
    )
    assert services.import_commit(actor=trainer, session=session, rows=rows) == 1
    professional.refresh_from_db()
    assert professional.full_name == KNOWN["full_name"]
    proposed = Participation.objects.get(session=session).proposed_details
    assert proposed == {"full_name": "Nom Falsifié", "organisation": "Autre", "organisation_type": "ofii"}


# p23 ------------------------------------------------------------------------------------------


def _page(response: Any) -> str:
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    return re.sub(r'nonce="[^"]*"', "", text)


def test_p23_the_link_answers_the_same_for_a_registered_and_a_new_address(
    django_capture_on_commit_callbacks: Capture,
) -> None:
    session = factories.make_training(capacity=10)
    first = {**KNOWN, "email": "first@example.test"}
    _register(Client(), session, first)
    with django_capture_on_commit_callbacks(execute=True):
        again = _register(Client(), session, first)
        new = _register(Client(), session, {**KNOWN, "email": "new@example.test"})
    assert again.status_code == new.status_code == 200
    assert _page(again) == _page(new)
    assert Participation.objects.filter(session=session, professional__email="first@example.test").count() == 1
    told = {message.to[0]: message for message in mail.outbox}
    assert "already registered" in told["first@example.test"].body or "déjà inscrite" in told["first@example.test"].body
    assert "confirm" in told["new@example.test"].body


def test_p23_a_full_session_answers_full_whoever_asks() -> None:
    session = factories.make_training(capacity=1)
    _register(Client(), session, KNOWN)
    again = _register(Client(), session, KNOWN)
    other = _register(Client(), session, {**KNOWN, "email": "other@example.test"})
    assert again.status_code == other.status_code == 400
    assert _page(again).replace(KNOWN["email"], "X") == _page(other).replace("other@example.test", "X")


# p12 ------------------------------------------------------------------------------------------

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def _cell(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def _crafted_xlsx(body: str, dimension: str = "A1:XFD1048576") -> bytes:
    sheet = (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{body}</sheetData></worksheet>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


HEADER_ROW = '<row r="1">' + "".join(
    _cell(f"{column}1", title)
    for column, title in zip("ABCD", ("nom", "courriel", "organisation", "type"), strict=True)
)
PERSON_ROW = '<row r="{n}">' + "".join(
    _cell(f"{column}{{n}}", value)
    for column, value in zip("ABCD", ("Alice", "alice@example.test", "OFII", "OFII"), strict=True)
)


def _peak(function: Callable[[], Any]) -> tuple[Any, int]:
    tracemalloc.start()
    try:
        result = function()
        return result, tracemalloc.get_traced_memory()[1]
    except sheets.SheetError as error:
        return error, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


LIMIT = 100 * 1024 * 1024


def test_p12_a_huge_declared_dimension_is_never_materialised() -> None:
    data = _crafted_xlsx(HEADER_ROW + "</row>" + PERSON_ROW.format(n=2) + "</row>" + '<row r="1048576"/>')
    assert len(data) < 2000
    rows, peak = _peak(lambda: sheets.read_sheet("s.xlsx", data))
    assert peak < LIMIT
    assert [row.values["email"] for row in rows] == ["alice@example.test"]


def test_p12_a_value_far_to_the_right_stops_with_a_clear_message() -> None:
    data = _crafted_xlsx(HEADER_ROW + _cell("XFD1", "x") + "</row>")
    error, peak = _peak(lambda: sheets.read_sheet("s.xlsx", data))
    assert isinstance(error, sheets.SheetError)
    assert "50" in str(error)
    assert peak < LIMIT


def test_p12_empty_styled_cells_far_to_the_right_are_skipped() -> None:
    wide = "".join(f'<c r="XF{chr(65 + i % 26)}{2}" s="1"/>' for i in range(26))
    data = _crafted_xlsx(HEADER_ROW + "</row>" + PERSON_ROW.format(n=2) + wide + "</row>")
    rows, _peak_bytes = _peak(lambda: sheets.read_sheet("s.xlsx", data))
    assert [row.values["full_name"] for row in rows] == ["Alice"]


def test_p12_rows_beyond_the_limit_stop_the_reading_with_a_clear_message() -> None:
    body = HEADER_ROW + "</row>" + "".join(PERSON_ROW.format(n=n) + "</row>" for n in range(2, 5000))
    data = _crafted_xlsx(body)
    assert len(data) < sheets.MAX_BYTES
    error, peak = _peak(lambda: sheets.read_sheet("s.xlsx", data))
    assert isinstance(error, sheets.SheetError)
    assert "500" in str(error)
    assert peak < LIMIT


def test_p12_a_two_megabyte_upload_of_empty_cells_stays_within_memory() -> None:
    # Deflate packs ~10 MB of cells into a small upload; the unpacked part limit refuses more.
    cells = "".join(f'<row r="{n}">' + '<c r="XFD1" s="1"/>' * 200 + "</row>" for n in range(2, 1200))
    data = _crafted_xlsx(HEADER_ROW + "</row>" + cells)
    assert len(data) < sheets.MAX_BYTES
    result, peak = _peak(lambda: sheets.read_sheet("s.xlsx", data))
    assert peak < LIMIT
    assert isinstance(result, sheets.SheetError) or result == []


def test_p12_a_dtd_is_refused() -> None:
    data = _crafted_xlsx("")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"?><worksheet", b'?><!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet')
            target.writestr(info.filename, content)
    with pytest.raises(sheets.SheetError):
        sheets.read_sheet("s.xlsx", out.getvalue())


def test_p12_a_workbook_written_by_openpyxl_reads_as_before() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Nom", "Courriel", "Organisation", "Type", "Fonction"])
    sheet.append(["Alice", "alice@example.test", "OFII", "OFII", 12])
    sheet.append([None, None, None, None, None])
    sheet.append(["Bob", "bob@example.test", "ASE", "ASE", 1.5])
    out = io.BytesIO()
    book.save(out)
    rows = sheets.read_sheet("s.xlsx", out.getvalue())
    assert [(row.number, row.values["full_name"], row.values["position"]) for row in rows] == [
        (2, "Alice", "12"),
        (3, "Bob", "1.5"),
    ]


def test_p12_csv_limits_and_long_cells_answer_a_message() -> None:
    header = "nom;courriel;organisation;type\n"
    wide = (header + ";" * 1_900_000 + "x\n").encode()
    error, peak = _peak(lambda: sheets.read_sheet("s.csv", wide))
    assert isinstance(error, sheets.SheetError)
    assert peak < LIMIT
    long_cell = (header + '"' + "a" * 1_000_000 + '";b;c;d\n').encode()
    error, peak = _peak(lambda: sheets.read_sheet("s.csv", long_cell))
    assert isinstance(error, sheets.SheetError)
    many = (header + "a;a@example.test;b;ofii\n" * 600).encode()
    error, _peak_bytes = _peak(lambda: sheets.read_sheet("s.csv", many))
    assert isinstance(error, sheets.SheetError)
    assert "500" in str(error)


def test_p12_the_upload_page_answers_400_with_the_message(signed_in: SignedIn) -> None:
    session = factories.make_training()
    client = signed_in(factories.make_user(Role.TRAINER))
    data = _crafted_xlsx(HEADER_ROW + _cell("XFD1", "x") + "</row>")
    url = reverse("trainings:import_sheet", kwargs={"session_id": session.pk})
    response = client.post(url, {"sheet": SimpleUploadedFile("s.xlsx", data)})
    assert response.status_code == 400
    assert "50" in response.content.decode()
