"""Home page and service endpoints."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from careplus.access.decorators import public
from careplus.access.fetch import require
from careplus.access.policy import can
from careplus.access.roles import Action
from careplus.accounts import selectors
from careplus.cases import selectors as case_selectors


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Show the signed-in user's roles and the parts of CARE+ open to them."""
    require(request.user, Action.HOME_VIEW)
    grants = selectors.active_grants_of(user=request.user)
    handovers = []
    if can(request.user, Action.HANDOVER_ACKNOWLEDGE) or can(request.user, Action.CASES_MANAGE):
        handovers = list(case_selectors.pending_handovers(actor=request.user))
    return render(request, "core/home.html", {"grants": grants, "handovers": handovers, "today": timezone.localdate()})


@public
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """Answer a load balancer's liveness probe without touching personal data."""
    return HttpResponse("ok", content_type="text/plain")
