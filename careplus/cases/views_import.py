"""Import of existing files at go-live (coordinator): template, upload and preview, all-or-nothing confirmation."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from careplus.access.fetch import acting_user, require
from careplus.access.roles import Action
from careplus.cases import imports
from careplus.cases.forms_import import CaseImportForm
from careplus.core.errors import DomainError
from careplus.core.http import methods

TEMPLATE_NAME = "modele-import-dossiers.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _start(request: HttpRequest, form: CaseImportForm, *, status: int = 200) -> HttpResponse:
    context = {"form": form, "columns": imports.COLUMNS, "max_rows": imports.MAX_ROWS, "visits": imports.VISITS}
    return render(request, "cases/import_start.html", context, status=status)


def _preview(request: HttpRequest, rows: list[imports.Row], *, status: int = 200) -> HttpResponse:
    wrong = [row for row in rows if row.errors]
    editable = {row.number for row in wrong[: imports.MAX_EDITABLE_ROWS]}
    context: dict[str, Any] = {
        "rows": rows,
        "columns": imports.COLUMNS,
        "wrong": len(wrong),
        "editable": editable,
        "too_many": len(wrong) > imports.MAX_EDITABLE_ROWS,
        "max_editable": imports.MAX_EDITABLE_ROWS,
        "can_confirm": not wrong,
    }
    return render(request, "cases/import_preview.html", context, status=status)


@methods("GET", "POST")
def import_start(request: HttpRequest) -> HttpResponse:
    """The page to download the template and send it back; a sheet sent is checked and shown, nothing saved."""
    require(request.user, Action.CASES_IMPORT)
    if request.method != "POST":
        return _start(request, CaseImportForm())
    form = CaseImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _start(request, form, status=400)
    upload = form.cleaned_data["sheet"]
    try:
        if upload.size and upload.size > imports.MAX_BYTES:
            raise imports.SheetError(_("The file is larger than 2 MB."))
        rows = imports.read_sheet(upload.name or "", upload.read())
    except imports.SheetError as error:
        form.add_error("sheet", str(error))
        return _start(request, form, status=400)
    return _preview(request, imports.preview(rows))


@methods("GET")
def import_template(request: HttpRequest) -> HttpResponse:
    """The XLSX template: one row per existing file, the import's own columns, and the instructions."""
    require(request.user, Action.CASES_IMPORT)
    response = HttpResponse(imports.template_workbook(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_NAME}"'
    return response


@methods("POST")
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Create every file of the (corrected) preview, or none."""
    require(request.user, Action.CASES_IMPORT)
    rows = imports.rows_from_post(request.POST)
    try:
        batch = imports.commit(actor=acting_user(request), rows=rows)
    except DomainError as error:
        messages.error(request, str(error.message))
        return _preview(request, imports.preview(rows), status=400)
    messages.success(request, _("%(count)d existing files imported.") % {"count": batch.rows})
    return redirect("cases:case_list")
