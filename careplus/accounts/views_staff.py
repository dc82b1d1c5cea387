"""Staff leaving: a coordinator hands a leaver's work (files, drafts, erasure requests) to a colleague, then
deactivates the account."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import ngettext

from careplus.access.fetch import acting_user, deny, require
from careplus.access.roles import Action
from careplus.accounts.models import User
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.cases import staff
from careplus.cases.forms import StaffLeavingForm
from careplus.core.errors import DomainError
from careplus.core.http import methods


@methods("GET")
def staff_leaving_list(request: HttpRequest) -> HttpResponse:
    """List the active staff a coordinator may hand over (caseworkers, coordinators, DPOs), with their open files."""
    require(request.user, Action.STAFF_HANDOVER)
    return render(request, "accounts/staff_leaving_list.html", {"rows": staff.leaver_rows()})


def _leaver(request: HttpRequest, user_id: str) -> User:
    require(request.user, Action.STAFF_HANDOVER)
    leaver = staff.leavers().filter(pk=user_id).first()
    if leaver is None:
        raise deny(action=Action.STAFF_HANDOVER, object_type=User._meta.label_lower, object_id=user_id)
    return leaver


def _render(request: HttpRequest, leaver: User, form: StaffLeavingForm, status: int = 200) -> HttpResponse:
    context = {"leaver": leaver, "plan": staff.handover_plan(leaver), "form": form}
    return render(request, "accounts/staff_leaving.html", context, status=status)


@methods("GET", "POST")
def staff_leaving(request: HttpRequest, user_id: str) -> HttpResponse:
    """Show what a leaver's handover moves (counted by kind); on confirmation, move it and deactivate."""
    leaver = _leaver(request, user_id)
    choices = staff.successor_choices(leaver)
    if request.method == "GET":
        record_event(action=AuditAction.VIEW, obj=leaver)
        return _render(request, leaver, StaffLeavingForm(initial={"version": leaver.version}, choices=choices))
    form = StaffLeavingForm(request.POST, choices=choices)
    if not form.is_valid():
        return _render(request, leaver, form, status=400)
    try:
        plan = staff.staff_leave(
            actor=acting_user(request),
            leaver=leaver,
            successor=form.cleaned_data["successor"],
            expected_version=form.cleaned_data["version"],
        )
    except staff.SuccessorRefused as error:
        form.add_error("successor", str(error.message))
        return _render(request, leaver, form, status=400)
    except DomainError as error:
        form.add_error(None, str(error.message))
        return _render(request, leaver, form, status=400)
    messages.success(
        request,
        ngettext(
            "%(count)d item handed over; the account is deactivated and its sessions ended.",
            "%(count)d items handed over; the account is deactivated and its sessions ended.",
            plan.count,
        )
        % {"count": plan.count},
    )
    return redirect("accounts:staff_leaving_list")
