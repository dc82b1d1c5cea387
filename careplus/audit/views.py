"""The DPO's audit log screen and its CSV export (with a second-factor step-up)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from careplus.access.fetch import acting_user, require
from careplus.access.roles import Action
from careplus.accounts import services as account_services
from careplus.audit import selectors
from careplus.audit.choices import AuditAction
from careplus.audit.forms import AuditSearchForm, StepUpForm
from careplus.audit.services import record_event
from careplus.core.exports import csv_response
from careplus.core.http import methods
from careplus.core.pagination import bounded_page


def _filters(form: AuditSearchForm) -> dict[str, Any]:  # cleaned values, passed as audit_search's keywords
    if not form.is_valid():
        return {}
    data = dict(form.cleaned_data)
    data["actor_q"] = data.pop("actor")
    return data


@methods("GET")
def event_list(request: HttpRequest) -> HttpResponse:
    """Search the audit log by actor, object, action and period."""
    require(request.user, Action.AUDIT_READ)
    form = AuditSearchForm(request.GET or None)
    events = selectors.audit_search(actor=request.user, **_filters(form))
    page = bounded_page(events, 50, request.GET.get("page"))
    record_event(action=AuditAction.VIEW, object_type="audit.auditevent")
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/event_list.html",
        {
            "form": form,
            "page": page,
            "roles": {event.pk: selectors.role_labels(event.roles) for event in page},
            "query": query.urlencode(),
            "step_up": StepUpForm(),
        },
    )


@methods("POST")
def event_export(request: HttpRequest) -> HttpResponseBase:
    """Export the filtered events as CSV once the second factor is given again."""
    require(request.user, Action.AUDIT_EXPORT)
    form = AuditSearchForm(request.GET or None)
    step_up = StepUpForm(request.POST)
    user = acting_user(request)
    if (
        not step_up.is_valid()
        or account_services.second_factor_verify(user=user, token=step_up.cleaned_data["token"]) is None
    ):
        if step_up.is_valid():
            step_up.add_error("token", _("This code is not valid. Check the time on your phone and try again."))
        events = selectors.audit_search(actor=user, **_filters(form))
        page = bounded_page(events, 50, 1)
        return render(
            request,
            "audit/event_list.html",
            {"form": form, "page": page, "query": request.GET.urlencode(), "step_up": step_up},
            status=400,
        )
    events = selectors.audit_search(actor=user, **_filters(form))
    record_event(action=AuditAction.EXPORT, object_type="audit.auditevent")
    rows = (
        (
            e.seq,
            timezone.localtime(e.at).isoformat(),
            e.actor_label,
            e.roles,
            e.action,
            e.object_type,
            e.object_id,
            e.fields,
            e.ip,
            e.request_id,
            e.outcome,
        )
        for e in events.iterator(chunk_size=2000)
    )
    header = [
        "seq",
        "time",
        "actor",
        "roles",
        "action",
        "object_type",
        "object_id",
        "fields",
        "ip",
        "request_id",
        "outcome",
    ]
    return csv_response("audit.csv", header, rows)
