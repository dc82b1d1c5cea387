"""Programme dashboard and donor reports; auditors and every export get disclosure control."""

from __future__ import annotations

import contextlib
import datetime
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from careplus.access.fetch import require
from careplus.access.policy import can
from careplus.access.roles import Action
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.core.exports import csv_rows, mark_download
from careplus.programmes.models import Programme
from careplus.reporting import anonymise, exports, figures, periods
from careplus.reporting.selectors import programmes_visible_to


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _context(request: HttpRequest) -> tuple[Programme, periods.Period, bool]:
    require(request.user, Action.REPORTS_VIEW)
    programmes = programmes_visible_to(request.user)
    wanted = request.GET.get("programme", "")
    programme = None
    with contextlib.suppress(ValueError, ValidationError):
        programme = programmes.filter(pk=uuid.UUID(wanted)).first() if wanted else None
    programme = programme or programmes.order_by("-starts_on").first()
    if programme is None:
        raise Http404
    period = periods.resolve(
        programme,
        request.GET.get("period", "all"),
        _date(request.GET.get("start", "")),
        _date(request.GET.get("end", "")),
    )
    exact = can(request.user, Action.REPORTS_EXACT)
    return programme, period, exact


def _k() -> int:
    k: int = settings.CAREPLUS_SDC_K
    return k


@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Figures of a programme for a period, with charts; exact for coordinators only."""
    programme, period, exact = _context(request)
    blocks = figures.compute(programme, period)
    shown = blocks if exact else figures.disclose(blocks, k=_k())
    record_event(action=AuditAction.VIEW, object_type="reporting.dashboard", object_id=programme.pk)
    context = {
        "programme": programme,
        "programmes": programmes_visible_to(request.user),
        "period": period,
        "periods": periods.choices(programme),
        "blocks": shown,
        "exact": exact,
        "k": _k(),
        "query": request.GET.urlencode(),
    }
    return render(request, "reporting/dashboard.html", context)


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def donor_xlsx(request: HttpRequest) -> HttpResponseBase:
    programme, period, _exact = _context(request)
    blocks = figures.disclose(figures.compute(programme, period), k=_k())
    record_event(action=AuditAction.EXPORT, object_type="reporting.donor_xlsx", object_id=programme.pk)
    content = exports.donor_xlsx(programme, period, blocks, k=_k())
    response = _download(
        content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"rapport-{period.key}.xlsx"
    )
    return mark_download(request, response)


@require_GET
def donor_pdf(request: HttpRequest) -> HttpResponseBase:
    programme, period, _exact = _context(request)
    blocks = figures.disclose(figures.compute(programme, period), k=_k())
    record_event(action=AuditAction.EXPORT, object_type="reporting.donor_pdf", object_id=programme.pk)
    response = _download(
        exports.donor_pdf(programme, period, blocks, k=_k()), "application/pdf", f"rapport-{period.key}.pdf"
    )
    return mark_download(request, response)


@require_GET
def dataset_csv(request: HttpRequest) -> HttpResponseBase:
    """Anonymised case-level dataset, k-anonymous on its quasi-identifiers (streamed)."""
    programme, _period, _exact = _context(request)
    k: int = settings.CAREPLUS_DATASET_K
    with contextlib.suppress(ValueError):
        k = max(2, min(int(request.GET.get("k", k)), 100))
    summary, rows = anonymise.export_rows(programme, k)
    record_event(action=AuditAction.EXPORT, object_type="reporting.dataset", object_id=programme.pk)

    def lines() -> Any:
        yield (
            f"# k={summary.k}; generalisation level {summary.level}; rows {summary.rows}; "
            f"suppressed rows {summary.suppressed}\n"
        )
        yield from csv_rows(anonymise.COLUMNS, rows)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="careplus-dataset-anonymise.csv"'
    response["X-CAREPLUS-Suppressed-Rows"] = str(summary.suppressed)
    return mark_download(request, response)
