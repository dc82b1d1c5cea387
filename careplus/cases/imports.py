"""Import of existing case files at go-live: the XLSX template, reading, row checks, all-or-nothing commit.

One definition of the columns (`COLUMNS`) makes both the template to download and the import: the
template's headers are the headers read back. Nothing is saved while rows are checked; the commit
re-checks every row in one transaction and creates each file through the case services (encrypted
under its own data key, numbered by its opening year, audited, in the office named by its code),
with its referral, consents, past dates (departure, return, closure) and past visits.
"""

from __future__ import annotations

import datetime
import io
import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django_countries import countries
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careplus.accounts.models import Office, Organisation, User
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.cases import services as case_services
from careplus.cases.choices import CaseStatus, ConsentScope, Sex
from careplus.cases.models import Case, CaseImport, Consent, ImportedCase
from careplus.cases.workflow import is_minor_on
from careplus.core.dates import add_months
from careplus.core.departements import normalise_departement, validate_departement
from careplus.core.errors import RuleViolation
from careplus.core.fields import encrypted_fields
from careplus.core.numbering import next_reference
from careplus.core.text import NAME_MAX_CHARS, clean_person_text
from careplus.programmes.models import Programme
from careplus.referrals.choices import Channel, ExploitationForm, IdentificationStatus, ReferralStatus
from careplus.referrals.models import Referral
from careplus.returns import sustainability
from careplus.returns.choices import ClosureReason, VisitStatus
from careplus.returns.models import MAX_FOLLOW_UP_MONTHS, Departure, Visit
from careplus.trainings import xlsx
from careplus.trainings.xlsx import MAX_BYTES, MAX_ROWS, SheetError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from django.http import QueryDict

__all__ = ["COLUMNS", "MAX_BYTES", "MAX_ROWS", "Row", "SheetError", "check_rows", "commit", "read_sheet"]

VISITS = 4  # past follow-up visits a row may carry
SCORES = ("economic", "social", "psychosocial")
EXCEL_EPOCH = datetime.date(1899, 12, 30)
IMPORTABLE_STATUSES = (
    CaseStatus.OPEN,
    CaseStatus.PRE_DEPARTURE,
    CaseStatus.READY_TO_DEPART,
    CaseStatus.RETURNED,
    CaseStatus.CLOSED,
    CaseStatus.WITHDRAWN,
)
RETURNED_STATUSES = {CaseStatus.RETURNED, CaseStatus.CLOSED}
# Rows in error offered for correction in the preview: each row is posted back as one field (its values in
# JSON) and each corrected cell as one more, within DATA_UPLOAD_MAX_NUMBER_FIELDS for a full sheet.
MAX_EDITABLE_ROWS = 30
ROW_KEY = "_row"  # the sheet's row number, inside a row's posted values


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the template's title, in French: it is the file format, read back as typed
    help: StrOrPromise
    example: str = ""
    required: bool = False
    date: bool = False


def _visit_columns() -> list[Column]:
    columns = []
    score_names = {"economic": "économique", "social": "sociale", "psychosocial": "psychosociale"}
    for number in range(1, VISITS + 1):
        columns.append(
            Column(
                f"visit{number}_date",
                f"Visite {number} – date",
                gettext_lazy("Date of a past follow-up visit (after the return, within 12 months of it)."),
                "" if number > 1 else "20/07/2019",
                date=True,
            )
        )
        columns.extend(
            Column(
                f"visit{number}_{score}",
                f"Visite {number} – dimension {score_names[score]}",
                gettext_lazy("Sustainability score of this dimension, from 0 to 1 (e.g. 0.65); may stay empty."),
                "" if number > 1 else "0,65",
            )
            for score in SCORES
        )
    return columns


COLUMNS: tuple[Column, ...] = (
    Column("family_name", "Nom de famille", gettext_lazy("As in the existing file."), "Gurung", required=True),
    Column("given_names", "Prénom(s)", gettext_lazy("As in the existing file."), "Sita", required=True),
    Column("sex", "Sexe", gettext_lazy("F, M, X (other) or Inconnu."), "F", required=True),
    Column(
        "date_of_birth",
        "Date de naissance",
        gettext_lazy("DD/MM/YYYY; may stay empty when unknown."),
        "14/03/1995",
        date=True,
    ),
    Column("nationality", "Nationalité", gettext_lazy("Country name (e.g. Népal) or ISO code (NP)."), "Népal", True),
    Column(
        "country_of_return",
        "Pays de retour",
        gettext_lazy("Country name or ISO code; the office must be in this country."),
        "Népal",
        True,
    ),
    Column(
        "office",
        "Code du bureau",
        gettext_lazy("Code of an active office of the country of return (list below)."),
        "KTM",
        True,
    ),
    Column("programme", "Programme", gettext_lazy("Name of the programme, as on its page (list below)."), "", True),
    Column(
        "organisation",
        "Organisation orientatrice",
        gettext_lazy("Name of the partner organisation that referred the person (list below)."),
        "",
        True,
    ),
    Column(
        "departement",
        "Département de l'orientation",
        gettext_lazy("Département in France where the person was referred (e.g. 69, 2A, 971)."),
        "69",
        True,
    ),
    Column(
        "identification",
        "Identification",
        gettext_lazy("Identifiée (by an authority), Présumée or Non identifiée."),
        "Identifiée",
        True,
    ),
    Column(
        "exploitation",
        "Formes d'exploitation",
        gettext_lazy("One or more forms separated by ; (e.g. Exploitation sexuelle; Travail ou services forcés)."),
        "Exploitation sexuelle",
        True,
    ),
    Column(
        "consent_processing",
        "Consentement au traitement des données",
        gettext_lazy("Oui or Non: the person consented to the processing of their data."),
        "Oui",
        True,
    ),
    Column(
        "consent_sharing",
        "Consentement au partage avec le bureau",
        gettext_lazy("Oui or Non: the person consented to share their data with the office of the country of return."),
        "Oui",
        True,
    ),
    Column("received_on", "Orientation reçue le", gettext_lazy("DD/MM/YYYY."), "02/03/2018", True, date=True),
    Column(
        "opened_on",
        "Dossier ouvert le",
        gettext_lazy("DD/MM/YYYY, on or after the referral."),
        "15/03/2018",
        True,
        date=True,
    ),
    Column(
        "status",
        "Statut",
        gettext_lazy("Ouvert, Avant le départ, Prêt au départ, Retourné, Clôturé or Abandonné."),
        "Retourné",
        True,
    ),
    Column(
        "departed_on",
        "Départ le",
        gettext_lazy("DD/MM/YYYY; required for a returned or closed file, empty otherwise."),
        "10/06/2019",
        date=True,
    ),
    Column(
        "returned_on",
        "Retour (arrivée) le",
        gettext_lazy("Arrival in the country of return, DD/MM/YYYY; required for a returned or closed file."),
        "11/06/2019",
        date=True,
    ),
    Column(
        "closed_on",
        "Clôturé le",
        gettext_lazy("DD/MM/YYYY; required for a closed file, empty otherwise."),
        "",
        date=True,
    ),
    Column(
        "closure_reason",
        "Motif de clôture",
        gettext_lazy("Required for a closed file: one of the closure reasons (list below)."),
        "",
    ),
    *_visit_columns(),
)
KEYS = tuple(column.key for column in COLUMNS)
BY_KEY = {column.key: column for column in COLUMNS}


@dataclass
class Row:
    number: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    parsed: dict[str, Any] = field(default_factory=dict)  # each column's value, of its own type

    @property
    def as_json(self) -> str:
        return json.dumps({**self.values, ROW_KEY: self.number}, ensure_ascii=False, separators=(",", ":"))

    @property
    def cells(self) -> list[tuple[Column, str]]:
        return [(column, self.values.get(column.key, "")) for column in COLUMNS]


def fold(text: str) -> str:
    """Lower case without accents, apostrophes and spacing evened out (how titles and labels are compared)."""
    text = text.replace("\u2019", "'").replace("\u2013", "-").replace("\u00a0", " ")
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.rstrip(" :*").split())


# --- Reference lists (names accepted for codes) ----------------------------------------------------------


def _labels(choices: Iterable[tuple[str, object]], *, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every code of a choice list by its folded code and its folded French and English labels."""
    found: dict[str, str] = {}
    for language in ("fr", "en"):
        with translation.override(language):
            for code, label in choices:
                found[fold(str(code))] = code
                found[fold(str(label))] = code
    found.update(extra or {})
    return found


def _countries() -> dict[str, str]:
    found: dict[str, str] = {}
    for language in ("en", "fr"):
        with translation.override(language):
            for code, name in countries:
                found[fold(str(name))] = str(code)
                found[fold(str(code))] = str(code)
    return found


SEX_ALIASES = {"femme": "f", "feminin": "f", "homme": "m", "masculin": "m", "autre": "x", "inconnu": "u", "x": "x"}
IDENTIFICATION_ALIASES = {
    "identifiee": IdentificationStatus.IDENTIFIED,
    "identifie": IdentificationStatus.IDENTIFIED,
    "presumee": IdentificationStatus.PRESUMED,
    "presume": IdentificationStatus.PRESUMED,
    "non identifiee": IdentificationStatus.NOT_IDENTIFIED,
    "non identifie": IdentificationStatus.NOT_IDENTIFIED,
}
YES = {"oui", "o", "yes", "y", "1", "true", "vrai", "x"}
NO = {"non", "n", "no", "0", "false", "faux"}


@dataclass
class Context:
    """What the checks compare rows with, read once per sheet."""

    today: datetime.date
    offices: dict[str, Office]
    programmes: dict[str, Programme]
    organisations: dict[str, Organisation]
    countries: dict[str, str]
    known_people: set[str]

    @classmethod
    def load(cls, *, today: datetime.date | None = None) -> Context:
        return cls(
            today=today or timezone.localdate(),
            offices={fold(office.code): office for office in Office.objects.all()},
            programmes={fold(programme.name): programme for programme in Programme.objects.all()},
            organisations={fold(organisation.name): organisation for organisation in Organisation.objects.all()},
            countries=_countries(),
            known_people=set(Case.objects.exclude(person_index="").values_list("person_index", flat=True))
            | set(Referral.objects.exclude(person_index="").values_list("person_index", flat=True)),
        )


# --- Reading --------------------------------------------------------------------------------------------


def read_sheet(name: str, data: bytes) -> list[Row]:
    """Return the rows of the first sheet by the template's columns (the header row is required)."""
    if len(data) > MAX_BYTES:
        raise SheetError(_("The file is larger than 2 MB."))
    if not name.lower().endswith(".xlsx"):
        raise SheetError(_("Only the XLSX template is accepted: download it, fill it in and send it back."))
    table = xlsx.read_first_sheet(data)
    if not table:
        raise SheetError(_("The file is empty."))
    titles = {fold(column.header): column.key for column in COLUMNS}
    positions = {titles[fold(cell)]: index for index, cell in enumerate(table[0]) if fold(cell) in titles}
    missing = [column.header for column in COLUMNS if column.required and column.key not in positions]
    if missing:
        raise SheetError(
            _("Columns missing from the first row: %(columns)s. Use the template as downloaded.")
            % {"columns": ", ".join(missing)}
        )
    rows = []
    for number, raw in enumerate(table[1:], start=2):
        values = {key: (raw[index] if index < len(raw) else "") for key, index in positions.items()}
        rows.append(Row(number=number, values={key: values.get(key, "") for key in KEYS}))
    if not rows:
        raise SheetError(_("The sheet has no file to import below its first row."))
    return rows


def rows_from_post(data: QueryDict) -> list[Row]:
    """Rebuild the preview rows from the confirmation form: each row's values, then the cells corrected."""
    declared = str(data.get("rows", "0"))
    count = max(0, min(int(declared) if declared.isdigit() else 0, MAX_ROWS))
    rows = []
    for index in range(count):
        try:
            stored = json.loads(str(data.get(f"r{index}", "") or "{}"))
        except ValueError:
            stored = {}
        if not isinstance(stored, dict):
            stored = {}
        values = {key: str(stored.get(key, "")) for key in KEYS}
        for key in KEYS:
            name = f"r{index}-{key}"
            if name in data:
                values[key] = str(data.get(name, ""))
        number = str(stored.get(ROW_KEY, ""))
        rows.append(Row(number=int(number) if number.isdigit() else index + 2, values=values))
    return rows


# --- Checking -------------------------------------------------------------------------------------------


def parse_date(text: str) -> datetime.date | None:
    """Read DD/MM/YYYY, YYYY-MM-DD (with or without a time) or an Excel date serial; None when unreadable."""
    value = text.strip()
    if value.isdigit() and 1 <= int(value) <= 2_958_465:
        return EXCEL_EPOCH + datetime.timedelta(days=int(value))
    value = value.replace("T", " ").split(" ", 1)[0]
    for pattern in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(value, pattern).date()  # noqa: DTZ007  # a calendar date
        except ValueError:
            continue
    return None


def _score(text: str) -> Decimal | None:
    value = Decimal(text.strip().replace(",", "."))
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(1):
        raise InvalidOperation
    return value.quantize(sustainability.PLACES, rounding=ROUND_HALF_UP)


def _date_label(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


class _Checker:
    """The checks of one row; errors are French sentences naming the column."""

    def __init__(self, row: Row, context: Context) -> None:
        self.row = row
        self.context = context
        self.values = row.values
        self.errors: list[str] = []
        self.parsed: dict[str, Any] = {}  # each column's value, of its own type

    def error(self, key: str, message: str) -> None:
        self.errors.append(
            _("%(column)s: %(message)s") % {"column": BY_KEY[key].header, "message": message} if key else message
        )

    def text(self) -> None:
        if any(value.startswith(xlsx.FORMULA_MARK) for value in self.values.values()):
            self.errors.append(_("A cell holds a formula: type the value itself."))
        for key in KEYS:
            try:
                self.values[key] = clean_person_text(self.values.get(key, "").removeprefix(xlsx.FORMULA_MARK))
            except ValidationError as problem:
                self.error(key, problem.messages[0])
        for key in ("family_name", "given_names"):
            if len(self.values[key]) > NAME_MAX_CHARS:
                self.error(
                    key, _("more than %(limit)d characters. Shorten it: nothing is cut.") % {"limit": NAME_MAX_CHARS}
                )

    def required(self) -> None:
        for column in COLUMNS:
            if column.required and not self.values[column.key]:
                self.error(column.key, _("this value is missing."))

    def choice(self, key: str, known: dict[str, str], message: str) -> str | None:
        value = self.values[key]
        if not value:
            return None
        code = known.get(fold(value))
        if code is None:
            self.error(key, message % {"value": value})
        return code

    def dates(self) -> None:
        for column in COLUMNS:
            if not column.date or not self.values[column.key]:
                continue
            day = parse_date(self.values[column.key])
            if day is None:
                self.error(
                    column.key, _("“%(value)s” is not a date (DD/MM/YYYY).") % {"value": self.values[column.key]}
                )
            elif day > self.context.today:
                self.error(
                    column.key,
                    _("%(date)s is in the future: only past events are imported.") % {"date": _date_label(day)},
                )
            elif day.year < 1900:
                self.error(column.key, _("%(date)s is too far in the past.") % {"date": _date_label(day)})
            else:
                self.parsed[column.key] = day

    def references(self) -> None:
        countries_known = self.context.countries
        unknown_country = _("unknown country “%(value)s”.")
        self.parsed["sex"] = self.choice("sex", _labels(Sex.choices, extra=SEX_ALIASES), _("unknown sex “%(value)s”."))
        self.parsed["nationality"] = self.choice("nationality", countries_known, unknown_country)
        self.parsed["country_of_return"] = self.choice("country_of_return", countries_known, unknown_country)
        self.parsed["identification"] = self.choice(
            "identification",
            _labels(IdentificationStatus.choices, extra=IDENTIFICATION_ALIASES),
            _("unknown identification “%(value)s”."),
        )
        statuses = [(code, label) for code, label in CaseStatus.choices if code in IMPORTABLE_STATUSES]
        aliases = {"pre-depart": CaseStatus.PRE_DEPARTURE, "retire": CaseStatus.WITHDRAWN}
        self.parsed["status"] = self.choice(
            "status", _labels(statuses, extra=aliases), _("“%(value)s” is not a status that can be imported.")
        )
        self.parsed["closure_reason"] = self.choice(
            "closure_reason", _labels(ClosureReason.choices), _("unknown closure reason “%(value)s”.")
        )
        for key in ("consent_processing", "consent_sharing"):
            value = fold(self.values[key])
            if value in YES:
                self.parsed[key] = True
            elif value in NO:
                self.parsed[key] = False
            elif value:
                self.error(key, _("answer Oui or Non."))
        self._office()
        self._named("programme", self.context.programmes, _("no programme is named “%(value)s”."))
        self._named("organisation", self.context.organisations, _("no partner organisation is named “%(value)s”."))
        self._departement()
        self._exploitation()

    def _named(self, key: str, known: Mapping[str, Programme | Organisation], message: str) -> None:
        value = self.values[key]
        if value:
            found = known.get(fold(value))
            if found is None:
                self.error(key, message % {"value": value})
            self.parsed[key] = found

    def _office(self) -> None:
        code = self.values["office"]
        if not code:
            return
        office = self.context.offices.get(fold(code))
        if office is None:
            self.error("office", _("unknown office code “%(value)s”.") % {"value": code})
        elif not office.active or office.kind != "return_country":
            self.error("office", _("%(office)s is not an active office of a country of return.") % {"office": code})
        else:
            country = self.parsed.get("country_of_return")
            if country and office.country != country:
                self.error(
                    "office",
                    _("the office %(office)s is not in the country of return.") % {"office": office.code},
                )
            self.parsed["office"] = office

    def _departement(self) -> None:
        value = self.values["departement"]
        if not value:
            return
        try:
            validate_departement(value)
        except ValidationError as problem:
            self.error("departement", problem.messages[0])
        else:
            self.parsed["departement"] = normalise_departement(value)

    def _exploitation(self) -> None:
        known = _labels(ExploitationForm.choices)
        forms = []
        for part in self.values["exploitation"].split(";"):
            if not part.strip():
                continue
            code = known.get(fold(part))
            if code is None:
                self.error("exploitation", _("unknown form of exploitation “%(value)s”.") % {"value": part.strip()})
            elif code not in forms:
                forms.append(code)
        self.parsed["exploitation"] = forms

    def order(self) -> None:
        """Dates in the order a file lives them; what the status needs, and nothing it cannot have."""
        parsed, status = self.parsed, self.parsed.get("status")
        chain = [
            ("date_of_birth", "received_on", _("The referral cannot be received before the date of birth.")),
            ("received_on", "opened_on", _("The file cannot be opened before the referral was received.")),
            ("opened_on", "departed_on", _("The departure cannot be before the file was opened.")),
            ("departed_on", "returned_on", _("The return cannot be before the departure.")),
            ("returned_on", "closed_on", _("The file cannot be closed before the return.")),
        ]
        for earlier, later, message in chain:
            if earlier in parsed and later in parsed and parsed[later] < parsed[earlier]:
                self.errors.append(message)
        self._needed_by_status(status)

    def _needed_by_status(self, status: str | None) -> None:
        returned = status in RETURNED_STATUSES
        if returned:
            for key in ("departed_on", "returned_on"):
                if not self.values[key]:
                    self.error(key, _("required for a returned or closed file."))
        elif status:
            for key in ("departed_on", "returned_on"):
                if self.values[key]:
                    self.error(key, _("only a returned or closed file has this date."))
        if status == CaseStatus.CLOSED:
            for key in ("closed_on", "closure_reason"):
                if not self.values[key]:
                    self.error(key, _("required for a closed file."))
        elif status:
            for key in ("closed_on", "closure_reason"):
                if self.values[key]:
                    self.error(key, _("only a closed file has this value."))
        self._visits(returned)

    def _visits(self, returned: bool) -> None:
        visits = []
        arrival = self.parsed.get("returned_on")
        for number in range(1, VISITS + 1):
            date_key = f"visit{number}_date"
            scores: dict[str, Decimal | None] = {}
            for score in SCORES:
                key = f"visit{number}_{score}"
                if self.values[key]:
                    try:
                        scores[score] = _score(self.values[key])
                    except (InvalidOperation, ValueError):
                        self.error(key, _("a score is a number from 0 to 1 (e.g. 0.65)."))
            if not self.values[date_key]:
                if scores:
                    self.error(date_key, _("the date of the visit is missing."))
                continue
            if not returned:
                self.error(date_key, _("only a returned or closed file has follow-up visits."))
                continue
            day = self.parsed.get(date_key)
            if day is None or arrival is None:
                continue
            if day < arrival:
                self.error(date_key, _("a visit cannot be before the return."))
            elif day > add_months(arrival, MAX_FOLLOW_UP_MONTHS):
                self.error(
                    date_key,
                    _("a visit cannot be later than 12 months after the return (%(limit)s).")
                    % {"limit": _date_label(add_months(arrival, MAX_FOLLOW_UP_MONTHS))},
                )
            else:
                visits.append((day, scores))
        self.parsed["visits"] = visits

    def person(self, seen: dict[str, int]) -> None:
        """A person already in the system, or twice in the sheet, is refused (blind index)."""
        if not (self.values["family_name"] and self.values["given_names"]) or (
            self.values["date_of_birth"] and "date_of_birth" not in self.parsed
        ):
            return
        index = case_services.person_index(
            given_names=self.values["given_names"],
            family_name=self.values["family_name"],
            date_of_birth=self.parsed.get("date_of_birth"),
        )
        self.parsed["person_index"] = index
        if index in self.context.known_people:
            self.errors.append(_("This person (same name and date of birth) is already in CARE+: not imported twice."))
        if index in seen:
            self.errors.append(
                _("The same person (same name and date of birth) is already on row %(row)d.") % {"row": seen[index]}
            )
        else:
            seen[index] = self.row.number


def check_rows(rows: list[Row], context: Context) -> list[Row]:
    """Check every row in place (values trimmed, errors listed, parsed values kept); nothing is saved."""
    seen: dict[str, int] = {}
    for row in rows:
        checker = _Checker(row, context)
        checker.text()
        checker.required()
        checker.dates()
        checker.references()
        checker.order()
        checker.person(seen)
        row.errors, row.parsed = checker.errors, checker.parsed
    return rows


# --- Commit ---------------------------------------------------------------------------------------------


def _visit_scores(scores: dict[str, Decimal | None]) -> sustainability.Scores:
    """The scores as recorded in the old file; the composite is the mean of the dimensions given."""
    present = [value for value in (scores.get(name) for name in SCORES) if value is not None]
    composite = (sum(present, Decimal(0)) / len(present)).quantize(sustainability.PLACES) if present else None
    return sustainability.Scores(
        economic=scores.get("economic"),
        social=scores.get("social"),
        psychosocial=scores.get("psychosocial"),
        composite=composite,
        partial=len(present) < len(SCORES),
        weighted=False,
    )


def _create_file(actor: User, batch: CaseImport, row: Row) -> Case:
    parsed, values = row.parsed, row.values
    birth = parsed.get("date_of_birth")
    received, opened = parsed["received_on"], parsed["opened_on"]
    case = case_services.case_open(
        actor=actor,
        given_names=values["given_names"],
        family_name=values["family_name"],
        date_of_birth=birth,
        sex=parsed["sex"],
        nationality=parsed["nationality"],
        country_of_return=parsed["country_of_return"],
        office=parsed["office"],
        opened_on=opened,
        is_minor=is_minor_on(date_of_birth=birth, estimated_age=None, day=received),
        programme=parsed["programme"],
    )
    referral = Referral(
        programme=parsed["programme"],
        reference=next_reference("ORI", received.year),
        status=ReferralStatus.ACCEPTED,
        organisation=parsed["organisation"],
        channel=Channel.OTHER,
        submitted_by=actor,
        received_on=received,
        data_key=case.data_key,
        sex=case.sex,
        nationality=case.nationality,
        departement=parsed["departement"],
        identification_status=parsed["identification"],
        forms_of_exploitation=parsed["exploitation"],
        wishes_voluntary_return=True,
        country_of_return=case.country_of_return,
        is_minor=case.is_minor,
        consent_referral=True,
        consent_data_processing=parsed["consent_processing"],
        consent_date=opened,
        person_index=case.person_index,
        name_index=case.name_index,
        case=case,
    )
    referral.given_names, referral.family_name, referral.date_of_birth = case.given_names, case.family_name, birth
    referral.full_clean(exclude=[f.name for f in encrypted_fields(Referral)] + ["case", "data_key"])
    referral.save()
    record_event(action=AuditAction.CREATE, obj=referral, actor=actor, fields=[f"import:{batch.pk}"])
    for key, scope in (
        ("consent_processing", ConsentScope.DATA_PROCESSING),
        ("consent_sharing", ConsentScope.SHARE_RETURN_OFFICE),
    ):
        if parsed[key]:
            Consent.objects.create(case=case, scope=scope, given_on=opened, recorded_by=actor)
    status = parsed["status"]
    if status in RETURNED_STATUSES:
        Departure.objects.create(
            case=case,
            actual_departure_on=parsed["departed_on"],
            arrival_on=parsed["returned_on"],
            updated_by=actor,
        )
        visits = []
        for day, scores in parsed["visits"]:
            visit = Visit(case=case, planned_on=day, status=VisitStatus.DONE, done_on=day)
            visit.put_scores(_visit_scores(scores))
            visits.append(visit)
        Visit.objects.bulk_create(visits)
    case.status = status
    if status == CaseStatus.CLOSED:
        case.closed_on, case.closure_reason = parsed["closed_on"], parsed["closure_reason"]
    case.save(update_fields=["status", "closed_on", "closure_reason"])
    ImportedCase.objects.create(case=case, batch=batch, row=row.number)
    case_services._event(case, actor, "imported", row=row.number)
    record_event(
        action=AuditAction.CHANGE,
        obj=case,
        actor=actor,
        fields=[f"import:{batch.pk}", f"row:{row.number}", "status", "departure", "visits", "consents", "referral"],
    )
    return case


@transaction.atomic
def commit(*, actor: User, rows: list[Row], today: datetime.date | None = None) -> CaseImport:
    """Create every row's file or none: any row in error refuses the whole import."""
    if not rows:
        raise RuleViolation(_("The sheet has no file to import: nothing was saved."))
    # One import at a time: a second one waits here, then sees the people the first brought in.
    list(Programme.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    check_rows(rows, Context.load(today=today))
    wrong = [row.number for row in rows if row.errors]
    if wrong:
        raise RuleViolation(
            _("Rows %(rows)s still have errors: nothing was saved.") % {"rows": ", ".join(map(str, wrong[:20]))}
        )
    batch = CaseImport.objects.create(imported_by=actor, rows=len(rows))
    for row in rows:
        try:
            _create_file(actor, batch, row)
        except ValidationError as problem:  # a model rule the row checks did not foresee: all or nothing still
            raise RuleViolation(
                _("Row %(row)d cannot be imported (%(problem)s): nothing was saved.")
                % {"row": row.number, "problem": "; ".join(problem.messages)}
            ) from problem
    record_event(action=AuditAction.CREATE, obj=batch, actor=actor, fields=["cases", f"rows:{len(rows)}"])
    return batch


# --- Template ------------------------------------------------------------------------------------------


def _lists() -> list[tuple[StrOrPromise, list[str]]]:
    with translation.override("fr"):
        statuses = [str(label) for code, label in CaseStatus.choices if code in IMPORTABLE_STATUSES]
        reasons = [str(label) for _code, label in ClosureReason.choices]
        forms = [str(label) for _code, label in ExploitationForm.choices]
    offices = [
        f"{office.code} — {office.name}"
        for office in Office.objects.filter(active=True, kind="return_country").order_by("code")
    ]
    return [
        (gettext_lazy("Office codes"), offices),
        (gettext_lazy("Programmes"), list(Programme.objects.order_by("-starts_on").values_list("name", flat=True))),
        (
            gettext_lazy("Partner organisations"),
            list(Organisation.objects.filter(active=True).order_by("name").values_list("name", flat=True)),
        ),
        (gettext_lazy("Statuses"), statuses),
        (gettext_lazy("Closure reasons"), reasons),
        (gettext_lazy("Forms of exploitation"), forms),
    ]


def template_workbook() -> bytes:
    """The template to download: the files sheet (the import's columns) first, then the instructions."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Dossiers"
    bold = Font(bold=True)
    required_fill = PatternFill("solid", fgColor="FCE8B2")
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if column.required:
            cell.fill = required_fill
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(14, min(32, len(column.header) + 2))
        if column.date:
            for row in range(2, MAX_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = "DD/MM/YYYY"
    sheet.freeze_panes = "C2"
    status_column = sheet.cell(row=1, column=KEYS.index("status") + 1).column_letter
    with translation.override("fr"):
        statuses = ",".join(str(label) for code, label in CaseStatus.choices if code in IMPORTABLE_STATUSES)
    validation = DataValidation(type="list", formula1=f'"{statuses}"', allow_blank=True)
    validation.add(f"{status_column}2:{status_column}{MAX_ROWS + 1}")
    sheet.add_data_validation(validation)

    guide = book.create_sheet("Instructions")
    guide.column_dimensions["A"].width = 40
    guide.column_dimensions["B"].width = 14
    guide.column_dimensions["C"].width = 80
    guide.column_dimensions["D"].width = 20
    lines: list[list[str]] = [
        [_("Import of existing files into CARE+")],
        [
            _(
                "One row per existing file, on the first sheet (“Dossiers”), from its second row. Do not rename, "
                "move or remove the column titles. At most %(rows)d files and 2 MB per sheet."
            )
            % {"rows": MAX_ROWS}
        ],
        [
            _(
                "Nothing is saved when the sheet is sent: a preview lists the errors row by row, to be corrected "
                "there; the import then creates every file, or none."
            )
        ],
        [
            _(
                "A person already in CARE+ (same name and date of birth) is refused. Visits still to come are "
                "planned afterwards, in each file."
            )
        ],
        [],
        [_("Column"), _("Required"), _("Expected content"), _("Example")],
    ]
    lines.extend(
        [column.header, _("yes") if column.required else _("no"), str(column.help), column.example]
        for column in COLUMNS
    )
    for title, values in _lists():
        lines.append([])
        lines.append([str(title)])
        lines.extend([value] for value in values)
    for line in lines:
        guide.append(line)
    for cell in guide["A"][:1]:
        cell.font = Font(bold=True, size=14)
    for cell in guide[6]:
        cell.font = bold
    for row in guide.iter_rows():
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def preview(rows: list[Row], *, today: datetime.date | None = None) -> list[Row]:
    """Check the rows against what CARE+ already holds; nothing is saved."""
    return check_rows(rows, Context.load(today=today))
