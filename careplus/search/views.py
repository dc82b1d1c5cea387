"""The search page (case numbers, references, exact names).

A query may be a person's name: it is sent by POST (CSRF-protected), never in the URL, so it
reaches no access log, browser history or `Referer`; only the fact of searching is audited.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from careplus.access.fetch import deny
from careplus.access.policy import can
from careplus.access.roles import Action
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.core.http import methods
from careplus.search.forms import SearchForm
from careplus.search.selectors import search


@methods("GET", "POST")
def search_page(request: HttpRequest) -> HttpResponse:
    """GET shows the empty form (a query in the URL is ignored); POST searches and shows the results."""
    if not (can(request.user, Action.CASES_VIEW) or can(request.user, Action.REFERRALS_VIEW)):
        raise deny(action=Action.CASES_VIEW, object_type="search")
    form = SearchForm(request.POST if request.method == "POST" else None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    results = search(actor=request.user, query=query)
    if query:
        # The query itself may be a name: only the fact of searching is recorded.
        record_event(action=AuditAction.VIEW, object_type="search", fields=["query"])
    status = 400 if request.method == "POST" and not form.is_valid() else 200
    context = {"form": form, "query": query, "results": results}
    return render(request, "search/search.html", context, status=status)
