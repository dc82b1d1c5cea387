"""State changes on case files: opening, lifecycle, sections, consents, handover, notes, documents."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careplus.access import rules
from careplus.accounts.models import Office, User
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.cases import workflow
from careplus.cases.choices import CaseStatus, ConsentScope
from careplus.cases.models import (
    BestInterestsDetermination,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseNote,
    Consent,
    Handover,
    Opportunity,
    RestrictedView,
    RiskAssessment,
)
from careplus.cases.selectors import Section as SectionRecord
from careplus.cases.selectors import case_facts
from careplus.core import crypto
from careplus.core.dates import add_months
from careplus.core.errors import RuleViolation, TransitionBlocked
from careplus.core.fields import encrypted_fields, tombstones
from careplus.core.locking import bump, lock_for_edit, lock_for_upsert, touch
from careplus.core.models import DataKey
from careplus.core.numbering import next_reference
from careplus.returns.choices import ClosureReason
from careplus.returns.models import FOLLOW_UP_MONTHS, Departure, Visit

if TYPE_CHECKING:
    from careplus.programmes.models import Programme
    from careplus.referrals.models import Referral

PERSON_INDEX_PURPOSE = "person"
HANDOVER_DAYS = 7


def person_index(*, given_names: str, family_name: str, date_of_birth: datetime.date | None) -> str:
    """Return the blind index of a person's normalised name and date of birth."""
    birth = date_of_birth.isoformat() if date_of_birth else ""
    name = crypto.match_key(f"{family_name} {given_names}")
    return crypto.blind_index(f"{name} {birth}", purpose=PERSON_INDEX_PURPOSE)


def _event(case: Case, actor: User | None, kind: str, **params: Any) -> None:  # params: stored as JSON
    """Add a timeline event; translatable labels are stored in English and translated when shown."""
    with translation.override("en"):
        stored = {name: str(value) if isinstance(value, Promise) else value for name, value in params.items()}
    CaseEvent.objects.create(case=case, actor=actor, kind=kind, params=stored)


NAME_INDEX_PURPOSE = "name"


def name_index(*, given_names: str, family_name: str) -> str:
    """Return the blind index of a person's normalised full name (for exact-name search).

    Spaces, hyphens and apostrophes do not count (`crypto.match_key`): N'Diaye is Ndiaye.
    """
    return crypto.blind_index(crypto.match_key(f"{family_name} {given_names}"), purpose=NAME_INDEX_PURPOSE)


def name_search_indexes(query: str) -> set[str]:
    """Return the indexes a typed name may match (family name first or last)."""
    words = crypto.normalise_for_index(query).split()
    if not words:
        return set()
    return {
        crypto.blind_index("".join(words[split:] + words[:split]), purpose=NAME_INDEX_PURPOSE)
        for split in range(len(words))
    }


@transaction.atomic
def case_open(
    *,
    actor: User | None,
    given_names: str,
    family_name: str,
    date_of_birth: datetime.date | None,
    sex: str,
    nationality: str,
    country_of_return: str,
    office: Office | None = None,
    opened_on: datetime.date | None = None,
    safe_contact: dict[str, str] | None = None,
    is_minor: bool = False,
    programme: Programme | None = None,
) -> Case:
    """Open a case under a new data key; the personal data is encrypted at rest."""
    opened_on = opened_on or timezone.localdate()
    case = Case(
        reference=next_reference("CARE", opened_on.year, width=3),
        office=office,
        data_key=DataKey.generate(),
        sex=sex,
        nationality=nationality,
        country_of_return=country_of_return,
        birth_year=date_of_birth.year if date_of_birth else None,
        opened_on=opened_on,
        is_minor=is_minor,
        programme=programme,
        person_index=person_index(given_names=given_names, family_name=family_name, date_of_birth=date_of_birth),
        name_index=name_index(given_names=given_names, family_name=family_name),
    )
    case.given_names = given_names
    case.family_name = family_name
    case.date_of_birth = date_of_birth
    case.safe_contact = safe_contact
    case.full_clean(exclude=[f.name for f in encrypted_fields(Case)])
    case.save()
    _event(case, actor, "opened")
    record_event(
        action=AuditAction.CREATE,
        obj=case,
        actor=actor,
        fields=[f.name for f in encrypted_fields(Case)] + ["sex", "nationality", "country_of_return"],
    )
    return case


def case_open_from_referral(*, actor: User, referral: Referral, opened_on: datetime.date) -> Case:
    """Open the case of an accepted referral, with its consents; the return office if only one."""
    offices = list(
        Office.objects.filter(country=str(referral.country_of_return), kind="return_country", active=True)[:2]
    )
    case = case_open(
        actor=actor,
        given_names=referral.given_names or "",
        family_name=referral.family_name or "",
        date_of_birth=referral.date_of_birth,
        sex=referral.sex,
        nationality=str(referral.nationality),
        country_of_return=str(referral.country_of_return),
        office=offices[0] if len(offices) == 1 else None,
        opened_on=opened_on,
        is_minor=referral.is_minor,
        programme=referral.programme,
    )
    if referral.consent_data_processing:
        Consent.objects.create(
            case=case, scope=ConsentScope.DATA_PROCESSING, given_on=referral.consent_date, recorded_by=actor
        )
    return case


def case_view_record(*, actor: User, case: Case, reason: str = "", part: str = "") -> None:
    """Record that the actor read (a part of) the case file (with the reason, for a restricted case)."""
    fields = [name for name in (part, "reason" if reason else "") if name]
    if not case.restricted:
        # The event alone, in a transaction of its own (two round trips on PostgreSQL, not four).
        record_event(action=AuditAction.VIEW, obj=case, actor=actor, fields=fields)
        return
    with transaction.atomic():
        # The row gets its id first: the encrypted reason is bound to it.
        view = RestrictedView.objects.create(case=case, user=actor)
        view.reason = reason
        view.save(update_fields=["reason"])
        record_event(action=AuditAction.VIEW, obj=case, actor=actor, fields=fields)


def ensure_writable(case: Case) -> None:
    """Refuse any change to a closed case (a coordinator reopens it first)."""
    if Case.objects.filter(pk=case.pk, status=CaseStatus.CLOSED).exists():
        raise RuleViolation(_("This case is closed and read-only. A coordinator can reopen it with a reason."))


@transaction.atomic
def case_transition(
    *, actor: User, case: Case, target: str, expected_version: int, reason: str = "", closure_reason: str = ""
) -> Case:
    """Move a case to another status if the transition is allowed and its guards are met.

    Returning creates the follow-up plan; closing needs a closure reason from the list.
    """
    case = lock_for_edit(Case.objects.select_related("data_key"), case.pk, expected_version)
    facts = case_facts(case)
    if target not in workflow.allowed_targets(facts):
        raise TransitionBlocked(_("This change of status is not possible from the current status."))
    if workflow.needs_reason(facts, target) and not reason.strip():
        raise RuleViolation(_("Give the reason for this change of status."))
    missing = workflow.missing_requirements(facts, target)
    if missing:
        raise TransitionBlocked(
            _("Requirements missing: %(items)s") % {"items": " ".join(missing)}, extra={"missing": missing}
        )
    if target == CaseStatus.CLOSED and closure_reason not in ClosureReason.values:
        raise RuleViolation(_("Choose the reason for closing the case."))
    old = case.status
    case.status_before_suspension = old if target == CaseStatus.SUSPENDED else ""
    case.status = target
    if target == CaseStatus.CLOSED:
        case.closure_reason, case.closed_on = closure_reason, timezone.localdate()
    elif old == CaseStatus.CLOSED:
        case.closure_reason, case.closed_on = "", None
    case.save(update_fields=["status", "status_before_suspension", "closure_reason", "closed_on"])
    if target == CaseStatus.RETURNED and old == CaseStatus.READY_TO_DEPART:
        followup_plan_create(actor=actor, case=case)
    touch(case)
    _event(case, actor, "transition", **{"from": old, "to": target, "reason": bool(reason.strip())})
    record_event(action=AuditAction.TRANSITION, obj=case, actor=actor, fields=["status"])
    return case


def followup_plan_create(*, actor: User, case: Case) -> list[Visit]:
    """Schedule the default visits 1, 3, 6 and 12 months after arrival (when the case returns)."""
    arrival = Departure.objects.get(case=case).arrival_on
    assert arrival is not None  # guaranteed by the returned transition's guards
    visits = [Visit.objects.create(case=case, planned_on=add_months(arrival, months)) for months in FOLLOW_UP_MONTHS]
    _event(case, actor, "section_saved", label=gettext_lazy("Follow-up plan"))
    return visits


def changed_fields(instance: models.Model, values: Mapping[str, object]) -> list[str]:
    """Return the names of the fields whose stored value differs from the given one."""
    return sorted(name for name, value in values.items() if getattr(instance, name) != value)


@transaction.atomic
def section_save(
    *,
    actor: User,
    case: Case,
    model: type[SectionRecord],
    values: dict[str, Any],  # the form's cleaned values, each of its field's type
    expected_version: int | None,
    label: str | Promise,
) -> SectionRecord:
    """Create or update a one-per-case record, refusing a stale edit with the fields that changed.

    `expected_version` is None when the form was opened on a record that did not exist yet.
    """
    ensure_writable(case)
    case = lock_for_edit(Case.objects.select_related("data_key"), case.pk, None)
    instance = lock_for_upsert(model, expected_version, compare=values, case=case)
    creating = instance is None
    if instance is None:
        instance = model(case=case, updated_by=actor)
        if isinstance(instance, BestInterestsDetermination):
            instance.author = actor
        changed = sorted(values)
    else:
        instance.case = case
        changed = changed_fields(instance, values)
        instance.updated_by = actor
    for name, value in values.items():
        setattr(instance, name, value)
    if isinstance(instance, RiskAssessment) and "overall" in changed:
        instance.approved_by, instance.approved_at = None, None  # a new rating needs a new approval
    if isinstance(instance, BestInterestsDetermination) and changed:
        instance.approved_by, instance.approved_at = None, None
    if creating:
        instance.save()
    else:
        bump(instance)
    touch(case)
    _event(case, actor, "section_saved", label=label)
    record_event(
        action=AuditAction.CHANGE, obj=case, actor=actor, fields=[f"{model._meta.model_name}.{n}" for n in changed]
    )
    return instance


@transaction.atomic
def case_plan_save(
    *,
    actor: User,
    case: Case,
    expected_version: int,
    planned_departure_on: datetime.date | None,
    safe_contact: dict[str, str],
) -> Case:
    """Record the planned departure and the safe-contact preferences (version-checked)."""
    ensure_writable(case)
    case = lock_for_edit(Case.objects.select_related("data_key"), case.pk, expected_version)
    changed = [
        name
        for name, value in (("planned_departure_on", planned_departure_on), ("safe_contact", safe_contact))
        if getattr(case, name) != value
    ]
    case.planned_departure_on = planned_departure_on
    case.safe_contact = safe_contact
    case.save(update_fields=["planned_departure_on", "safe_contact"])  # the restriction is never touched here
    touch(case)
    _event(case, actor, "section_saved", label=gettext_lazy("Departure and safe contact"))
    record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=changed)
    return case


@transaction.atomic
def risk_approve(*, actor: User, case: Case) -> RiskAssessment:
    """Approve a high overall risk (a coordinator)."""
    ensure_writable(case)
    risk = RiskAssessment.objects.select_for_update().filter(case=case).first()
    if risk is None or not rules.may_approve_risk(actor, risk):
        raise RuleViolation(_("Only a completed assessment with a high overall risk needs an approval."))
    risk.approved_by, risk.approved_at = actor, timezone.now()
    risk.save(update_fields=["approved_by", "approved_at"])
    touch(case)
    _event(case, actor, "risk_approved")
    record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=["risk_assessment.approved_by"])
    return risk


@transaction.atomic
def bid_approve(*, actor: User, case: Case) -> BestInterestsDetermination:
    """Approve the best-interests determination; its author cannot approve it."""
    ensure_writable(case)
    bid = BestInterestsDetermination.objects.select_for_update().filter(case=case).first()
    if bid is None:
        raise RuleViolation(_("There is no best-interests determination to approve."))
    if not rules.may_approve_bid(actor, bid):
        raise RuleViolation(_("The author of the best-interests determination cannot approve it."))
    bid.approved_by, bid.approved_at = actor, timezone.now()
    bid.save(update_fields=["approved_by", "approved_at"])
    touch(case)
    _event(case, actor, "bid_approved")
    record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=["best_interests.approved_by"])
    return bid


@transaction.atomic
def opportunity_add(*, actor: User, case: Case, kind: str, description: str, verified_on: datetime.date) -> Opportunity:
    ensure_writable(case)
    opportunity = Opportunity(case=case, kind=kind, verified_by=actor, verified_on=verified_on)
    opportunity.description = description
    opportunity.save()
    touch(case)
    _event(case, actor, "opportunity_added")
    record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=["opportunities"])
    return opportunity


@transaction.atomic
def consent_record(*, actor: User, case: Case, scope: str, given_on: datetime.date) -> Consent:
    """Record a consent; the same scope cannot be active twice."""
    ensure_writable(case)
    if case.consents.filter(scope=scope, withdrawn_on__isnull=True).exists():
        raise RuleViolation(_("This consent is already recorded."))
    consent = Consent.objects.create(case=case, scope=scope, given_on=given_on, recorded_by=actor)
    touch(case)
    _event(case, actor, "consent_given", scope=scope)
    record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=[f"consent:{scope}"])
    return consent


@transaction.atomic
def consent_withdraw(*, actor: User, consent: Consent, withdrawn_on: datetime.date) -> Consent:
    """Record the withdrawal of a consent (the sharing with the return office then stops)."""
    ensure_writable(consent.case)
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_on is not None:
        raise RuleViolation(_("This consent was already withdrawn."))
    consent.withdrawn_on, consent.withdrawn_by = withdrawn_on, actor
    consent.save(update_fields=["withdrawn_on", "withdrawn_by"])
    touch(consent.case)
    _event(consent.case, actor, "consent_withdrawn", scope=consent.scope)
    record_event(action=AuditAction.CHANGE, obj=consent.case, actor=actor, fields=[f"consent:{consent.scope}"])
    return consent


@transaction.atomic
def handover_send(*, actor: User, case: Case, office: Office, expected_version: int) -> Handover:
    """Assign the case to an office of the country of return and ask it to acknowledge."""
    ensure_writable(case)
    case = lock_for_edit(Case.objects.select_related("data_key"), case.pk, expected_version)
    if office.kind != "return_country":
        raise RuleViolation(_("Choose an office in a country of return."))
    if not office.active:
        raise RuleViolation(_("This office is deactivated: choose an active office."))
    if not case.consents.filter(scope=ConsentScope.SHARE_RETURN_OFFICE, withdrawn_on__isnull=True).exists():
        raise RuleViolation(_("The person has not consented to share data with the office in the country of return."))
    case.office = office
    case.save(update_fields=["office"])  # the restriction is kept as it is
    touch(case)
    handover = Handover.objects.create(
        case=case, office=office, sent_by=actor, due_on=timezone.localdate() + datetime.timedelta(days=HANDOVER_DAYS)
    )
    _event(case, actor, "handover_sent", office=office.name)
    record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=["office", "handover"])
    return handover


@transaction.atomic
def handover_acknowledge(*, actor: User, handover: Handover) -> Handover:
    handover = Handover.objects.select_for_update().select_related("office", "case").get(pk=handover.pk)
    if handover.acknowledged_at is not None:
        raise RuleViolation(_("This handover was already acknowledged."))
    handover.acknowledged_at, handover.acknowledged_by = timezone.now(), actor
    handover.save(update_fields=["acknowledged_at", "acknowledged_by"])
    _event(handover.case, actor, "handover_acknowledged", office=handover.office.name)
    record_event(action=AuditAction.CHANGE, obj=handover.case, actor=actor, fields=["handover"])
    return handover


@transaction.atomic
def note_add(*, actor: User, case: Case, body: str) -> CaseNote:
    ensure_writable(case)
    note = CaseNote(case=case, author=actor)
    note.body = body
    note.save()
    _event(case, actor, "note_added")
    record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=["notes"])
    return note


@transaction.atomic
def attachment_add(*, actor: User, case: Case, filename: str, content: bytes, content_type: str) -> CaseAttachment:
    ensure_writable(case)
    attachment = CaseAttachment(case=case, content_type=content_type, size=len(content), uploaded_by=actor)
    attachment.filename = filename
    attachment.content = content
    attachment.save()
    _event(case, actor, "attachment_added")
    record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=["attachments"])
    return attachment


def attachment_download_record(*, actor: User, case: Case, attachment: CaseAttachment) -> None:
    """Record that a document of the case was downloaded."""
    record_event(action=AuditAction.VIEW, obj=attachment, actor=actor)


@transaction.atomic
def restriction_set(*, actor: User, case: Case, restricted: bool, users: list[User], expected_version: int) -> Case:
    """Restrict a case to named users (the actor stays among them) or lift the restriction."""
    ensure_writable(case)
    case = lock_for_edit(Case.objects.select_related("data_key"), case.pk, expected_version)
    case.restricted = restricted
    case.save(update_fields=["restricted"])
    named = {user.pk: user for user in users}
    if restricted:
        named[actor.pk] = actor
    case.restricted_users.set(list(named.values()) if restricted else [])
    touch(case)
    _event(case, actor, "restriction_changed")
    record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=["restricted", "restricted_users"])
    return case


def _models_keyed_by(path: str) -> list[type[models.Model]]:
    """Return the models whose encrypted fields use the data key found at `path`."""
    return [model for model in apps.get_models() if any(f.key_field == path for f in encrypted_fields(model))]


def _models_keyed_by_case() -> list[type[models.Model]]:
    """Return the models whose encrypted fields use the case's data key."""
    return _models_keyed_by("case.data_key")


def destroy_data_keys(key_ids: set[UUID], *, at: datetime.datetime) -> None:
    """Destroy data keys for good: their wrapped material is dropped and no cached copy is kept."""
    DataKey.objects.filter(pk__in=key_ids).update(wrapped=None, destroyed_at=at)
    for key_id in key_ids:
        crypto.forget_key(key_id)


def shred_referrals(referrals: models.QuerySet[Referral], *, at: datetime.datetime) -> None:
    """Crypto-shred referrals inside the caller's transaction, the one way both erasures do it.

    Their data keys are destroyed; their encrypted columns, and their screenings' and decisions',
    are overwritten with tombstones; their blind indexes (person and name) are cleared, so no
    search or duplicate check finds them again; they are marked erased. Used by `case_erase` for
    the referral a case came from and by `referrals.services.referral_erase` for a referral that
    never became a case.
    """
    referral_model = referrals.model
    destroy_data_keys(set(referrals.values_list("data_key_id", flat=True)), at=at)
    for model in _models_keyed_by("referral.data_key"):
        model._default_manager.filter(referral__in=referrals).update(**tombstones(model))
    referrals.update(person_index="", name_index="", erased_at=at, **tombstones(referral_model))


@transaction.atomic
def case_erase(*, actor: User | None, case: Case) -> Case:
    """Crypto-shred a case: destroy its data key so its encrypted data can never be read again.

    Aggregate fields (status, sex, nationality, country, year of birth) stay; the blind index
    that could link the person to another record is removed. The referral the case came from
    (its data moved under the case's key at acceptance) is shredded with it: its encrypted
    columns, its screenings' and decisions', and its blind indexes (`shred_referrals`).
    """
    case = Case.objects.select_for_update().select_related("data_key").get(pk=case.pk)
    if case.erased_at is not None:
        raise RuleViolation("This case was already erased.")
    now = timezone.now()
    referral_model = apps.get_model("referrals", "Referral")
    shred_referrals(referral_model._default_manager.filter(case=case), at=now)
    destroy_data_keys({case.data_key_id}, at=now)
    Case.objects.filter(pk=case.pk).update(person_index="", name_index="", erased_at=now, **tombstones(Case))
    for model in _models_keyed_by_case():
        model._default_manager.filter(case=case).update(**tombstones(model))
    record_event(action=AuditAction.ERASE, obj=case, actor=actor)
    return Case.objects.select_related("data_key", "office").get(pk=case.pk)
