"""Spreadsheet-safe CSV streaming."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator

from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """Return a cell a spreadsheet cannot read as a formula (prefixed with ').

    Person and organisation text is stored as typed (`careplus.core.text`); this is where a value
    such as `=HYPERLINK(…)` or `+1` is made harmless. A lone `-` (the usual "none") is not a formula.
    """
    text = "" if value is None else str(value)
    if text == "-":
        return text
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(header: Iterable[str], rows: Iterable[Iterable[object]], *, batch: int = 500) -> Iterator[str]:
    """Yield CSV text with every cell made safe, `batch` lines at a time (few, bounded chunks).

    A row given again as the same object (an anonymised dataset repeats each group's row) is
    written once: its line is repeated.
    """
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([safe_cell(h) for h in header])
    lines: list[str] = []
    last: object = None
    line = ""
    for row in rows:
        if row is not last:
            line, last = writer.writerow([safe_cell(cell) for cell in row]), row
        lines.append(line)
        if len(lines) >= batch:
            yield "".join(lines)
            lines.clear()
    if lines:
        yield "".join(lines)


def csv_response(filename: str, header: Iterable[str], rows: Iterable[Iterable[object]]) -> StreamingHttpResponse:
    """Stream a CSV download in constant memory."""
    response = StreamingHttpResponse(csv_rows(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


DOWNLOAD_COOKIE = "careplus_download"
_TOKEN = re.compile(r"^[A-Za-z0-9]{8,32}$")


def mark_download(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """Tell the page that asked for a file that it has started (the page then stops its progress message).

    The page sends a random `download_token`; the response sets it in a short-lived cookie the
    page watches for. Anything but a plain token is ignored.
    """
    token = request.GET.get("download_token", "")
    if _TOKEN.match(token):
        response.set_cookie(DOWNLOAD_COOKIE, token, max_age=120, samesite="Strict", secure=request.is_secure())
    return response
