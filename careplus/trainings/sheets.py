"""Reading attendance sheets (CSV or XLSX) into rows checked one by one; nothing is saved here."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Field
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careplus.core.text import clean_person_text
from careplus.trainings import xlsx
from careplus.trainings.choices import ProfessionalType
from careplus.trainings.models import Professional
from careplus.trainings.xlsx import MAX_BYTES, MAX_COLUMNS, MAX_ROWS, SheetError, TableBuilder

__all__ = ["MAX_BYTES", "MAX_COLUMNS", "MAX_ROWS", "Row", "SheetError", "check_rows", "read_sheet", "rows_from_post"]

COLUMNS = ("full_name", "email", "organisation", "organisation_type", "position")
COLUMN_LABELS = {
    "full_name": gettext_lazy("Full name"),
    "email": gettext_lazy("E-mail address"),
    "organisation": gettext_lazy("Organisation"),
    "organisation_type": gettext_lazy("Organisation type"),
    "position": gettext_lazy("Position"),
}
HEADERS = {
    "full_name": {
        "nom",
        "nom complet",
        "nom et prenom",
        "nom, prenom",
        "prenom, nom",
        "prenom et nom",
        "nom prenom",
        "prenom nom",
        "name",
        "full name",
        "participant",
        "participante",
        "participant(e)",
    },
    "email": {
        "courriel",
        "e-mail",
        "email",
        "e mail",
        "adresse electronique",
        "adresse courriel",
        "adresse e-mail",
        "adresse mail",
        "mail",
    },
    "organisation": {"organisation", "organization", "organisme", "structure", "institution"},
    "organisation_type": {
        "type",
        "type d'organisation",
        "type d'organisme",
        "organisation type",
        "organization type",
        "type de structure",
    },
    "position": {"fonction", "poste", "position"},
}
# A sheet may give the name in two columns; "Nom" beside "Prénom" is then the family name.
FAMILY_NAME_HEADERS = {
    "nom",
    "nom de famille",
    "nom d'usage",
    "nom de naissance",
    "nom patronymique",
    "name",  # beside "First name"; alone, it is the full name
    "family name",
    "last name",
    "lastname",
    "surname",
}
GIVEN_NAME_HEADERS = {
    "prenom",
    "prenoms",
    "prenom(s)",
    "prenom usuel",
    "first name",
    "firstname",
    "given name",
    "given names",
    "forename",
    "forenames",
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


def _header(text: str) -> str:
    """A column title as compared: folded, typographic apostrophes and spacing evened out."""
    folded = _fold(text.replace("\u2019", "'").replace("\u00a0", " ").replace("_", " "))
    return " ".join(folded.rstrip(" :*").split())


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


DELIMITERS = (";", ",", "\t")


def _csv_text(data: bytes) -> str:
    """Decode a CSV file as offices save it: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252.

    Excel's "CSV (séparateur: point-virgule)" writes Windows-1252 (cp1252) in France; a file
    that is valid UTF-8 is read as UTF-8 (cp1252 text with accents almost never is).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError(
        _(
            "The characters of this CSV file cannot be read (neither UTF-8 nor Windows-1252): "
            "save it again as CSV UTF-8."
        )
    )


def _delimiter(text: str) -> tuple[str, str]:
    """Return the delimiter and the text without Excel's optional "sep=" line.

    The delimiter is read from the header row alone: the one that splits it into the most known
    column titles, else into the most cells. Commas inside the data (quoted or not) cannot
    mislead it, as they could a guess made on the whole file.
    """
    first, _newline, rest = text.lstrip("\r\n").partition("\n")
    hint = first.strip().lower()
    if hint.startswith("sep=") and len(hint) == 5:
        return first.strip()[4], rest
    header = first.rstrip("\r")

    def score(delimiter: str) -> tuple[int, int]:
        cells = next(csv.reader([header], delimiter=delimiter), [])
        return _known_headers(cells), len(cells)

    return max(DELIMITERS, key=score), text


def _csv_table(data: bytes) -> list[list[str]]:
    text = _csv_text(data)
    delimiter, text = _delimiter(text)
    table = TableBuilder()
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            if any(cell.strip() for cell in row[MAX_COLUMNS:]):
                raise xlsx.too_wide()
            table.add(dict(enumerate(row[:MAX_COLUMNS], start=1)))
    except csv.Error as error:
        raise SheetError(_("This CSV file cannot be read: a cell is too long or a quote is not closed.")) from error
    return table.rows


def _known_headers(cells: list[str]) -> int:
    names = [*HEADERS.values(), FAMILY_NAME_HEADERS, GIVEN_NAME_HEADERS]
    return sum(1 for cell in cells if any(_header(cell) in known for known in names))


def _position(header: list[str], names: set[str]) -> int | None:
    found = [index for index, title in enumerate(header) if title in names]
    return found[-1] if found else None


def _name_parts(header: list[str], positions: dict[str, int]) -> list[int]:
    """The given-name and family-name columns (in this order) that make the full name, if any.

    A full-name column of its own ("Nom complet") wins; "Nom" alone is the full name, but beside a
    given-name column ("Prénom") it is the family name, and the full name is both.
    """
    family = _position(header, FAMILY_NAME_HEADERS)
    given = _position(header, GIVEN_NAME_HEADERS)
    if "full_name" in positions and positions["full_name"] != family:
        return []
    return [index for index in (given, family) if index is not None]


def _joined(cells: list[str]) -> str:
    """Cells joined by a space; a formula in any of them stays marked (and refused)."""
    formula = any(cell.startswith(xlsx.FORMULA_MARK) for cell in cells)
    text = " ".join(part for cell in cells if (part := cell.removeprefix(xlsx.FORMULA_MARK).strip()))
    return xlsx.FORMULA_MARK + text if formula else text


def read_sheet(name: str, data: bytes) -> list[Row]:
    """Return the sheet's rows with their values and errors (the header row is required)."""
    table = _table(name, data)
    if not table:
        raise SheetError(_("The file is empty."))
    header = [_header(cell) for cell in table[0]]
    positions: dict[str, int] = {}
    for column, names in HEADERS.items():
        for index, title in enumerate(header):
            if title in names:
                positions[column] = index
    name_parts = _name_parts(header, positions)
    if name_parts:
        positions.pop("full_name", None)
    missing = [
        column
        for column in ("full_name", "email", "organisation", "organisation_type")
        if column not in positions and not (column == "full_name" and name_parts)
    ]
    if missing:
        raise SheetError(
            _("Columns missing from the first row: name, e-mail, organisation, type (and optionally position).")
        )
    rows = []
    for number, raw in enumerate(table[1:], start=2):
        values = {column: (raw[index] if index < len(raw) else "") for column, index in positions.items()}
        if name_parts:
            values["full_name"] = _joined([raw[index] if index < len(raw) else "" for index in name_parts])
        values.setdefault("position", "")
        rows.append(Row(number=number, values=values))
    return rows


def _text_errors(values: dict[str, str]) -> list[str]:
    """Trim every cell and check it as person text (careplus.core.text), in place; return the errors.

    A cell computed by a formula (XLSX) is refused: its value is not in the file. Typed text that merely
    looks like a formula ("=…", "+33…", "-") is stored as typed and neutralised on every export.
    """
    errors = []
    if any(value.startswith(xlsx.FORMULA_MARK) for value in values.values()):
        errors.append(_("A cell holds a formula: type the value itself."))
    for column in list(values):
        try:
            values[column] = clean_person_text(values[column].removeprefix(xlsx.FORMULA_MARK))
        except ValidationError as error:
            label = COLUMN_LABELS.get(column, column)
            errors.append(_("%(column)s: %(message)s") % {"column": label, "message": error.messages[0]})
    return errors


def max_lengths() -> dict[str, int]:
    """The longest value of each column: the participant's own field's (Professional), read in one place.

    The organisation type is not stored as typed (a label becomes its code), so it has no limit here.
    """
    lengths = {}
    for column in COLUMNS:
        model_field = Professional._meta.get_field(column)
        if column != "organisation_type" and isinstance(model_field, Field) and model_field.max_length is not None:
            lengths[column] = model_field.max_length
    return lengths


def _length_errors(row: Row) -> list[str]:
    """A value longer than its field allows is refused, naming the row; nothing is ever cut."""
    return [
        _("Row %(row)d, %(column)s: more than %(limit)d characters. Shorten it: nothing is cut.")
        % {"row": row.number, "column": COLUMN_LABELS[column], "limit": limit}
        for column, limit in max_lengths().items()
        if len(row.values.get(column, "")) > limit
    ]


def check_rows(rows: list[Row], *, already_registered: set[str]) -> list[Row]:
    """Check every row (formulas, missing or malformed e-mail, unknown type, duplicates) in place."""
    seen: set[str] = set()
    for row in rows:
        row.errors = []
        values = row.values
        row.errors.extend(_text_errors(values))
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
        row.errors.extend(_length_errors(row))
        seen.add(email)
        values["email"] = email
    return rows


def rows_from_post(data: QueryDict) -> list[Row]:
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
