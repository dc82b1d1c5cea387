"""The home page (the signed-in user's roles, task inbox and undelivered e-mails) and the liveness probe."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from careplus.access.decorators import public
from careplus.access.fetch import require
from careplus.access.policy import can
from careplus.access.roles import Action
from careplus.accounts import selectors
from careplus.core.http import methods
from careplus.core.mail import failed_mails
from careplus.returns.selectors import TASKS_PER_KIND, capped, inbox, tasks_for


@methods("GET")
def home(request: HttpRequest) -> HttpResponse:
    """Show the signed-in user's roles and the parts of CARE+ open to them."""
    require(request.user, Action.HOME_VIEW)
    # Today is the user's local date: the office's time zone is active (careplus.accounts.middleware).
    tasks = tasks_for(actor=request.user, today=timezone.localdate())
    context = {
        "roles": selectors.roles_held(user=request.user),
        "tasks": tasks,
        "sections": inbox(tasks),
        "capped": capped(tasks),
        "tasks_per_kind": TASKS_PER_KIND,
        # E-mails given up on after every retry: shown to whoever manages the accounts (the DPO).
        "mail_failures": failed_mails() if can(request.user, Action.USERS_MANAGE) else [],
    }
    return render(request, "home/home.html", context)


@public
@methods("GET")
def health(request: HttpRequest) -> HttpResponse:
    """Answer a load balancer's liveness probe without touching personal data."""
    return HttpResponse("ok", content_type="text/plain")
