"""Streaming reader of an XLSX workbook's first sheet, bounded whatever the file declares.

The sheet's declared size (`<dimension ref="A1:XFD1048576">`) is never read: cells are taken one
by one from the XML as it is decompressed, empty rows and cells are skipped, and reading stops
at the row and column limits. Memory depends on the limits, not on the file: each part read is
refused above MAX_PART_BYTES once unpacked, only deflated or stored parts are read, and a DTD or
entity declaration is refused.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Callable
from xml.parsers import expat

from django.utils.translation import gettext as _

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 500  # participants, besides the header row
MAX_COLUMNS = 50
MAX_PART_BYTES = 10 * 1024 * 1024  # one unpacked part (sheet, shared strings)
MAX_CELL_CHARS = 1000  # longer than any column allows: a value cut here is still refused (check_rows)
FORMULA_MARK = "\x00"  # marks a cell computed by a formula (refused); typed text is never marked
CHUNK = 64 * 1024

MAIN_RELS = "_rels/.rels"
OFFICE_DOCUMENT = "/officeDocument"
WORKSHEET = "/worksheet"
SHARED_STRINGS = "/sharedStrings"


class SheetError(Exception):
    """The file as a whole cannot be read (size, format, encoding, limits)."""


def _unreadable() -> SheetError:
    return SheetError(_("This file is not a readable XLSX workbook."))


class TableBuilder:
    """Collect the non-empty rows of a sheet (cells by 1-based column), refusing beyond the limits."""

    def __init__(self) -> None:
        self.rows: list[list[str]] = []

    def add(self, cells: dict[int, str]) -> None:
        kept: dict[int, str] = {}
        for column, raw in cells.items():
            value = raw.strip()
            if not value:
                continue
            if column > MAX_COLUMNS:
                raise too_wide()
            kept[column] = value[:MAX_CELL_CHARS]
        if not kept:
            return
        if len(self.rows) > MAX_ROWS:  # the header and MAX_ROWS participants are already there
            raise SheetError(_("The sheet has more than 500 rows."))
        self.rows.append([kept.get(column, "") for column in range(1, max(kept) + 1)])


def too_wide() -> SheetError:
    return SheetError(
        _("The sheet has values beyond its first %(count)d columns: keep only the participants' columns.")
        % {"count": MAX_COLUMNS}
    )


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _column(reference: str) -> int | None:
    """Return the 1-based column of a cell reference such as "XFD7" (None when malformed)."""
    letters = ""
    for char in reference:
        if "A" <= char <= "Z":
            letters += char
        else:
            break
    if not letters or len(letters) > 3:
        return None
    index = 0
    for char in letters:
        index = index * 26 + ord(char) - 64
    return index


def _number(text: str) -> str:
    """Render a numeric cell as openpyxl does (12 → "12", 1.5 → "1.5")."""
    try:
        if any(mark in text for mark in ".eE"):
            return str(float(text))
        return str(int(text))
    except ValueError:
        return text


class _Text:
    """Bounded text accumulator (long values are cut, never grown without limit)."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def add(self, text: str) -> None:
        if self.size < MAX_CELL_CHARS + 1:
            piece = text[: MAX_CELL_CHARS + 1 - self.size]
            self.parts.append(piece)
            self.size += len(piece)

    def take(self) -> str:
        value = "".join(self.parts)
        self.parts, self.size = [], 0
        return value


Handler = Callable[..., None]


def _parse(archive: zipfile.ZipFile, path: str, start: Handler, end: Handler, text: Handler) -> None:
    """Stream one part of the archive through expat, refusing DTDs and parts too large or oddly packed."""
    try:
        info = archive.getinfo(path)
    except KeyError as missing:
        raise _unreadable() from missing
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.flag_bits & 0x1:
        raise _unreadable()
    if info.file_size > MAX_PART_BYTES:
        raise SheetError(_("The workbook is too large once unpacked: keep only the attendance sheet."))

    def refuse(*_args: object) -> None:
        raise _unreadable()

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.buffer_text = True
    read = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(CHUNK):
                read += len(chunk)
                if read > MAX_PART_BYTES:
                    raise SheetError(_("The workbook is too large once unpacked: keep only the attendance sheet."))
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except (expat.ExpatError, zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise _unreadable() from error


def _relationships(archive: zipfile.ZipFile, path: str) -> list[tuple[str, str, str]]:
    """Return (id, type, target) of a relationships part; targets resolved to archive paths."""
    found: list[tuple[str, str, str]] = []
    base = posixpath.dirname(posixpath.dirname(path))  # "xl/_rels/workbook.xml.rels" → "xl"

    def start(name: str, attributes: dict[str, str]) -> None:
        if _local(name) == "Relationship" and len(found) < 1000:
            target = attributes.get("Target", "")
            resolved = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
            found.append((attributes.get("Id", ""), attributes.get("Type", ""), posixpath.normpath(resolved)))

    _parse(archive, path, start, lambda _name: None, lambda _text: None)
    return found


def _first_sheet(archive: zipfile.ZipFile) -> tuple[str, str | None]:
    """Return the paths of the workbook's first sheet and of its shared strings (if any)."""
    workbook = next(
        (target for _id, kind, target in _relationships(archive, MAIN_RELS) if kind.endswith(OFFICE_DOCUMENT)),
        "xl/workbook.xml",
    )
    sheet_ids: list[str] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        if _local(name) == "sheet" and not sheet_ids:
            sheet_ids.extend(value for key, value in attributes.items() if _local(key) == "id")

    _parse(archive, workbook, start, lambda _name: None, lambda _text: None)
    rels_path = posixpath.join(posixpath.dirname(workbook), "_rels", posixpath.basename(workbook) + ".rels")
    relations = _relationships(archive, rels_path)
    sheet = next((target for rid, _kind, target in relations if sheet_ids and rid == sheet_ids[0]), None)
    sheet = sheet or next((target for _rid, kind, target in relations if kind.endswith(WORKSHEET)), None)
    if sheet is None:
        raise _unreadable()
    strings = next((target for _rid, kind, target in relations if kind.endswith(SHARED_STRINGS)), None)
    return sheet, strings


def _shared_strings(archive: zipfile.ZipFile, path: str | None) -> list[str]:
    strings: list[str] = []
    if path is None or path not in archive.NameToInfo:
        return strings
    text = _Text()
    state = {"t": 0, "phonetic": 0}

    def start(name: str, _attributes: dict[str, str]) -> None:
        tag = _local(name)
        if tag in ("rPh", "phoneticPr"):
            state["phonetic"] += 1
        elif tag == "t":
            state["t"] += 1

    def end(name: str) -> None:
        tag = _local(name)
        if tag in ("rPh", "phoneticPr"):
            state["phonetic"] -= 1
        elif tag == "t":
            state["t"] -= 1
        elif tag == "si":
            strings.append(text.take())

    def characters(data: str) -> None:
        if state["t"] and not state["phonetic"]:
            text.add(data)

    _parse(archive, path, start, end, characters)
    return strings


class _SheetReader:
    """Expat handlers turning a worksheet's XML into the table's rows, cell by cell."""

    def __init__(self, strings: list[str], table: TableBuilder) -> None:
        self.strings = strings
        self.table = table
        self.cells: dict[int, str] = {}
        self.next_column = 1
        self.column = 1
        self.kind = ""
        self.value = _Text()
        self.formula = _Text()
        self.has_formula = False
        self.capture = ""  # "v", "f" or "t" while inside one of them
        self.phonetic = 0

    def start(self, name: str, attributes: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "row":
            self.cells, self.next_column = {}, 1
        elif tag == "c":
            reference = attributes.get("r", "")
            self.column = (_column(reference) if reference else None) or self.next_column
            self.kind = attributes.get("t", "n")
            self.value.take()
            self.formula.take()
            self.has_formula = False
        elif tag == "f":
            self.has_formula = True
            self.capture = "f"
        elif tag == "rPh":
            self.phonetic += 1
        elif tag in ("v", "t") and not self.phonetic:
            self.capture = tag

    def end(self, name: str) -> None:
        tag = _local(name)
        if tag in ("v", "t", "f"):
            self.capture = ""
        elif tag == "rPh":
            self.phonetic -= 1
        elif tag == "c":
            value = self._cell()
            self.next_column = self.column + 1
            if self.column <= MAX_COLUMNS:
                self.cells[self.column] = value
            elif value.strip():
                raise too_wide()
        elif tag == "row":
            self.table.add(self.cells)
            self.cells = {}

    def characters(self, data: str) -> None:
        if self.capture == "f":
            self.formula.add(data)
        elif self.capture:
            self.value.add(data)

    def _cell(self) -> str:
        raw = self.value.take()
        if self.has_formula:
            return FORMULA_MARK + "=" + self.formula.take()
        if self.kind == "s":
            try:
                return self.strings[int(raw)]
            except (ValueError, IndexError):
                return ""
        if self.kind == "b":
            return str(raw.strip() == "1")
        if self.kind in ("inlineStr", "str", "e", "d"):
            return raw
        return _number(raw.strip()) if raw.strip() else ""


def read_first_sheet(data: bytes) -> list[list[str]]:
    """Return the first sheet's non-empty rows (header first), within MAX_ROWS and MAX_COLUMNS."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise _unreadable() from error
    with archive:
        sheet, strings_path = _first_sheet(archive)
        strings = _shared_strings(archive, strings_path)
        table = TableBuilder()
        reader = _SheetReader(strings, table)
        _parse(archive, sheet, reader.start, reader.end, reader.characters)
    return table.rows
