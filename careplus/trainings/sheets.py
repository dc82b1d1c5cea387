"""Reading attendance sheets (CSV or XLSX) into rows checked one by one; nothing is saved here."""

from __future__ import annotations

import contextlib
import csv
import io
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from careplus.trainings import xlsx
from careplus.trainings.choices import ProfessionalType
from careplus.trainings.xlsx import MAX_BYTES, MAX_COLUMNS, MAX_ROWS, SheetError, TableBuilder

__all__ = ["MAX_BYTES", "MAX_COLUMNS", "MAX_ROWS", "Row", "SheetError", "check_rows", "read_sheet", "rows_from_post"]

COLUMNS = ("full_name", "email", "organisation", "organisation_type", "position")
HEADERS = {
    "full_name": {"nom", "nom complet", "name", "full name", "participant", "participante"},
    "email": {"courriel", "e-mail", "email", "adresse electronique", "mail"},
    "organisation": {"organisation", "organization", "structure", "institution"},
    "organisation_type": {"type", "type d'organisation", "organisation type", "type de structure"},
    "position": {"fonction", "poste", "position"},
}
TYPE_ALIASES = {
    "ofii": ProfessionalType.OFII,
    "ase": ProfessionalType.CHILD_WELFARE,
    "aide sociale a l'enfance": ProfessionalType.CHILD_WELFARE,
    "gendarmerie": ProfessionalType.GENDARMERIE,
    "paf": ProfessionalType.BORDER_POLICE,
    "police aux frontieres": ProfessionalType.BORDER_POLICE,
    "police": ProfessionalType.POLICE,
    "magistrature": ProfessionalType.JUDICIARY,
    "justice": ProfessionalType.JUDICIARY,
    "judiciary": ProfessionalType.JUDICIARY,
    "inspection du travail": ProfessionalType.LABOUR_INSPECTION,
    "association": ProfessionalType.NGO,
    "association non specialisee": ProfessionalType.NGO,
    "ong": ProfessionalType.NGO,
    "ngo": ProfessionalType.NGO,
    "association specialisee": ProfessionalType.NGO_SPECIALISED,
    "autre": ProfessionalType.OTHER,
    "other": ProfessionalType.OTHER,
}


@dataclass
class Row:
    number: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def organisation_type(value: str) -> str | None:
    """Return the type code for a code or a (French or English) label, else None."""
    folded = _fold(value)
    for code, label in ProfessionalType.choices:
        if folded in {code, _fold(str(label))}:
            return code
    return TYPE_ALIASES.get(folded)


def _table(name: str, data: bytes) -> list[list[str]]:
    """Return the sheet's non-empty rows, header first, stopping at the row and column limits."""
    if len(data) > MAX_BYTES:
        raise SheetError(_("The file is larger than 2 MB."))
    lower = name.lower()
    if lower.endswith(".csv"):
        return _csv_table(data)
    if lower.endswith(".xlsx"):
        return xlsx.read_first_sheet(data)
    raise SheetError(_("Only CSV and XLSX files are accepted."))


def _csv_table(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SheetError(_("The CSV file is not encoded in UTF-8: export it again as CSV UTF-8.")) from error
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel
    if text.strip():
        with contextlib.suppress(csv.Error):  # one column, or no separator found: read it as plain CSV
            dialect = csv.Sniffer().sniff(text[:2048], delimiters=",;\t")
    table = TableBuilder()
    try:
        for row in csv.reader(io.StringIO(text), dialect):
            if any(cell.strip() for cell in row[MAX_COLUMNS:]):
                raise xlsx.too_wide()
            table.add(dict(enumerate(row[:MAX_COLUMNS], start=1)))
    except csv.Error as error:
        raise SheetError(_("This CSV file cannot be read: a cell is too long or a quote is not closed.")) from error
    return table.rows


def read_sheet(name: str, data: bytes) -> list[Row]:
    """Return the sheet's rows with their values and errors (the header row is required)."""
    table = _table(name, data)
    if not table:
        raise SheetError(_("The file is empty."))
    header = [_fold(cell) for cell in table[0]]
    positions: dict[str, int] = {}
    for column, names in HEADERS.items():
        for index, title in enumerate(header):
            if title in names:
                positions[column] = index
    missing = [
        column for column in ("full_name", "email", "organisation", "organisation_type") if column not in positions
    ]
    if missing:
        raise SheetError(
            _("Columns missing from the first row: name, e-mail, organisation, type (and optionally position).")
        )
    rows = []
    for number, raw in enumerate(table[1:], start=2):
        values = {column: (raw[index] if index < len(raw) else "") for column, index in positions.items()}
        values.setdefault("position", "")
        rows.append(Row(number=number, values=values))
    return rows


def check_rows(rows: list[Row], *, already_registered: set[str]) -> list[Row]:
    """Check every row (formulas, missing or malformed e-mail, unknown type, duplicates) in place."""
    seen: set[str] = set()
    for row in rows:
        row.errors = []
        values = row.values
        if any(value.startswith(("=", "+", "-", "@")) for value in values.values()):
            row.errors.append(_("A cell holds a formula: type the value itself."))
        if not values.get("full_name"):
            row.errors.append(_("The name is missing."))
        email = values.get("email", "").strip().lower()
        if not email:
            row.errors.append(_("The e-mail address is missing."))
        else:
            try:
                validate_email(email)
            except ValidationError:
                row.errors.append(_("The e-mail address is not valid."))
        if organisation_type(values.get("organisation_type", "")) is None:
            row.errors.append(
                _("Unknown organisation type: %(value)s.") % {"value": values.get("organisation_type", "") or "—"}
            )
        if not values.get("organisation"):
            row.errors.append(_("The organisation is missing."))
        if email and email in seen:
            row.errors.append(_("This e-mail address appears twice in the sheet."))
        if email and email in already_registered:
            row.errors.append(_("This person is already registered for the session."))
        if any(len(value) > 200 for value in values.values()):
            row.errors.append(_("A cell is longer than 200 characters."))
        seen.add(email)
        values["email"] = email
    return rows


def rows_from_post(data: Any) -> list[Row]:
    """Rebuild the preview rows from the corrected form."""
    count = int(data.get("rows", "0") or 0)
    count = max(0, min(count, MAX_ROWS))
    return [
        Row(
            number=int(data.get(f"r{i}-number", i) or i),
            values={c: str(data.get(f"r{i}-{c}", "")).strip() for c in COLUMNS},
        )
        for i in range(count)
    ]
