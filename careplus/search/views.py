"""The search page (case numbers, references, exact names)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from careplus.access.fetch import deny
from careplus.access.policy import can
from careplus.access.roles import Action
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.search.selectors import search


@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    if not (can(request.user, Action.CASES_VIEW) or can(request.user, Action.REFERRALS_VIEW)):
        raise deny(action=Action.CASES_VIEW, object_type="search")
    query = request.GET.get("q", "")
    results = search(actor=request.user, query=query)
    if query.strip():
        # The query itself may be a name: only the fact of searching is recorded.
        record_event(action=AuditAction.VIEW, object_type="search", fields=["query"])
    return render(request, "search/search.html", {"query": query[:100], "results": results})
