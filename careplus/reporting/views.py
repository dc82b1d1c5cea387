"""Programme dashboard and donor reports; auditors and every export get disclosure control."""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections.abc import Iterator, Sequence
from typing import NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone

from careplus.access.fetch import require
from careplus.access.policy import can
from careplus.access.roles import Action
from careplus.access.scopes import programmes_listed_for
from careplus.audit.choices import AuditAction
from careplus.audit.services import committed_at_the_end, record_event
from careplus.core.exports import csv_rows, mark_download
from careplus.core.http import methods
from careplus.programmes.models import Programme
from careplus.reporting import anonymise, exports, figures, periods
from careplus.reporting.forms import PeriodForm


class _BadPeriod(Exception):
    """The period asked for cannot be reported on: the dashboard answers 400 with the field messages."""

    def __init__(self, programme: Programme, programmes: list[Programme], form: PeriodForm) -> None:
        super().__init__("bad period")
        self.programme = programme
        self.programmes = programmes
        self.form = form


# The only query parameters a reporting page reads: disclosure control (k, threshold, exactness)
# comes from the settings and the reader's role, never from the request.
QUERY_KEYS = ("programme", "period", "start", "end")


class _Asked(NamedTuple):
    programme: Programme
    period: periods.Period
    exact: bool
    programmes: list[Programme]  # those the reader may report on, newest first


def _context(request: HttpRequest) -> _Asked:
    require(request.user, Action.REPORTS_VIEW)
    # A handful (one per funding): read once, the one asked for found among them.
    programmes = programmes_listed_for(request.user, action=Action.REPORTS_VIEW)
    programme = _chosen(programmes, request.GET.get("programme", ""), timezone.localdate())
    if programme is None:
        raise Http404
    form = PeriodForm(request.GET)
    if not form.is_valid():
        raise _BadPeriod(programme, programmes, form)
    period = periods.resolve(
        programme, request.GET.get("period", "all"), form.cleaned_data.get("start"), form.cleaned_data.get("end")
    )
    exact = can(request.user, Action.REPORTS_EXACT)
    return _Asked(programme, period, exact, programmes)


def _chosen(programmes: list[Programme], wanted: str, today: datetime.date) -> Programme | None:
    """The programme asked for by its id; otherwise the latest started of those running today;
    otherwise the latest started. `programmes` come newest first."""
    with contextlib.suppress(ValueError):
        asked = uuid.UUID(wanted) if wanted else None
        for programme in programmes:
            if programme.pk == asked:
                return programme
    running = (programme for programme in programmes if programme.starts_on <= today <= programme.ends_on)
    return next(running, programmes[0] if programmes else None)


def _k() -> int:
    k: int = settings.CAREPLUS_SDC_K
    return k


def _page(
    request: HttpRequest,
    programme: Programme,
    period: periods.Period,
    programmes: list[Programme],
    *,
    blocks: Sequence[figures.Block],
    exact: bool,
    form: PeriodForm | None = None,
    status: int = 200,
) -> HttpResponse:
    custom = form is None and period.key == "custom"
    context = {
        "programme": programme,
        "programmes": programmes,
        "period": period,
        "periods": periods.choices(programme),
        "blocks": blocks,
        "exact": exact,
        "k": _k(),
        "query": urlencode([(key, request.GET[key]) for key in QUERY_KEYS if request.GET.get(key)]),
        "period_errors": form.errors if form is not None else {},
        "start_value": request.GET.get("start", "")
        if form is not None
        else (f"{period.start:%Y-%m-%d}" if custom else ""),
        "end_value": request.GET.get("end", "") if form is not None else (f"{period.end:%Y-%m-%d}" if custom else ""),
    }
    return render(request, "reporting/dashboard.html", context, status=status)


def _bad_period(request: HttpRequest, error: _BadPeriod) -> HttpResponse:
    """Answer 400 with the dashboard's filter and its field messages; no figure is computed."""
    period = periods.choices(error.programme)[0]
    return _page(
        request, error.programme, period, error.programmes, blocks=[], exact=False, form=error.form, status=400
    )


@methods("GET")
def dashboard(request: HttpRequest) -> HttpResponse:
    """Figures of a programme for a period, with charts; exact for coordinators only."""
    try:
        programme, period, exact, programmes = _context(request)
    except _BadPeriod as error:
        return _bad_period(request, error)

    # The figures' queries run in the database while the page's layout, menu and filters are
    # rendered; the figures are read where the page shows them, the view recorded as soon as they
    # are read (a page failing after that keeps it), and the rest of the page rendered while its
    # event commits. The page leaves once the event has been written: one that cannot be written
    # fails the request, and no figure is shown without it.
    def viewed() -> None:
        record_event(
            action=AuditAction.VIEW,
            object_type="reporting.dashboard",
            object_id=programme.pk,
            fields=["exact"] if exact else [f"k={_k()}"],
        )

    with figures.computing(programme, period, exact=exact, k=_k(), then=viewed) as blocks, committed_at_the_end():
        return _page(request, programme, period, programmes, blocks=blocks, exact=exact)


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@methods("GET")
def donor_xlsx(request: HttpRequest) -> HttpResponseBase:
    try:
        programme, period, _exact, _programmes = _context(request)
    except _BadPeriod as error:
        return _bad_period(request, error)
    blocks = figures.disclose(figures.compute(programme, period), k=_k())
    record_event(
        action=AuditAction.EXPORT, object_type="reporting.donor_xlsx", object_id=programme.pk, fields=[f"k={_k()}"]
    )
    content = exports.donor_xlsx(programme, period, blocks, k=_k())
    response = _download(
        content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"rapport-{period.key}.xlsx"
    )
    return mark_download(request, response)


@methods("GET")
def donor_pdf(request: HttpRequest) -> HttpResponseBase:
    try:
        programme, period, _exact, _programmes = _context(request)
    except _BadPeriod as error:
        return _bad_period(request, error)
    blocks = figures.disclose(figures.compute(programme, period), k=_k())
    record_event(
        action=AuditAction.EXPORT, object_type="reporting.donor_pdf", object_id=programme.pk, fields=[f"k={_k()}"]
    )
    response = _download(
        exports.donor_pdf(programme, period, blocks, k=_k()), "application/pdf", f"rapport-{period.key}.pdf"
    )
    return mark_download(request, response)


@methods("GET")
def dataset_csv(request: HttpRequest) -> HttpResponseBase:
    """Anonymised case-level dataset, k-anonymous on its quasi-identifiers (streamed).

    k is the programme's setting (CAREPLUS_DATASET_K): no request parameter lowers it.
    """
    try:
        programme, _period, _exact, _programmes = _context(request)
    except _BadPeriod as error:
        return _bad_period(request, error)
    k: int = settings.CAREPLUS_DATASET_K
    summary, rows = anonymise.export_rows(programme, k)
    record_event(
        action=AuditAction.EXPORT,
        object_type="reporting.dataset",
        object_id=programme.pk,
        fields=[f"k={summary.k}", f"level={summary.level}", f"suppressed={summary.suppressed}"],
    )

    def lines() -> Iterator[str]:
        yield (
            f"# k={summary.k}; generalisation level {summary.level}; rows {summary.rows}; "
            f"suppressed rows {summary.suppressed}\n"
        )
        yield from csv_rows(anonymise.COLUMNS, rows)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="careplus-dataset-anonymise.csv"'
    response["X-CAREPLUS-Suppressed-Rows"] = str(summary.suppressed)
    return mark_download(request, response)
