"""Right of access (GDPR art. 15): one person's whole file as a French PDF and a JSON, in one zip.

The file is read from the models themselves (every record pointing at the case or its referral),
so a new section is exported without being listed here. Free text written about the person may
name other people (a relative in a note, a trafficker in the legal section): each such value is
flagged, and the DPO decides for each one to release it or to hide it before the zip is made.
The DPO reaches the file only through `careplus.access.reading.open_for_subject_request`, after a
reason and a fresh second-factor code; each opening and each export is in the audit log.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import json
import re
import time
import zipfile
from dataclasses import dataclass, field
from uuid import UUID

from django.apps import apps
from django.contrib.sessions.backends.base import SessionBase
from django.db import models
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from careplus.access.reading import REASON_MAX, REASON_MIN, find_for_subject_request, open_for_subject_request
from careplus.accounts import services as account_services
from careplus.accounts.models import User
from careplus.accounts.selectors import names_by_id
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.models import AuditEvent
from careplus.audit.services import record_event
from careplus.cases.models import Case, CaseAttachment
from careplus.core import crypto
from careplus.core.countries import country_name
from careplus.core.errors import RuleViolation
from careplus.core.fields import ERASED, EncryptedBytesField, EncryptedTextField
from careplus.core.models import DataKey
from careplus.referrals.models import Referral

# The DPO has this long after the second factor to read the review page...
GRANT_SECONDS = 30 * 60
# ...and a download needs a second factor given within this time (issue 21, point 8).
STEP_UP_SECONDS = 5 * 60
SESSION_KEY = "careplus_privacy_access"
PART = "privacy_access"

# The person's own identity and whereabouts, written in fields that hold nothing else: not flagged.
SUBJECT_OWN_FIELDS = frozenset(
    {
        "cases.Case.given_names",
        "cases.Case.family_name",
        "referrals.Referral.given_names",
        "referrals.Referral.family_name",
        "referrals.Referral.languages",
        "referrals.Referral.city",
        "cases.CaseAttachment.filename",
        "returns.Departure.airport",
        "returns.TravelLeg.from_place",
        "returns.TravelLeg.to_place",
    }
)
# Internal columns that mean nothing to the person (keys, blind indexes, versions).
_SKIPPED = frozenset({"id", "data_key", "person_index", "name_index", "version", "case", "referral", "content"})
_COUNTRY_FIELDS = frozenset({"nationality", "country_of_return", "country"})


# The copy is a French document (like its PDF): a hidden value reads the same in it whatever the catalogue.
REDACTED = "[masqué par le DPD]"


def redacted_text() -> str:
    return REDACTED


@dataclass(frozen=True)
class Item:
    """One field of one record, as the person reads it (`shown`) and as a program reads it (`value`)."""

    key: str
    name: str
    label: str
    value: object  # the field's value, written to the JSON export
    shown: str
    flagged: bool


@dataclass
class Record:
    model: str
    title: str
    pk: str
    items: list[Item]


@dataclass(frozen=True)
class Document:
    key: str
    pk: str
    filename: str
    content_type: str
    size: int
    uploaded_on: str


@dataclass(frozen=True)
class Viewing:
    at: datetime.datetime
    name: str
    action: str
    parts: str
    outcome: str


@dataclass
class SubjectFile:
    """Everything CARE+ holds on one person."""

    kind: str
    subject_id: str
    reference: str
    case: Case | None
    referral: Referral | None
    records: list[Record] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    viewings: list[Viewing] = field(default_factory=list)

    @property
    def flagged(self) -> list[Item]:
        return [item for record in self.records for item in record.items if item.flagged]

    @property
    def review_keys(self) -> list[str]:
        """Every value the DPO decides on: flagged fields and documents."""
        return [item.key for item in self.flagged] + [doc.key for doc in self.documents]


def field_key(key: str) -> str:
    """The form name of a reviewed value (short, stable, no ids in the page's form names)."""
    return "item_" + hashlib.sha256(key.encode()).hexdigest()[:16]


# ---- finding and opening -------------------------------------------------------------------


def subject_of(actor: User, reference: str) -> tuple[str, Case | Referral]:
    """Find the file of a data-subject request by its case or referral number (nothing else is read)."""
    found = find_for_subject_request(actor, reference)
    if found is None:
        raise RuleViolation(_("No case or referral has this number. Check it on the person's request."))
    if found.erased_at is not None:
        raise RuleViolation(_("This file was erased: none of the person's data remains to give."))
    return ("case" if isinstance(found, Case) else "referral"), found


def access_open(*, actor: User, session: SessionBase, reference: str, reason: str, code: str | None) -> tuple[str, str]:
    """Open a person's file for an access request: a reason, then a fresh second-factor code.

    A wrong code opens nothing and is written as a refusal. Returns the kind and id of the file.
    """
    reason = (reason or "").strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise RuleViolation(
            _("Give the reason of the request in %(min)d to %(max)d characters.")
            % {"min": REASON_MIN, "max": REASON_MAX}
        )
    kind, found = subject_of(actor, reference)
    try:
        account_services.require_step_up(user=actor, code=code)
    except account_services.StepUpFailed:
        record_event(
            action=AuditAction.DENIED,
            obj=found,
            actor=actor,
            fields=[PART, "step_up"],
            outcome=AuditOutcome.DENIED,
        )
        raise
    open_for_subject_request(actor=actor, kind=kind, subject_id=found.pk, reason=reason, part=PART)
    _remember(session, actor, kind, found, reason)
    return kind, str(found.pk)


def _data_key_of(found: Case | Referral) -> DataKey:
    return found.data_key


def _aad(kind: str, subject_id: UUID | str, user_id: object) -> bytes:
    return f"careplus:privacy-access:{kind}:{subject_id}:{user_id}".encode()


def _remember(session: SessionBase, actor: User, kind: str, found: Case | Referral, reason: str) -> None:
    """Keep the opening in the session: when, and the reason sealed under the file's own key."""
    key = _data_key_of(found)
    sealed = crypto.encrypt(reason.encode(), key=key.material(), key_id=key.pk, aad=_aad(kind, found.pk, actor.pk))
    grants = dict(session.get(SESSION_KEY) or {})
    grants[f"{kind}:{found.pk}"] = {"at": time.time(), "reason": base64.b64encode(sealed).decode("ascii")}
    session[SESSION_KEY] = grants


@dataclass(frozen=True)
class Grant:
    reason: str
    fresh: bool


def granted(session: SessionBase, actor: User, kind: str, subject_id: UUID | str) -> Grant | None:
    """The opening of this file by this user in this session, if it is recent enough to read it."""
    entry = (session.get(SESSION_KEY) or {}).get(f"{kind}:{subject_id}")
    if not isinstance(entry, dict):
        return None
    age = time.time() - float(entry.get("at", 0))
    if not 0 <= age <= GRANT_SECONDS:
        return None
    found: Case | Referral | None
    if kind == "case":
        found = Case.objects.select_related("data_key").filter(pk=subject_id).first()
    else:
        found = Referral.objects.select_related("data_key").filter(pk=subject_id).first()
    if found is None:
        return None
    try:
        blob = base64.b64decode(str(entry.get("reason", "")), validate=True)
        key = _data_key_of(found)
        reason = crypto.decrypt(blob, key=key.material(), aad=_aad(kind, subject_id, actor.pk)).decode()
    except (ValueError, crypto.DecryptionError, crypto.KeyDestroyed):
        return None
    return Grant(reason=reason, fresh=age <= STEP_UP_SECONDS)


def refresh_step_up(*, session: SessionBase, actor: User, kind: str, subject_id: UUID | str, code: str | None) -> None:
    """Ask the second factor again for a download after the first one grew old."""
    entry = (session.get(SESSION_KEY) or {}).get(f"{kind}:{subject_id}")
    try:
        account_services.require_step_up(user=actor, code=code)
    except account_services.StepUpFailed:
        record_event(
            action=AuditAction.DENIED,
            object_type=_label(kind),
            object_id=subject_id,
            actor=actor,
            fields=[PART, "step_up"],
            outcome=AuditOutcome.DENIED,
        )
        raise
    if isinstance(entry, dict):
        grants = dict(session.get(SESSION_KEY) or {})
        grants[f"{kind}:{subject_id}"] = {**entry, "at": time.time()}
        session[SESSION_KEY] = grants


def _label(kind: str) -> str:
    return Case._meta.label_lower if kind == "case" else Referral._meta.label_lower


# ---- reading the whole file ----------------------------------------------------------------


def _children(parent: type[models.Model]) -> list[tuple[type[models.Model], str]]:
    """Every model with a field pointing at `parent` (its records are part of the person's file)."""
    return [
        (model, model_field.name)
        for model in apps.get_models()
        if model not in (CaseAttachment, Referral)
        for model_field in model._meta.concrete_fields
        if model_field.is_relation and model_field.related_model is parent and model_field.name in {"case", "referral"}
    ]


def _display_date(value: datetime.date) -> str:
    if isinstance(value, datetime.datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _item(obj: models.Model, model_field: models.Field[object, object]) -> Item | None:
    name = model_field.name
    if name in _SKIPPED or isinstance(model_field, EncryptedBytesField):
        return None
    label = str(model_field.verbose_name)
    key = f"{obj._meta.label_lower}:{obj.pk}:{name}"
    if model_field.is_relation:
        related = getattr(obj, name)
        text = "" if related is None else str(getattr(related, "full_name", None) or related)
        return Item(key, name, label, text or None, text or "—", False)
    value = getattr(obj, name)
    if value is ERASED:
        return Item(key, name, label, None, str(ERASED), False)
    shown: str
    if value is None or value in ("", [], {}):
        shown, value = "—", None if value is None else value
    elif model_field.choices and not isinstance(value, list | dict):
        shown = str(dict(model_field.flatchoices).get(value, value))
        value = str(value)
    elif name in _COUNTRY_FIELDS:
        code = str(getattr(value, "code", value))
        shown, value = country_name(code), code
    elif isinstance(value, datetime.date):
        shown, value = _display_date(value), value.isoformat()
    elif isinstance(value, bool):
        shown = _("yes") if value else _("no")
    elif isinstance(value, list | dict):
        shown = json.dumps(value, ensure_ascii=False, default=str)
    else:
        shown = str(value)
        value = value if isinstance(value, int | float | str) else str(value)
    flagged = (
        isinstance(model_field, EncryptedTextField)
        and bool(value)
        and f"{obj._meta.app_label}.{obj.__class__.__name__}.{name}" not in SUBJECT_OWN_FIELDS
    )
    return Item(key, name, label, value, shown, flagged)


def _record(obj: models.Model) -> Record:
    items = [item for f in obj._meta.concrete_fields if (item := _item(obj, f)) is not None]
    return Record(obj._meta.label_lower, str(obj._meta.verbose_name), str(obj.pk), items)


def _attach(obj: models.Model, parent_name: str, parent: models.Model) -> models.Model:
    setattr(obj, parent_name, parent)
    return obj


def _records_of(parent: Case | Referral) -> list[Record]:
    records = [_record(parent)]
    for model, parent_name in _children(type(parent)):
        rows = model._default_manager.filter(**{parent_name: parent})
        ordering = [f for f in ("created_at", "at") if any(c.name == f for c in model._meta.concrete_fields)]
        records += [_record(_attach(row, parent_name, parent)) for row in rows.order_by(*ordering, "pk")]
    return records


def _documents(case: Case) -> list[Document]:
    rows = (
        CaseAttachment.objects.filter(case=case).select_related("uploaded_by").defer("content").order_by("created_at")
    )
    documents = []
    for row in rows:
        row.case = case
        documents.append(
            Document(
                key=f"cases.caseattachment:{row.pk}:content",
                pk=str(row.pk),
                filename=str(row.filename),
                content_type=row.content_type,
                size=row.size,
                uploaded_on=_display_date(row.created_at),
            )
        )
    return documents


def _viewings(case: Case | None, referral: Referral | None) -> list[Viewing]:
    """Who opened the file: the views and exports of the case, its referral and its documents."""
    wanted = Q(pk__in=[])
    if case is not None:
        documents = [str(pk) for pk in CaseAttachment.objects.filter(case=case).values_list("pk", flat=True)]
        wanted |= Q(object_type=Case._meta.label_lower, object_id=str(case.pk))
        wanted |= Q(object_type=CaseAttachment._meta.label_lower, object_id__in=documents)
    if referral is not None:
        wanted |= Q(object_type=Referral._meta.label_lower, object_id=str(referral.pk))
    events = list(AuditEvent.objects.filter(wanted, action__in=[AuditAction.VIEW, AuditAction.EXPORT]).order_by("seq"))
    names = names_by_id(event.actor_id for event in events)
    return [
        Viewing(
            at=event.at,
            name=names.get(event.actor_id, event.actor_label) or "—",
            action=event.get_action_display(),
            parts=", ".join(event.field_names),
            outcome=event.get_outcome_display(),
        )
        for event in events
    ]


def subject_file(kind: str, subject_id: UUID | str) -> SubjectFile:
    """Read the whole file of a person (the caller opened it through the access policy)."""
    case: Case | None = None
    referral: Referral | None
    if kind == "case":
        case = Case.objects.select_related("data_key", "office", "programme").get(pk=subject_id)
        if case.erased_at is not None:
            raise RuleViolation(_("This file was erased: none of the person's data remains to give."))
        referral = Referral.objects.select_related("data_key", "organisation", "programme").filter(case=case).first()
    else:
        referral = Referral.objects.select_related("data_key", "organisation", "programme").get(pk=subject_id)
        if referral.erased_at is not None:
            raise RuleViolation(_("This file was erased: none of the person's data remains to give."))
    with translation.override("fr"):
        records = _records_of(referral) if referral is not None else []
        if case is not None:
            records += _records_of(case)
        documents = _documents(case) if case is not None else []
        viewings = _viewings(case, referral)
    subject = case if case is not None else referral
    assert subject is not None
    return SubjectFile(
        kind=kind,
        subject_id=str(subject_id),
        reference=subject.reference,
        case=case,
        referral=referral,
        records=records,
        documents=documents,
        viewings=viewings,
    )


# ---- the export ----------------------------------------------------------------------------


def _redact(record: Record, hidden: set[str]) -> Record:
    text = redacted_text()
    items = [Item(i.key, i.name, i.label, text, text, i.flagged) if i.key in hidden else i for i in record.items]
    return Record(record.model, record.title, record.pk, items)


def _safe_name(index: int, filename: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", filename).strip("._") or "document"
    return f"documents/{index:02d}-{cleaned[:80]}"


def export_json(subject: SubjectFile, *, hidden: set[str], reason: str, generated_at: datetime.datetime) -> bytes:
    """The machine-readable copy: every record with its fields by name, the documents, the viewings."""
    documents = []
    for index, doc in enumerate(subject.documents, start=1):
        released = doc.key not in hidden
        documents.append(
            {
                "id": doc.pk,
                "filename": doc.filename if released else redacted_text(),
                "content_type": doc.content_type,
                "size": doc.size,
                "uploaded_on": doc.uploaded_on,
                "file": _safe_name(index, doc.filename) if released else None,
            }
        )
    payload = {
        "format": "careplus-access-export/1",
        "generated_at": generated_at.isoformat(),
        "reference": subject.reference,
        "reason": reason,
        "records": [
            {
                "model": record.model,
                "id": record.pk,
                "fields": {item.name: item.value for item in _redact(record, hidden).items},
            }
            for record in subject.records
        ],
        "documents": documents,
        "viewed_by": [
            {"at": v.at.isoformat(), "user": v.name, "action": v.action, "parts": v.parts, "outcome": v.outcome}
            for v in subject.viewings
        ],
        "redacted": sorted(hidden),
    }
    return json.dumps(payload, ensure_ascii=False, indent=2, default=str).encode()


def export_pdf(subject: SubjectFile, *, hidden: set[str], reason: str, generated_at: datetime.datetime) -> bytes:
    """The French copy to read (WeasyPrint)."""
    from weasyprint import HTML

    with translation.override("fr"):
        html = render_to_string(
            "privacy/access_export_pdf.html",
            {
                "subject": subject,
                "records": [_redact(record, hidden) for record in subject.records],
                "documents": [(doc, doc.key in hidden) for doc in subject.documents],
                "reason": reason,
                "generated_at": generated_at,
                "redacted": redacted_text(),
            },
        )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def access_export(*, actor: User, kind: str, subject_id: UUID | str, decisions: dict[str, str], reason: str) -> bytes:
    """Make the zip of the person's file once every flagged value has a decision; audited as an export.

    `decisions` maps each review key to "release" or "redact"; a value without one refuses the export.
    """
    subject = subject_file(kind, subject_id)
    missing = [key for key in subject.review_keys if decisions.get(key) not in {"release", "redact"}]
    if missing:
        raise RuleViolation(_("Review every flagged value before the copy is made."))
    hidden = {key for key in subject.review_keys if decisions[key] == "redact"}
    generated_at = timezone.now()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            f"{subject.reference}.pdf", export_pdf(subject, hidden=hidden, reason=reason, generated_at=generated_at)
        )
        archive.writestr(
            f"{subject.reference}.json", export_json(subject, hidden=hidden, reason=reason, generated_at=generated_at)
        )
        if subject.case is not None:
            for index, doc in enumerate(subject.documents, start=1):
                if doc.key in hidden:
                    continue
                row = CaseAttachment.objects.get(pk=doc.pk, case=subject.case)
                row.case = subject.case
                archive.writestr(_safe_name(index, doc.filename), bytes(row.content))
    redacted_fields = {"redacted:" + key.split(":")[0].split(".")[-1] + "." + key.split(":")[-1] for key in hidden}
    subject_obj: models.Model | None = subject.case if subject.case is not None else subject.referral
    if subject_obj is None:
        raise ValueError("an access export is of a case file or a referral")
    record_event(action=AuditAction.EXPORT, obj=subject_obj, actor=actor, fields=[PART, "reason", *redacted_fields])
    if subject.case is not None and subject.referral is not None:
        record_event(action=AuditAction.EXPORT, obj=subject.referral, actor=actor, fields=[f"referral:{PART}"])
    return out.getvalue()
