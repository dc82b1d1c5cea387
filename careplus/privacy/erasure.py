"""Erasure of a case file on the person's request (GDPR art. 17): request, second approval, certificate.

The data protection officer asks for the erasure of a file by its number, with a reason. A second
person (another DPO or a coordinator, never the requester) approves it after giving their second
factor again; the approval crypto-shreds the file (`cases.services.case_erase`) and records a
certificate in the same transaction. A file with a hearing ahead is kept while the proceedings are
pending: the request is refused with that reason, at request time and again at approval. (There is
no legal-hold field on a file; the hearing is the one hold the system knows.)

Referrals are erased with the case they became. A referral that never became a case has no erasure
service yet: it is not handled here.

Nothing here reads or shows personal data: the request, its reasons and its certificate name the
file by its number and the staff who acted, and list field labels, never values.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from careplus.access.fetch import deny
from careplus.access.policy import can
from careplus.access.roles import Action
from careplus.accounts import services as account_services
from careplus.accounts.models import User
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.services import record_event
from careplus.cases import services as case_services
from careplus.cases.models import Case, LegalSituation
from careplus.core.errors import RuleViolation, StaleObject
from careplus.core.fields import EncryptedField, encrypted_fields
from careplus.core.text import clean_person_text
from careplus.privacy.models import ErasureRequest, ErasureStatus

# Columns every record has that say nothing about the person.
_TECHNICAL = frozenset({"id", "created_at", "updated_at", "version", "person_index", "name_index"})


class ErasureRefused(RuleViolation):
    """An erasure rule refused the request or its approval; the refusal is in the audit log."""

    code = "erasure_refused"


# Reads -------------------------------------------------------------------------------------------


def erasure_requests() -> QuerySet[ErasureRequest]:
    """Every erasure request, newest first, with the staff who acted (never the person)."""
    return ErasureRequest.objects.select_related("case", "requested_by", "decided_by").order_by("-created_at")


def pending_requests() -> QuerySet[ErasureRequest]:
    return erasure_requests().filter(status=ErasureStatus.REQUESTED)


def get_request_for(actor: Any, request_id: Any, *, action: Action) -> ErasureRequest:
    """Return an erasure request the actor may act on, or record the refusal and raise 404."""
    label = ErasureRequest._meta.label_lower
    if not can(actor, action):
        raise deny(action=action, object_type=label, object_id=request_id)
    try:
        return erasure_requests().get(pk=request_id)
    except (ErasureRequest.DoesNotExist, ValueError) as missing:
        raise deny(action=action, object_type=label, object_id=request_id) from missing


def may_decide(actor: Any, request: ErasureRequest) -> bool:
    """Tell whether the actor may approve or refuse the request (a second person, while it is open)."""
    return (
        request.status == ErasureStatus.REQUESTED
        and can(actor, Action.ERASURE_APPROVE)
        and request.requested_by_id != getattr(actor, "pk", None)
    )


def hearing_ahead(case: Case, today: datetime.date | None = None) -> bool:
    """Tell whether the file has a hearing today or later (legal proceedings pending)."""
    return LegalSituation.objects.filter(case=case, next_hearing_on__gte=today or timezone.localdate()).exists()


# Certificate -------------------------------------------------------------------------------------


def _kept_fields(model: type[models.Model]) -> list[str]:
    return [
        str(f.verbose_name)
        for f in model._meta.concrete_fields
        if not f.is_relation
        and not isinstance(f, EncryptedField)
        and f.name not in _TECHNICAL
        and not f.name.endswith("_index")
    ]


def _records_of(case: Case) -> list[tuple[type[models.Model], int]]:
    """Each kind of record of the file (its own, its referral's) with how many there are."""
    found: list[tuple[type[models.Model], int]] = [(Case, 1)]
    referral_model = apps.get_model("referrals", "Referral")
    for model in apps.get_models():
        if model._meta.app_label == "privacy":
            continue
        names = {f.name: f.related_model for f in model._meta.concrete_fields if f.is_relation}
        if names.get("case") is Case:
            count = model._default_manager.filter(case=case).count()
        elif names.get("referral") is referral_model:
            count = model._default_manager.filter(referral__case=case).count()
        else:
            continue
        if count:
            found.append((model, count))
    return found


def certificate_data(case: Case) -> dict[str, Any]:
    """What erasing the file destroys and what stays, read from the models (labels, never values).

    Labels are kept in English and translated when the certificate is shown.
    """
    destroyed: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    with translation.override("en"):
        for model, count in _records_of(case):
            name = str(model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural)
            secret = [str(f.verbose_name) for f in encrypted_fields(model)]
            if secret:
                destroyed.append({"record": name, "count": count, "fields": secret})
            remaining = _kept_fields(model)
            if remaining:
                kept.append({"record": name, "count": count, "fields": remaining})
    return {"case_reference": case.reference, "destroyed": destroyed, "kept": kept}


def certificate_context(request: ErasureRequest) -> dict[str, Any]:
    """The certificate's content in the current language."""
    data = request.certificate

    def shown(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {"record": _(group["record"]), "count": group["count"], "fields": [_(f) for f in group["fields"]]}
            for group in groups
        ]

    return {
        "request": request,
        "reference": data.get("case_reference", request.case.reference),
        "erased_at": datetime.datetime.fromisoformat(data["erased_at"]) if data.get("erased_at") else None,
        "destroyed": shown(data.get("destroyed", [])),
        "kept": shown(data.get("kept", [])),
    }


def certificate_pdf(*, actor: User, request: ErasureRequest) -> bytes:
    """Render the erasure certificate (French) and record its download."""
    from weasyprint import HTML

    if request.status != ErasureStatus.ERASED:
        raise RuleViolation(_("A certificate is only issued once the file has been erased."))
    with translation.override("fr"):  # certificates are issued in French
        html = render_to_string("privacy/erasure_certificate.html", certificate_context(request))
    pdf: bytes = HTML(string=html).write_pdf()
    record_event(action=AuditAction.EXPORT, obj=request, actor=actor, fields=["certificate"])
    return pdf


# Writes ------------------------------------------------------------------------------------------


def _refuse(*, actor: User, obj: models.Model, rule: str, message: str) -> ErasureRefused:
    """Record a refusal by an erasure rule (in its own transaction) and return the error to raise."""
    record_event(action=AuditAction.DENIED, obj=obj, actor=actor, fields=[rule], outcome=AuditOutcome.DENIED)
    return ErasureRefused(message, extra={"rule": rule, "field": "case_reference"})


def _hearing_message() -> str:
    return _(
        "This file has a hearing ahead: it is kept while the legal proceedings are pending. "
        "The erasure is refused; ask again after the proceedings."
    )


def _reason(value: str, *, missing: str) -> str:
    try:
        text = clean_person_text(value or "", multiline=True)
    except ValidationError as error:
        raise RuleViolation(error.messages[0], extra={"field": "reason"}) from error
    if not text:
        raise RuleViolation(missing, extra={"field": "reason"})
    return text


def erasure_request(*, actor: User, case_reference: str, reason: str) -> ErasureRequest:
    """The DPO asks for the erasure of a file by its number, with a reason; audited, refusals too."""
    text = _reason(reason, missing=_("Give the reason for the erasure (the person's request, its date)."))
    case = Case.objects.filter(reference=(case_reference or "").strip().upper()).first()
    if case is None:
        raise RuleViolation(_("No case file has this number."), extra={"field": "case_reference"})
    if case.erased_at is not None:
        raise _refuse(actor=actor, obj=case, rule="already_erased", message=_("This file was already erased."))
    if hearing_ahead(case):
        raise _refuse(actor=actor, obj=case, rule="hearing_ahead", message=_hearing_message())
    try:
        with transaction.atomic():
            request = ErasureRequest.objects.create(case=case, reason=text, requested_by=actor)
            record_event(action=AuditAction.CREATE, obj=request, actor=actor, fields=["case", "reason"])
    except IntegrityError as duplicate:
        raise RuleViolation(
            _("An erasure request for this file is already awaiting approval."), extra={"field": "case_reference"}
        ) from duplicate
    return request


def _locked(request: ErasureRequest, expected_version: int) -> ErasureRequest:
    locked = ErasureRequest.objects.select_for_update().select_related("case", "requested_by").get(pk=request.pk)
    if locked.status != ErasureStatus.REQUESTED:
        raise StaleObject(_("This request was already decided meanwhile. Reload the page."))
    if locked.version != expected_version:
        raise StaleObject(_("Someone else changed this request meanwhile. Reload the page."))
    return locked


def _second_person(*, actor: User, request: ErasureRequest) -> None:
    if request.requested_by_id == actor.pk:
        raise _refuse(
            actor=actor,
            obj=request,
            rule="same_person",
            message=_("You asked for this erasure: another data protection officer or a coordinator must decide it."),
        )


def erasure_approve(*, actor: User, request: ErasureRequest, expected_version: int, code: str | None) -> ErasureRequest:
    """A second person approves with a fresh second-factor code: the file is crypto-shredded at once.

    Every rule is checked before the code is asked, so that a refused approval uses no code. The
    erasure and its certificate are one transaction: either both are recorded or neither is.
    """
    _second_person(actor=actor, request=request)
    if request.status != ErasureStatus.REQUESTED:
        raise StaleObject(_("This request was already decided meanwhile. Reload the page."))
    if hearing_ahead(request.case):
        raise _refuse(actor=actor, obj=request, rule="hearing_ahead", message=_hearing_message())
    try:
        account_services.require_step_up(user=actor, code=code)
    except account_services.StepUpFailed:
        record_event(
            action=AuditAction.DENIED, obj=request, actor=actor, fields=["step_up"], outcome=AuditOutcome.DENIED
        )
        raise
    with transaction.atomic():
        locked = _locked(request, expected_version)
        data = certificate_data(locked.case)
        case = case_services.case_erase(actor=actor, case=locked.case)
        assert case.erased_at is not None
        now = timezone.now()
        data.update(
            {
                "erased_at": case.erased_at.isoformat(),
                "requested_by": locked.requested_by.full_name,
                "requested_at": locked.created_at.isoformat(),
                "approved_by": actor.full_name,
                "approved_at": now.isoformat(),
            }
        )
        locked.status = ErasureStatus.ERASED
        locked.decided_by = actor
        locked.decided_at = now
        locked.certificate = data
        locked.version += 1
        locked.save()
        record_event(
            action=AuditAction.TRANSITION, obj=locked, actor=actor, fields=["status", "decided_by", "certificate"]
        )
    return locked


def erasure_refuse(*, actor: User, request: ErasureRequest, expected_version: int, reason: str) -> ErasureRequest:
    """A second person refuses the request, with a reason; the file is left as it is."""
    text = _reason(reason, missing=_("Give the reason for the refusal."))
    _second_person(actor=actor, request=request)
    with transaction.atomic():
        locked = _locked(request, expected_version)
        locked.status = ErasureStatus.REFUSED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_reason = text
        locked.version += 1
        locked.save()
        record_event(
            action=AuditAction.TRANSITION, obj=locked, actor=actor, fields=["status", "decided_by", "decision_reason"]
        )
    return locked
