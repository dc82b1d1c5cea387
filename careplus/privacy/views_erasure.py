"""Erasure requests on screens: the DPO asks, a second person approves (with a fresh code) or refuses."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from careplus.access.fetch import acting_user, require
from careplus.access.policy import can
from careplus.access.roles import Action
from careplus.accounts import services as account_services
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.core.errors import DomainError
from careplus.core.http import methods
from careplus.privacy import erasure
from careplus.privacy.forms import ErasureApproveForm, ErasureRefuseForm, ErasureRequestForm
from careplus.privacy.models import ErasureRequest, ErasureStatus

REFUSE_PREFIX = "refus"


def _render_list(request: HttpRequest, form: ErasureRequestForm | None = None, *, status: int = 200) -> HttpResponse:
    user = acting_user(request)
    can_request = can(user, Action.PRIVACY_REQUESTS)
    items = list(erasure.erasure_requests()[:200])
    record_event(action=AuditAction.VIEW, object_type=ErasureRequest._meta.label_lower)
    return render(
        request,
        "privacy/erasure_list.html",
        {
            "form": (form or ErasureRequestForm()) if can_request else None,
            "pending": [
                (item, erasure.may_decide(user, item)) for item in items if item.status == ErasureStatus.REQUESTED
            ],
            "decided": [item for item in items if item.status != ErasureStatus.REQUESTED],
        },
        status=status,
    )


@methods("GET")
def erasure_list(request: HttpRequest) -> HttpResponse:
    """The erasure requests: awaiting approval, then approved and refused."""
    require(request.user, Action.ERASURE_APPROVE)
    return _render_list(request)


@methods("POST")
def erasure_request(request: HttpRequest) -> HttpResponse:
    """The DPO asks for the erasure of a case file or of a referral by its number."""
    require(request.user, Action.PRIVACY_REQUESTS)
    form = ErasureRequestForm(request.POST)
    if form.is_valid():
        try:
            item = erasure.erasure_request(
                actor=acting_user(request),
                reference=form.cleaned_data["reference"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form.add_error(error.extra.get("field"), str(error.message))
        else:
            messages.success(request, _("Erasure requested. A second person must now approve it."))
            return redirect("privacy:erasure_detail", request_id=item.pk)
    return _render_list(request, form, status=400)


def _render_detail(
    request: HttpRequest,
    item: ErasureRequest,
    *,
    approve_form: ErasureApproveForm | None = None,
    refuse_form: ErasureRefuseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = acting_user(request)
    decide = erasure.may_decide(user, item)
    record_event(action=AuditAction.VIEW, obj=item)
    context: dict[str, Any] = {
        "item": item,
        "may_decide": decide,
        "own_request": item.requested_by_id == user.pk and item.status == ErasureStatus.REQUESTED,
        "is_erased": item.status == ErasureStatus.ERASED,
        "is_refused": item.status == ErasureStatus.REFUSED,
        "hearing_ahead": decide and erasure.hearing_ahead(item.case),
        "approve_form": approve_form or ErasureApproveForm(initial={"version": item.version}),
        "refuse_form": refuse_form or ErasureRefuseForm(initial={"version": item.version}, prefix=REFUSE_PREFIX),
    }
    if item.status == ErasureStatus.ERASED:
        context.update(erasure.certificate_context(item))
    return render(request, "privacy/erasure_detail.html", context, status=status)


@methods("GET")
def erasure_detail(request: HttpRequest, request_id: str) -> HttpResponse:
    item = erasure.get_request_for(request.user, request_id, action=Action.ERASURE_APPROVE)
    return _render_detail(request, item)


@methods("POST")
def erasure_approve(request: HttpRequest, request_id: str) -> HttpResponse:
    """Approve with a fresh second-factor code: the file is erased at once."""
    item = erasure.get_request_for(request.user, request_id, action=Action.ERASURE_APPROVE)
    form = ErasureApproveForm(request.POST)
    if form.is_valid():
        try:
            erasure.erasure_approve(
                actor=acting_user(request),
                request=item,
                expected_version=form.cleaned_data["version"],
                code=form.cleaned_data["code"],
            )
        except account_services.StepUpFailed as error:
            form.add_error("code", str(error.message))
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Erasure approved: the file's personal data was destroyed."))
            return redirect("privacy:erasure_detail", request_id=item.pk)
    item.refresh_from_db()
    return _render_detail(request, item, approve_form=form, status=400)


@methods("POST")
def erasure_refuse(request: HttpRequest, request_id: str) -> HttpResponse:
    """Refuse the request with a reason; the file is left as it is."""
    item = erasure.get_request_for(request.user, request_id, action=Action.ERASURE_APPROVE)
    form = ErasureRefuseForm(request.POST, prefix=REFUSE_PREFIX)
    if form.is_valid():
        try:
            erasure.erasure_refuse(
                actor=acting_user(request),
                request=item,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Erasure refused. The file was left as it is."))
            return redirect("privacy:erasure_detail", request_id=item.pk)
    item.refresh_from_db()
    return _render_detail(request, item, refuse_form=form, status=400)


@methods("GET")
def erasure_certificate(request: HttpRequest, request_id: str) -> HttpResponse:
    """Download the erasure certificate (PDF, French) of an approved request."""
    item = erasure.get_request_for(request.user, request_id, action=Action.ERASURE_APPROVE)
    try:
        pdf = erasure.certificate_pdf(actor=acting_user(request), request=item)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("privacy:erasure_detail", request_id=item.pk)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificat-effacement-{item.reference}.pdf"'
    return response
