"""The DPO's access requests (GDPR art. 15) and the register of processing (art. 30)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from careplus.access.fetch import acting_user, deny, require
from careplus.access.roles import Action
from careplus.accounts.models import User
from careplus.accounts.services import StepUpFailed
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.core.errors import RuleViolation
from careplus.core.http import methods
from careplus.privacy import access_export as service
from careplus.privacy import register as register_service
from careplus.privacy.forms import AccessOpenForm, AccessReviewForm

KINDS = {"case", "referral"}


@methods("GET", "POST")
def access_request(request: HttpRequest) -> HttpResponse:
    """Open a person's file for an access request: its number, the reason, a fresh second factor."""
    require(request.user, Action.PRIVACY_REQUESTS)
    actor = acting_user(request)
    form = AccessOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            kind, subject_id = service.access_open(
                actor=actor,
                session=request.session,
                reference=data["reference"],
                reason=data["reason"],
                code=data["code"],
            )
        except StepUpFailed as failure:
            form.add_error("code", str(failure))
        except RuleViolation as refusal:
            form.add_error("reference", str(refusal))
        else:
            return redirect("privacy:access_review", subject_kind=kind, subject_id=subject_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "privacy/access_request.html", {"form": form}, status=status)


def _opened(request: HttpRequest, kind: str, subject_id: UUID) -> tuple[User, service.Grant | None]:
    require(request.user, Action.PRIVACY_REQUESTS)
    if kind not in KINDS:
        raise deny(action=Action.PRIVACY_REQUESTS, object_type=kind, object_id=subject_id)
    actor = acting_user(request)
    return actor, service.granted(request.session, actor, kind, subject_id)


def _review_items(subject: service.SubjectFile) -> list[tuple[str, str, str]]:
    """Each reviewed value: its form name, its key in the file and the label its decision shows."""
    titles = {f"{record.model}:{record.pk}": record.title for record in subject.records}
    items = [
        (service.field_key(item.key), item.key, f"{titles[item.key.rsplit(':', 1)[0]].capitalize()} — {item.label}")
        for item in subject.flagged
    ]
    items += [
        (service.field_key(doc.key), doc.key, _("Document %(name)s") % {"name": doc.filename})
        for doc in subject.documents
    ]
    return items


def _review_page(
    request: HttpRequest,
    subject: service.SubjectFile,
    grant: service.Grant,
    form: AccessReviewForm,
    *,
    status: int = 200,
) -> HttpResponse:
    flagged = [(item, form[service.field_key(item.key)]) for item in subject.flagged]
    documents = [(doc, form[service.field_key(doc.key)]) for doc in subject.documents]
    context = {
        "subject": subject,
        "flagged": flagged,
        "documents": documents,
        "records": subject.records,
        "form": form,
        "needs_code": "code" in form.fields,
        "reason": grant.reason,
        "action": reverse(
            "privacy:access_download", kwargs={"subject_kind": subject.kind, "subject_id": subject.subject_id}
        ),
    }
    return render(request, "privacy/access_review.html", context, status=status)


def _expired(request: HttpRequest) -> HttpResponse:
    messages.error(request, _("Open the file again: the request was not opened in this session, or too long ago."))
    return redirect("privacy:access_request")


@methods("GET")
def access_review(request: HttpRequest, subject_kind: str, subject_id: UUID) -> HttpResponse:
    """Review the values that may name other people before the copy is made."""
    kind = subject_kind
    actor, grant = _opened(request, kind, subject_id)
    if grant is None:
        return _expired(request)
    subject = service.subject_file(kind, subject_id)
    record_event(
        action=AuditAction.VIEW, obj=subject.case or subject.referral, actor=actor, fields=["privacy_review", "reason"]
    )
    items = [(name, label) for name, _key, label in _review_items(subject)]
    form = AccessReviewForm(items=items, needs_code=not grant.fresh)
    return _review_page(request, subject, grant, form)


@methods("POST")
def access_download(request: HttpRequest, subject_kind: str, subject_id: UUID) -> HttpResponse:
    """Make the zip (PDF, JSON, documents) once every flagged value is decided."""
    kind = subject_kind
    actor, grant = _opened(request, kind, subject_id)
    if grant is None:
        return _expired(request)
    subject = service.subject_file(kind, subject_id)
    items = _review_items(subject)
    form = AccessReviewForm(request.POST, items=[(n, label) for n, _k, label in items], needs_code=not grant.fresh)
    if form.is_valid() and not grant.fresh:
        try:
            service.refresh_step_up(
                session=request.session, actor=actor, kind=kind, subject_id=subject_id, code=form.cleaned_data["code"]
            )
        except StepUpFailed as failure:
            form.add_error("code", str(failure))
    if not form.is_valid():
        return _review_page(request, subject, grant, form, status=400)
    decisions = {key: form.cleaned_data[name] for name, key, _label in items}
    try:
        archive = service.access_export(
            actor=actor, kind=kind, subject_id=subject_id, decisions=decisions, reason=grant.reason
        )
    except RuleViolation as refusal:
        form.add_error(None, str(refusal))
        return _review_page(request, subject, grant, form, status=400)
    response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="acces-{subject.reference}.zip"'
    return response


@methods("GET")
def register(request: HttpRequest) -> HttpResponse:
    """The register of processing, generated from the system."""
    require(request.user, Action.PRIVACY_REGISTER)
    record_event(action=AuditAction.VIEW, object_type="privacy.register")
    return render(request, "privacy/register.html", {"register": register_service.build_register()})


@methods("GET")
def register_pdf(request: HttpRequest) -> HttpResponse:
    """The register of processing as a PDF (French)."""
    require(request.user, Action.PRIVACY_REGISTER)
    pdf = register_service.register_pdf()
    record_event(action=AuditAction.EXPORT, object_type="privacy.register")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="registre-des-traitements.pdf"'
    return response
