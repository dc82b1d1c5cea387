"""Erasure of a person's file on their request (GDPR art. 17): request, second approval, certificate.

The file is a case file, or a referral that never became a case (refused, redirected, withdrawn or
still awaiting a decision). The data protection officer asks for its erasure by its number
(CARE-… or ORI-…), with a reason. A second person (another DPO or a coordinator, never the
requester) approves it after giving their second factor again; the approval crypto-shreds the file
(`cases.services.case_erase`, or `referrals.services.referral_erase` for a referral) and records a
certificate in the same transaction.

A case file with a hearing ahead is kept while the proceedings are pending: the request is refused
with that reason, at request time and again at approval. (There is no legal-hold field on a file;
the hearing is the one hold the system knows, and a referral has none.)

A referral that became a case is erased with its case file: asked by the referral's number, the
request is refused with the case file's number to ask for instead, and so is the approval when the
referral was accepted meanwhile.

Nothing here reads or shows personal data: the request, its reasons and its certificate name the
file by its number and the staff who acted, and list field labels, never values.
"""

from __future__ import annotations

import datetime
from typing import Any, TypedDict
from uuid import UUID

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careplus.access import rules
from careplus.access.fetch import deny
from careplus.access.policy import Actor, can
from careplus.access.roles import Action
from careplus.accounts import services as account_services
from careplus.accounts.models import User
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.models import AuditEvent
from careplus.audit.services import record_event
from careplus.cases import services as case_services
from careplus.cases.models import Case, LegalSituation
from careplus.core.errors import RuleViolation
from careplus.core.fields import EncryptedField, encrypted_fields
from careplus.core.locking import bump, gone, lock_for_edit
from careplus.core.text import clean_person_text
from careplus.privacy.models import ErasureRequest, ErasureStatus
from careplus.referrals import services as referral_services
from careplus.referrals.models import Referral

# Columns every record has that say nothing about the person.
_TECHNICAL = frozenset({"id", "created_at", "updated_at", "version", "person_index", "name_index"})


class ErasureRefused(RuleViolation):
    """An erasure rule refused the request or its approval; the refusal is in the audit log."""

    code = "erasure_refused"


# Reads -------------------------------------------------------------------------------------------


def erasure_requests() -> QuerySet[ErasureRequest]:
    """Every erasure request, newest first, with the staff who acted (never the person)."""
    return ErasureRequest.objects.select_related("case", "referral", "requested_by", "decided_by").order_by(
        "-created_at"
    )


def pending_requests() -> QuerySet[ErasureRequest]:
    return erasure_requests().filter(status=ErasureStatus.REQUESTED)


def get_request_for(actor: Actor, request_id: UUID | str, *, action: Action) -> ErasureRequest:
    """Return an erasure request the actor may act on, or record the refusal and raise 404."""
    label = ErasureRequest._meta.label_lower
    if not can(actor, action):
        raise deny(action=action, object_type=label, object_id=request_id)
    try:
        return erasure_requests().get(pk=request_id)
    except (ErasureRequest.DoesNotExist, ValueError) as missing:
        raise deny(action=action, object_type=label, object_id=request_id) from missing


def original_requester(request: ErasureRequest) -> str:
    """Return the id of whoever first asked for the erasure (a staff handover may have moved it since)."""
    found = (
        AuditEvent.objects.filter(
            object_type=ErasureRequest._meta.label_lower,
            object_id=str(request.pk),
            action=AuditAction.CREATE,
            outcome=AuditOutcome.SUCCESS,
        )
        .values_list("actor_id", flat=True)
        .first()
    )
    return found or str(request.requested_by_id)


def is_requester(actor: Actor, request: ErasureRequest) -> bool:
    """Tell whether the actor asked for the erasure, or holds the request after a staff handover."""
    return rules.is_erasure_requester(actor, request, original_requester(request))


def may_decide(actor: Actor, request: ErasureRequest) -> bool:
    """Tell whether the actor may approve or refuse the request (`careplus.access.rules.may_decide_erasure`)."""
    return rules.may_decide_erasure(actor, request, original_requester(request))


def hearing_ahead(case: Case | None, today: datetime.date | None = None) -> bool:
    """Tell whether the file has a hearing today or later (legal proceedings pending); a referral has none."""
    if case is None:
        return False
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


def _records_of(subject: Case | Referral) -> list[tuple[type[models.Model], int]]:
    """Each kind of record of the file (a case's own and its referral's, or a referral's) with how many."""
    found: list[tuple[type[models.Model], int]] = [(type(subject), 1)]
    for model in apps.get_models():
        if model._meta.app_label == "privacy":
            continue
        names = {f.name: f.related_model for f in model._meta.concrete_fields if f.is_relation}
        if isinstance(subject, Case) and names.get("case") is Case:
            count = model._default_manager.filter(case=subject).count()
        elif names.get("referral") is Referral:
            lookup: dict[str, Case | Referral] = (
                {"referral__case": subject} if isinstance(subject, Case) else {"referral": subject}
            )
            count = model._default_manager.filter(**lookup).count()
        else:
            continue
        if count:
            found.append((model, count))
    return found


class RecordGroup(TypedDict):
    """Records of one kind on an erasure certificate: how many, and the names of their fields."""

    record: str
    count: int
    fields: list[str]


def certificate_data(subject: Case | Referral) -> dict[str, object]:  # stored as JSON with the request
    """What erasing the file destroys and what stays, read from the models (labels, never values).

    Labels are kept in English and translated when the certificate is shown.
    """
    destroyed: list[RecordGroup] = []
    kept: list[RecordGroup] = []
    with translation.override("en"):
        for model, count in _records_of(subject):
            name = str(model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural)
            secret = [str(f.verbose_name) for f in encrypted_fields(model)]
            if secret:
                destroyed.append({"record": name, "count": count, "fields": secret})
            remaining = _kept_fields(model)
            if remaining:
                kept.append({"record": name, "count": count, "fields": remaining})
    number = "referral_reference" if isinstance(subject, Referral) else "case_reference"
    return {number: subject.reference, "destroyed": destroyed, "kept": kept}


def certificate_context(request: ErasureRequest) -> dict[str, Any]:  # a template's context
    """The certificate's content in the current language."""
    data = request.certificate

    def shown(groups: list[RecordGroup]) -> list[RecordGroup]:
        return [
            {"record": _(group["record"]), "count": group["count"], "fields": [_(f) for f in group["fields"]]}
            for group in groups
        ]

    return {
        "request": request,
        "is_referral": request.is_referral,
        "subject_label": request.subject_label,
        "reference": data.get("referral_reference" if request.is_referral else "case_reference", request.reference),
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
    return ErasureRefused(message, extra={"rule": rule, "field": "reference"})


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


def _subject(number: str) -> Case | Referral | None:
    """The case file or referral whose number is exactly `number` (nothing else is read)."""
    number = (number or "").strip().upper()
    if not number:
        return None
    return Case.objects.filter(reference=number).first() or Referral.objects.filter(reference=number).first()


def _referral_refusal(*, actor: User, referral: Referral) -> ErasureRefused | None:
    """The refusal of a referral's erasure (it became a case, or is already erased), recorded; or None."""
    message = referral_services.erasure_refusal(referral)
    if not message:
        return None
    rule = "referral_has_case" if referral.case_id is not None else "already_erased"
    return _refuse(actor=actor, obj=referral, rule=rule, message=message)


def erasure_request(*, actor: User, reference: str, reason: str) -> ErasureRequest:
    """The DPO asks for the erasure of a case file or referral by its number, with a reason; audited, refusals too."""
    text = _reason(reason, missing=_("Give the reason for the erasure (the person's request, its date)."))
    subject = _subject(reference)
    if subject is None:
        raise RuleViolation(_("No case file or referral has this number."), extra={"field": "reference"})
    if isinstance(subject, Referral):
        refused = _referral_refusal(actor=actor, referral=subject)
        if refused is not None:
            raise refused
        values: dict[str, Case | Referral] = {"referral": subject}
    else:
        if subject.erased_at is not None:
            raise _refuse(actor=actor, obj=subject, rule="already_erased", message=_("This file was already erased."))
        if hearing_ahead(subject):
            raise _refuse(actor=actor, obj=subject, rule="hearing_ahead", message=_hearing_message())
        values = {"case": subject}
    try:
        with transaction.atomic():
            request = ErasureRequest.objects.create(**values, reason=text, requested_by=actor)
            record_event(action=AuditAction.CREATE, obj=request, actor=actor, fields=[*values, "reason"])
    except IntegrityError as duplicate:
        raise RuleViolation(
            _("An erasure request for this file is already awaiting approval."), extra={"field": "reference"}
        ) from duplicate
    return request


ALREADY_DECIDED = gettext_lazy("This request was already decided meanwhile. Reload the page.")


def _lock_pending(request: ErasureRequest, expected_version: int) -> ErasureRequest:
    """Lock a request still awaiting its decision; a request decided meanwhile is refused as such."""
    pending = ErasureRequest.objects.filter(status=ErasureStatus.REQUESTED)
    # Only the request's row is locked: its case or referral is an outer join (one of them is null).
    rows = pending.select_related("case", "referral", "requested_by")
    return lock_for_edit(rows, request.pk, expected_version, required=True, gone_message=ALREADY_DECIDED, of=("self",))


def _second_person(*, actor: User, request: ErasureRequest) -> None:
    if is_requester(actor, request):
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
        raise gone(ALREADY_DECIDED)
    if hearing_ahead(request.case):
        raise _refuse(actor=actor, obj=request, rule="hearing_ahead", message=_hearing_message())
    if request.referral is not None:
        # Accepted since the request: the referral is now part of a case file, erased with it.
        request.referral.refresh_from_db(fields=["case", "erased_at"])
        message = referral_services.erasure_refusal(request.referral)
        if message:
            rule = "referral_has_case" if request.referral.case_id is not None else "already_erased"
            raise _refuse(actor=actor, obj=request, rule=rule, message=message)
    try:
        account_services.require_step_up(user=actor, code=code)
    except account_services.StepUpFailed:
        record_event(
            action=AuditAction.DENIED, obj=request, actor=actor, fields=["step_up"], outcome=AuditOutcome.DENIED
        )
        raise
    with transaction.atomic():
        locked = _lock_pending(request, expected_version)
        data = certificate_data(locked.subject)
        erased: Case | Referral
        if locked.referral is not None:
            erased = referral_services.referral_erase(actor=actor, referral=locked.referral)
        else:
            assert locked.case is not None
            erased = case_services.case_erase(actor=actor, case=locked.case)
        assert erased.erased_at is not None
        now = timezone.now()
        data.update(
            {
                "erased_at": erased.erased_at.isoformat(),
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
        bump(locked)
        record_event(
            action=AuditAction.TRANSITION, obj=locked, actor=actor, fields=["status", "decided_by", "certificate"]
        )
    return locked


def erasure_refuse(*, actor: User, request: ErasureRequest, expected_version: int, reason: str) -> ErasureRequest:
    """A second person refuses the request, with a reason; the file is left as it is."""
    text = _reason(reason, missing=_("Give the reason for the refusal."))
    _second_person(actor=actor, request=request)
    with transaction.atomic():
        locked = _lock_pending(request, expected_version)
        locked.status = ErasureStatus.REFUSED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_reason = text
        bump(locked)
        record_event(
            action=AuditAction.TRANSITION, obj=locked, actor=actor, fields=["status", "decided_by", "decision_reason"]
        )
    return locked
