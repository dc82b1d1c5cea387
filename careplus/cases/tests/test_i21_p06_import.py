"""Issue 21, point 6: import of existing files at go-live (template, preview, fix in place, all or nothing)."""

from __future__ import annotations

import datetime
import io
import json
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from careplus.access.roles import Role
from careplus.audit.models import AuditEvent
from careplus.cases import imports
from careplus.cases.models import Case, CaseEvent, CaseImport, Consent, ImportedCase
from careplus.referrals.models import Referral
from careplus.reporting import figures, periods, rollups
from careplus.returns.models import Departure, Visit
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
IN_STEP = {"reporting_visitmonth": 0, "reporting_deliverymonth": 0, "reporting_casefigure": 0}
HEADERS = [column.header for column in imports.COLUMNS]
OFFICES = (("KTM", "NP", "Népal"), ("YAO", "CM", "Cameroun"), ("TUN", "TN", "Tunisie"))
STATUS_PLAN = (
    [("Ouvert", "open")] * 20
    + [("Avant le départ", "pre_departure")] * 20
    + [("Prêt au départ", "ready_to_depart")] * 10
    + [("Retourné", "returned")] * 80
    + [("Clôturé", "closed")] * 60
    + [("Abandonné", "withdrawn")] * 10
)


@pytest.fixture
def world() -> dict[str, Any]:
    offices = {code: factories.make_office(code, country=country) for code, country, _name in OFFICES}
    programme = factories.make_programme(name="Programme Retour 2018", target_beneficiaries=300)
    organisation = factories.make_organisation("Association Fictive Lyon")
    coordinator = factories.make_user(Role.COORDINATOR)
    client = Client()
    factories.sign_in(client, coordinator)
    return {"offices": offices, "programme": programme, "organisation": organisation, "user": coordinator, "c": client}


def fr(msgid: str) -> str:
    with translation.override("fr"):
        return str(gettext(msgid))


def _d(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def file_row(number: int, status: tuple[str, str], *, programme: str, organisation: str) -> dict[str, str]:
    """A complete row of the template for the number-th fictional file."""
    code, _country, country_name = OFFICES[number % len(OFFICES)]
    opened = datetime.date(2018 + number % 5, 1 + number % 12, 1 + number % 27)
    row = {
        "family_name": f"Famille{number:03d}",
        "given_names": "Aminata" if number % 2 else "Grace",
        "sex": "F" if number % 5 else "M",
        "date_of_birth": _d(datetime.date(1980 + number % 20, 1 + number % 12, 1 + number % 28)),
        "nationality": country_name,
        "country_of_return": country_name,
        "office": code,
        "programme": programme,
        "organisation": organisation,
        "departement": "69",
        "identification": "Identifiée",
        "exploitation": "Exploitation sexuelle" if number % 3 else "Travail ou services forcés",
        "consent_processing": "Oui",
        "consent_sharing": "Oui",
        "received_on": _d(opened - datetime.timedelta(days=10)),
        "opened_on": _d(opened),
        "status": status[0],
    }
    if status[1] in {"returned", "closed"}:
        departed = opened + datetime.timedelta(days=60)
        row["departed_on"], row["returned_on"] = _d(departed), _d(departed + datetime.timedelta(days=1))
        row["visit1_date"] = _d(departed + datetime.timedelta(days=31))
        row["visit1_economic"], row["visit1_social"], row["visit1_psychosocial"] = "0,5", "0.75", "1"
        row["visit2_date"] = _d(departed + datetime.timedelta(days=95))
        row["visit2_economic"] = "0,25"
    if status[1] == "closed":
        row["closed_on"], row["closure_reason"] = _d(opened + datetime.timedelta(days=500)), "Perte de contact"
    return row


def workbook(rows: list[dict[str, str]], *, from_template: bytes | None = None) -> bytes:
    """The template (as downloaded, or a bare one) with the rows typed in its first sheet."""
    if from_template is not None:
        book = load_workbook(io.BytesIO(from_template))
        sheet = book["Dossiers"]
    else:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(HEADERS)
    for index, values in enumerate(rows, start=2):
        for column, key in enumerate(imports.KEYS, start=1):
            sheet.cell(row=index, column=column, value=values.get(key, ""))
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def upload(client: Client, data: bytes, name: str = "dossiers.xlsx") -> Any:
    sheet = io.BytesIO(data)
    sheet.name = name
    return client.post(reverse("cases:import_start"), {"sheet": sheet})


def confirm_data(rows: list[imports.Row], fixes: dict[int, dict[str, str]] | None = None) -> dict[str, str]:
    """What the preview form posts: every row's values, and the cells corrected on the rows in error."""
    data = {"rows": str(len(rows))}
    for index, row in enumerate(rows):
        data[f"r{index}"] = row.as_json
        for key, value in (fixes or {}).get(row.number, {}).items():
            data[f"r{index}-{key}"] = value
    return data


def test_i21_p06_template_columns_are_the_import_columns(world: dict[str, Any]) -> None:
    response = world["c"].get(reverse("cases:import_template"))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Dossiers", "Instructions"]
    assert [cell.value for cell in book["Dossiers"][1]] == HEADERS
    guide = " ".join(str(cell.value) for row in book["Instructions"].iter_rows() for cell in row if cell.value)
    assert "KTM" in guide
    assert "Programme Retour 2018" in guide
    assert "Association Fictive Lyon" in guide
    assert "Perte de contact" in guide  # closure reasons listed in French
    assert fr("Import of existing files into CARE+") in guide


def test_i21_p06_two_hundred_files_with_three_bad_rows_fixed_in_the_preview(world: dict[str, Any]) -> None:
    client, programme = world["c"], world["programme"]
    already = factories.make_case(family_name="Famille007", given_names="Aminata", date_of_birth=None)
    Case.objects.filter(pk=already.pk).update(programme=None)
    names = {"programme": programme.name, "organisation": world["organisation"].name}
    rows = [file_row(number, status, **names) for number, status in enumerate(STATUS_PLAN)]
    rows[4]["country_of_return"] = "Atlantide"  # unknown country
    rows[60]["status"], rows[60]["departed_on"], rows[60]["returned_on"] = (
        "Retourné",
        "",
        _d(TODAY + datetime.timedelta(days=20)),
    )
    rows[7]["date_of_birth"] = ""  # the person of `already` (same name, no date of birth)
    template = client.get(reverse("cases:import_template")).content

    response = upload(client, workbook(rows, from_template=template))
    assert response.status_code == 200
    preview: list[imports.Row] = response.context["rows"]
    assert len(preview) == 200
    errors = {row.number: " ".join(row.errors) for row in preview if row.errors}
    assert sorted(errors) == [6, 9, 62]
    assert fr("unknown country “%(value)s”.") % {"value": "Atlantide"} in errors[6]
    assert fr("This person (same name and date of birth) is already in CARE+: not imported twice.") in errors[9]
    assert "Départ le" in errors[62]
    assert (
        fr("%(date)s is in the future: only past events are imported.") % {"date": rows[60]["returned_on"]}
        in errors[62]
    )
    assert Case.objects.count() == 1  # nothing saved by the preview

    refused = client.post(reverse("cases:import_confirm"), confirm_data(preview))
    assert refused.status_code == 400
    assert "6, 9, 62" in refused.content.decode()
    assert Case.objects.count() == 1
    assert not CaseImport.objects.exists()
    assert Referral.objects.count() == 0

    fixed_departure = file_row(60, ("Retourné", "returned"), **names)
    fixes = {
        6: {"country_of_return": "Népal", "office": "KTM"},
        9: {"date_of_birth": "03/04/1991"},
        62: {key: fixed_departure[key] for key in ("departed_on", "returned_on")},
    }
    rows[4]["country_of_return"], rows[4]["office"] = "Népal", "KTM"
    rows[7]["date_of_birth"] = "03/04/1991"
    rows[60] = fixed_departure
    done = client.post(reverse("cases:import_confirm"), confirm_data(preview, fixes))
    assert done.status_code == 302, done.content.decode()[:2000]

    imported = Case.objects.filter(imported_from__isnull=False)
    assert imported.count() == 200
    batch = CaseImport.objects.get()
    assert batch.rows == 200
    assert batch.imported_by == world["user"]
    statuses = Counter(status for _label, status in STATUS_PLAN)
    assert Counter(imported.values_list("status", flat=True)) == statuses
    country_of = {code: country for code, country, _name in OFFICES}
    expected_countries = Counter(country_of[row["office"]] for row in rows)
    assert Counter(imported.values_list("country_of_return", flat=True)) == expected_countries
    assert all(
        case.office and case.office.country == case.country_of_return for case in imported.select_related("office")
    )
    assert Referral.objects.filter(case__in=imported, status="accepted").count() == 200
    returned_rows = [row for row in rows if row.get("returned_on")]
    assert Departure.objects.filter(case__in=imported).count() == len(returned_rows) == 140
    assert Visit.objects.filter(case__in=imported, status="done").count() == 280
    assert Consent.objects.filter(case__in=imported).count() == 400

    # The dashboard shows the sheet's figures (the import's period: the programme's whole span).
    response = client.get(reverse("reporting:dashboard"), {"programme": str(programme.pk), "period": "all"})
    assert response.status_code == 200
    blocks = {block.key: block for block in response.context["blocks"]}
    active = statuses.copy()
    del active["withdrawn"]
    assert blocks["beneficiaries"].total == sum(active.values()) == 190
    shown_status = dict(blocks["beneficiaries"].rows)
    assert shown_status["Retourné"] == 80
    assert shown_status["Clôturé"] == 60
    assert shown_status["Ouvert"] == 20
    assert blocks["referrals"].total == 200
    active_countries = Counter(
        country_of[row["office"]] for row, (_l, status) in zip(rows, STATUS_PLAN, strict=True) if status != "withdrawn"
    )
    assert {blocks["countries"].codes[label]: count for label, count in blocks["countries"].rows} == active_countries
    assert blocks["followup"].total == 280
    exact = figures.compute(programme, periods.resolve(programme, "all"), from_rollups=False)
    assert [(b.key, b.total, b.rows) for b in exact] == [(b.key, b.total, b.rows) for b in response.context["blocks"]]
    scores = dict(blocks["scores"].rows)
    assert scores["Économique"] == Decimal("0.38")  # (0.5 + 0.25) / 2 over the 140 returned files
    assert rollups.differences(connection) == IN_STEP


def test_i21_p06_created_files_are_encrypted_numbered_audited_and_marked(world: dict[str, Any]) -> None:
    names = {"programme": world["programme"].name, "organisation": world["organisation"].name}
    rows = [file_row(1, ("Clôturé", "closed"), **names), file_row(2, ("Ouvert", "open"), **names)]
    response = upload(world["c"], workbook(rows))
    assert [row.errors for row in response.context["rows"]] == [[], []]
    world["c"].post(reverse("cases:import_confirm"), confirm_data(response.context["rows"]))
    batch = CaseImport.objects.get()
    closed = Case.objects.get(imported_from__row=2)
    opened_on = datetime.datetime.strptime(rows[0]["opened_on"], "%d/%m/%Y").date()  # noqa: DTZ007
    assert closed.reference.startswith(f"CARE-{opened_on.year}-")
    assert closed.opened_on == opened_on
    assert closed.status == "closed"
    assert closed.closure_reason == "lost_contact"
    assert closed.family_name == "Famille001"
    assert closed.office is not None
    assert closed.office.code == "YAO"
    with connection.cursor() as cursor:
        cursor.execute("SELECT family_name FROM cases_case WHERE id = %s", [closed.pk.hex])
        stored = cursor.fetchone()
    assert stored is not None
    raw = stored[0]
    assert b"Famille001" not in (raw.encode() if isinstance(raw, str) else bytes(raw))
    assert ImportedCase.objects.get(case=closed).batch == batch
    assert CaseEvent.objects.filter(case=closed, kind="imported").exists()
    events = AuditEvent.objects.filter(object_id=str(closed.pk))
    assert {e.action for e in events} >= {"create", "change"}
    assert any(f"import:{batch.pk}" in e.fields for e in events)
    assert AuditEvent.objects.filter(object_type="cases.caseimport", object_id=str(batch.pk), action="create").exists()
    assert closed.departure.arrival_on is not None
    visit = closed.visits.get(planned_on=datetime.datetime.strptime(rows[0]["visit1_date"], "%d/%m/%Y").date())  # noqa: DTZ007
    assert visit.score_composite == Decimal("0.75")
    assert visit.scores is not None
    assert visit.scores["partial"] is False


@pytest.mark.parametrize(
    ("change", "key", "msgid", "params"),
    [
        ({"office": "ZZZ"}, "office", "unknown office code “%(value)s”.", {"value": "ZZZ"}),
        ({"office": "YAO"}, "office", "the office %(office)s is not in the country of return.", {"office": "YAO"}),
        (
            {"country_of_return": "Atlantide"},
            "country_of_return",
            "unknown country “%(value)s”.",
            {"value": "Atlantide"},
        ),
        ({"opened_on": "01/01/2017"}, "", "The file cannot be opened before the referral was received.", {}),
        (
            {"returned_on": "01/01/2099"},
            "returned_on",
            "%(date)s is in the future: only past events are imported.",
            {"date": "01/01/2099"},
        ),
        ({"departed_on": ""}, "departed_on", "required for a returned or closed file.", {}),
        ({"status": "Suspendu"}, "status", "“%(value)s” is not a status that can be imported.", {"value": "Suspendu"}),
        (
            {"family_name": "G" * 101},
            "family_name",
            "more than %(limit)d characters. Shorten it: nothing is cut.",
            {"limit": 100},
        ),
        ({"visit1_economic": "1,5"}, "visit1_economic", "a score is a number from 0 to 1 (e.g. 0.65).", {}),
        ({"visit1_date": "01/01/2016"}, "visit1_date", "a visit cannot be before the return.", {}),
        ({"programme": "Inconnu"}, "programme", "no programme is named “%(value)s”.", {"value": "Inconnu"}),
        ({"consent_sharing": "peut-être"}, "consent_sharing", "answer Oui or Non.", {}),
        (
            {"date_of_birth": "31/02/1990"},
            "date_of_birth",
            "“%(value)s” is not a date (DD/MM/YYYY).",
            {"value": "31/02/1990"},
        ),
        ({"departement": "00"}, "departement", None, {}),
        ({"exploitation": ""}, "exploitation", "this value is missing.", {}),
        (
            {"exploitation": "Pillage"},
            "exploitation",
            "unknown form of exploitation “%(value)s”.",
            {"value": "Pillage"},
        ),
    ],
)
def test_i21_p06_row_rules_give_french_messages(
    world: dict[str, Any], change: dict[str, str], key: str, msgid: str | None, params: dict[str, Any]
) -> None:
    names = {"programme": world["programme"].name, "organisation": world["organisation"].name}
    row = file_row(0, ("Retourné", "returned"), **names)
    row.update(change)
    response = upload(world["c"], workbook([row]))
    assert response.status_code == 200
    (checked,) = response.context["rows"]
    if msgid is None:
        assert any(error.startswith(imports.BY_KEY[key].header) for error in checked.errors), checked.errors
    else:
        message = fr(msgid) % params if params else fr(msgid)
        expected = (
            fr("%(column)s: %(message)s") % {"column": imports.BY_KEY[key].header, "message": message}
            if key
            else message
        )
        assert expected in checked.errors
    assert not Case.objects.exists()


def test_i21_p06_names_go_through_the_text_validator(world: dict[str, Any]) -> None:
    names = {"programme": world["programme"].name, "organisation": world["organisation"].name}
    row = {**file_row(0, ("Ouvert", "open"), **names), "family_name": "Gur\u202eung"}
    (checked,) = upload(world["c"], workbook([row])).context["rows"]
    assert any(e.startswith("Nom de famille") and "U+202E" in e for e in checked.errors), checked.errors


def test_i21_p06_same_person_twice_in_the_sheet(world: dict[str, Any]) -> None:
    names = {"programme": world["programme"].name, "organisation": world["organisation"].name}
    first = file_row(3, ("Ouvert", "open"), **names)
    second = {**first, "family_name": "famille-003 ", "status": "Ouvert"}
    second["family_name"] = "FAMILLE003"
    response = upload(world["c"], workbook([first, second]))
    errors = [row.errors for row in response.context["rows"]]
    assert errors[0] == []
    assert errors[1] == [fr("The same person (same name and date of birth) is already on row %(row)d.") % {"row": 2}]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("dossiers.csv", b"a;b\n", "Only the XLSX template is accepted: download it, fill it in and send it back."),
        ("dossiers.xlsx", b"not a zip", "This file is not a readable XLSX workbook."),
        ("dossiers.xlsx", b"0" * (imports.MAX_BYTES + 1), "The file is larger than 2 MB."),
    ],
)
def test_i21_p06_unreadable_uploads_are_refused(world: dict[str, Any], name: str, data: bytes, message: str) -> None:
    response = upload(world["c"], data, name)
    assert response.status_code == 400
    assert fr(message).replace("'", "&#x27;") in response.content.decode()
    assert not Case.objects.exists()


def test_i21_p06_missing_columns_are_named(world: dict[str, Any]) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Nom de famille", "Prénom(s)"])
    sheet.append(["Gurung", "Sita"])
    output = io.BytesIO()
    book.save(output)
    response = upload(world["c"], output.getvalue())
    assert response.status_code == 400
    assert (
        fr("Columns missing from the first row: %(columns)s. Use the template as downloaded.").split("%")[0]
        in response.content.decode()
    )
    assert "Code du bureau" in response.content.decode()


def test_i21_p06_tampered_confirmation_is_rechecked(world: dict[str, Any]) -> None:
    names = {"programme": world["programme"].name, "organisation": world["organisation"].name}
    response = upload(world["c"], workbook([file_row(1, ("Ouvert", "open"), **names)]))
    data = confirm_data(response.context["rows"])
    values = json.loads(data["r0"])
    values["office"] = "NOPE"
    data["r0"] = json.dumps(values)
    refused = world["c"].post(reverse("cases:import_confirm"), data)
    assert refused.status_code == 400
    assert not Case.objects.exists()
    assert not CaseImport.objects.exists()
    empty = world["c"].post(reverse("cases:import_confirm"), {"rows": "0"})
    assert empty.status_code == 400


def test_i21_p06_only_coordinators_import(world: dict[str, Any]) -> None:
    caseworker = factories.make_user(Role.CASEWORKER, office=world["offices"]["KTM"])
    client = Client()
    factories.sign_in(client, caseworker)
    for name in ("cases:import_start", "cases:import_template"):
        assert client.get(reverse(name)).status_code == 404
    assert client.post(reverse("cases:import_confirm"), {"rows": "0"}).status_code == 404
    listing = world["c"].get(reverse("cases:case_list"))
    assert reverse("cases:import_start") in listing.content.decode()
    assert reverse("cases:import_start") not in client.get(reverse("cases:case_list")).content.decode()


def test_i21_p06_excel_dates_and_iso_dates_are_read() -> None:
    assert imports.parse_date("43466") == datetime.date(2019, 1, 1)
    assert imports.parse_date("2019-01-01 00:00:00") == datetime.date(2019, 1, 1)
    assert imports.parse_date("01/01/2019") == datetime.date(2019, 1, 1)
    assert imports.parse_date("hier") is None


def test_i21_p06_a_full_sheet_in_error_still_posts_back(world: dict[str, Any], settings: Any) -> None:
    names = {"programme": world["programme"].name, "organisation": world["organisation"].name}
    rows = [{**file_row(number, ("Ouvert", "open"), **names), "office": "ZZZ"} for number in range(imports.MAX_ROWS)]
    response = upload(world["c"], workbook(rows))
    assert response.status_code == 200
    page = response.content.decode()
    form = page[page.index('action="/dossiers/import/confirmer/"') :]
    assert form.count(" name=") < settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    assert page.count('class="row--error"') == imports.MAX_ROWS
    assert form.count('type="text"') == imports.MAX_EDITABLE_ROWS * len(imports.COLUMNS)
