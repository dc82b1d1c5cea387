"""Case file pages (list with masked names; detail audited on every view)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from careplus.access.fetch import acting_user, get_case_for, require
from careplus.access.policy import can
from careplus.access.roles import Action
from careplus.cases import selectors, services
from careplus.cases.choices import CaseStatus


@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """List the cases in the user's scope; names are masked."""
    require(request.user, Action.CASES_VIEW)
    status = request.GET.get("status", "")
    if status not in CaseStatus.values:
        status = ""
    cases = selectors.case_list(actor=request.user, status=status)
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/case_list.html",
        {"page": page, "statuses": CaseStatus.choices, "status": status},
    )


@require_GET
def case_detail(request: HttpRequest, case_id: str) -> HttpResponse:
    """Show a case file; the view is recorded in the audit log."""
    case = get_case_for(request.user, case_id, action=Action.CASES_VIEW)
    services.case_view_record(actor=acting_user(request), case=case)
    viewers = selectors.case_viewers(case=case) if can(request.user, Action.CASE_VIEWERS) else None
    return render(request, "cases/case_detail.html", {"case": case, "viewers": viewers})
