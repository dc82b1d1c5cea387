"""State changes on referrals: submission, screening, decision (which may open a case), erasure."""

from __future__ import annotations

import datetime
from functools import partial
from typing import Any
from uuid import UUID

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from careplus.access import rules
from careplus.access.offices import may_refer_for
from careplus.accounts.models import Organisation, User
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.cases import services as case_services
from careplus.cases.models import Case
from careplus.cases.workflow import is_minor_on
from careplus.core import crypto, instruments
from careplus.core.errors import DomainError, RuleViolation
from careplus.core.fields import encrypted_fields
from careplus.core.locking import bump, lock_for_edit
from careplus.core.models import DataKey
from careplus.core.numbering import next_reference
from careplus.programmes.models import Programme
from careplus.referrals import eligibility, screening, selectors
from careplus.referrals.choices import OUTCOME_STATUS, Channel, DecisionOutcome, ReferralStatus
from careplus.referrals.models import Referral, ReferralDecision, Screening

ILO_INSTRUMENT = "ilo_indicators"
ELIGIBILITY_INSTRUMENT = "eligibility"


class PossibleDuplicate(DomainError):
    """A referral of the same person (same normalised name and date of birth) already exists."""

    code = "possible_duplicate"


def duplicates_of(*, index: str, organisation: Organisation | None = None) -> list[Referral]:
    """Return referrals with the same person index (optionally of one organisation only)."""
    found = Referral.objects.filter(person_index=index)
    if organisation is not None:
        found = found.filter(organisation=organisation)
    return list(found.only("id", "reference", "organisation_id"))


def referral_refusal(*, actor: User, organisation: Organisation) -> str:
    """Say why the actor may not refer in the organisation's name now, or return "" (access rule: may_refer_for)."""
    if may_refer_for(actor, organisation):
        return ""
    if not organisation.active:
        return _("%(organisation)s is deactivated: no referral can be sent in its name.") % {
            "organisation": organisation.name
        }
    if organisation.referrals_suspended:
        return _(
            "The referral portal of %(organisation)s is suspended: you can follow your past referrals, but not "
            "send new ones. Contact the programme coordination."
        ) % {"organisation": organisation.name}
    return _("You cannot send referrals in the name of this organisation.")


@transaction.atomic
def referral_submit(
    *,
    actor: User,
    programme: Programme,
    organisation: Organisation,
    channel: str,
    received_on: datetime.date,
    person: dict[str, Any],  # the form's cleaned values, each of its field's type
    confirm_duplicate: bool = False,
) -> Referral:
    """Record a referral with its person data encrypted under a new data key.

    A possible duplicate (same normalised name and date of birth) is refused unless confirmed.
    A partner is only told about duplicates within their own organisation; the coordinator sees
    the flag on every referral.
    """
    refusal = referral_refusal(actor=actor, organisation=organisation)
    if refusal:
        raise RuleViolation(refusal, extra={"rule": "referral_portal"})
    index = case_services.person_index(
        given_names=person["given_names"],
        family_name=person["family_name"],
        date_of_birth=person.get("date_of_birth"),
    )
    across_organisations = rules.enters_for_any_organisation(actor)
    visible_duplicates = duplicates_of(index=index, organisation=None if across_organisations else organisation)
    if visible_duplicates and not confirm_duplicate:
        raise PossibleDuplicate(
            _(
                "A referral for a person with the same name and date of birth already exists (%(refs)s). "
                "Check, then confirm to send it anyway."
            )
            % {"refs": ", ".join(r.reference for r in visible_duplicates)},
            extra={"references": [r.reference for r in visible_duplicates]},
        )
    referral = Referral(
        programme=programme,
        reference=next_reference("ORI", received_on.year),
        organisation=organisation,
        channel=channel,
        submitted_by=actor,
        received_on=received_on,
        data_key=DataKey.generate(),
        person_index=index,
        name_index=case_services.name_index(given_names=person["given_names"], family_name=person["family_name"]),
        possible_duplicate=bool(duplicates_of(index=index)),
        is_minor=is_minor_on(
            date_of_birth=person.get("date_of_birth"), estimated_age=person.get("estimated_age"), day=received_on
        ),
    )
    for name, value in person.items():
        setattr(referral, name, value)
    referral.full_clean(exclude=[f.name for f in encrypted_fields(Referral)])
    referral.save()
    record_event(
        action=AuditAction.CREATE,
        obj=referral,
        actor=actor,
        fields=sorted(person.keys()),
    )
    return referral


def current_eligibility(referral: Referral) -> tuple[list[eligibility.RuleResult], str]:
    """Evaluate the eligibility rules now; return the results and the parameters' version."""
    params = instruments.current(ELIGIBILITY_INSTRUMENT)
    programme = referral.programme
    accepted = Referral.objects.filter(programme=programme, status=ReferralStatus.ACCEPTED).count()
    facts = eligibility.Facts(
        identification_status=referral.identification_status,
        departement=referral.departement,
        wishes_voluntary_return=referral.wishes_voluntary_return,
        country_of_return=str(referral.country_of_return),
        is_minor=referral.is_minor,
        has_guardian=bool(referral.guardian_name),
        received_on=referral.received_on,
        programme_starts_on=programme.starts_on,
        programme_ends_on=programme.ends_on,
        target_beneficiaries=programme.target_beneficiaries,
        accepted_so_far=accepted,
    )
    return eligibility.evaluate(facts, params.data), params.version


def programme_closed_problem(programme: Programme, day: datetime.date, current: Programme | None) -> str:
    """Say why a referral cannot join a programme on a day (empty when its period covers the day)."""
    if programme.covers(day):
        return ""
    values = {
        "programme": programme.name,
        "start": programme.starts_on.strftime("%d/%m/%Y"),
        "end": programme.ends_on.strftime("%d/%m/%Y"),
    }
    if current is not None and current.pk != programme.pk:
        return _(
            "The programme “%(programme)s” runs from %(start)s to %(end)s: a referral can no longer join it. "
            "Choose the current programme, “%(current)s”."
        ) % {**values, "current": current.name}
    return (
        _(
            "The programme “%(programme)s” runs from %(start)s to %(end)s: a referral can no longer join it, "
            "and no programme covers today. A coordinator must first create or extend a programme."
        )
        % values
    )


def _acceptance_programme(
    chosen: Programme, day: datetime.date, *, confirmed: bool, reason: str
) -> tuple[Programme, str]:
    """Check the programme an accepted referral joins; return it and the beyond-target note (or "").

    The programme's row is locked until the decision commits, before its beneficiaries are counted: two
    acceptances at the same moment are counted one after the other, so both cannot take the last place.
    """
    chosen = Programme.objects.select_for_update().get(pk=chosen.pk)
    problem = programme_closed_problem(chosen, day, selectors.programme_covering(day))
    if problem:
        raise RuleViolation(problem)
    accepted = Referral.objects.filter(programme=chosen, status=ReferralStatus.ACCEPTED).count()
    problem = beyond_target_problem(
        accepted=accepted, target=chosen.target_beneficiaries, confirmed=confirmed, reason=reason
    )
    if problem:
        raise RuleViolation(problem)
    if accepted < chosen.target_beneficiaries:
        return chosen, ""
    return chosen, _("Beyond the target (%(count)d / %(target)d): %(reason)s") % {
        "count": accepted + 1,
        "target": chosen.target_beneficiaries,
        "reason": reason.strip(),
    }


def acceptance_needs(referral: Referral, day: datetime.date) -> tuple[bool, bool]:
    """Tell whether accepting on a day needs another programme, and a confirmation beyond the target."""
    programme = referral.programme
    accepted = Referral.objects.filter(programme=programme, status=ReferralStatus.ACCEPTED).count()
    return not programme.covers(day), accepted >= programme.target_beneficiaries


def beyond_target_problem(*, accepted: int, target: int, confirmed: bool, reason: str) -> str:
    """Say what is missing to accept one more beneficiary beyond the target (empty when nothing is)."""
    if accepted < target:
        return ""
    if not confirmed or not reason.strip():
        return _(
            "The programme already assists %(count)d beneficiaries for a target of %(target)d: "
            "to go beyond the target, confirm it and give the reason."
        ) % {"count": accepted, "target": target}
    return ""


@transaction.atomic
def screening_record(*, actor: User, referral: Referral, indicator_list: str, present: list[str]) -> Screening:
    """Score the indicators ticked for a referral and keep the result with the instrument version."""
    if referral.erased_at is not None:
        raise RuleViolation(_("The personal data of this referral was erased: nothing more can be recorded on it."))
    if not rules.referral_screenable(actor, referral):
        raise RuleViolation(_("A referral that has been decided can no longer be screened."))
    instrument = instruments.current(ILO_INSTRUMENT)
    list_data = instrument.data["lists"][indicator_list]
    known = screening.known_indicators(list_data)
    unknown = sorted(set(present) - set(known))
    if unknown:
        raise RuleViolation(_("Unknown indicators: %(codes)s.") % {"codes": ", ".join(unknown)})
    result = screening.evaluate(list_data, present, child=referral.is_minor or indicator_list.startswith("child"))
    item = Screening(referral=referral, instrument=instrument, indicator_list=indicator_list, done_by=actor)
    item.answers = sorted(present)
    item.result = result.as_json()
    item.save()
    record_event(action=AuditAction.CHANGE, obj=referral, actor=actor, fields=["screening"])
    return item


def _rekey_under(referral: Referral, case: Case) -> None:
    """Move the referral's encrypted values under the case's data key and destroy the old key."""
    old_key = referral.data_key
    dependants: list[Screening | ReferralDecision] = [*referral.screenings.all(), *referral.decisions.all()]
    values = {f.attname: getattr(referral, f.attname) for f in encrypted_fields(Referral)}
    dependant_values = [
        (obj, {f.attname: getattr(obj, f.attname) for f in encrypted_fields(type(obj))}) for obj in dependants
    ]
    referral.data_key = case.data_key
    for name, value in values.items():
        setattr(referral, name, value)
    for obj, fields in dependant_values:
        obj.referral = referral
        for name, value in fields.items():
            setattr(obj, name, value)
        obj.save()
    DataKey.objects.filter(pk=old_key.pk).update(wrapped=None, destroyed_at=timezone.now())
    crypto.forget_key(old_key.pk)


@transaction.atomic
def referral_decide(
    *,
    actor: User,
    referral: Referral,
    outcome: str,
    expected_version: int,
    reason: str = "",
    redirected_to: str = "",
    override_reason: str = "",
    decided_on: datetime.date | None = None,
    programme: Programme | None = None,
    beyond_target_confirmed: bool = False,
    beyond_target_reason: str = "",
) -> ReferralDecision:
    """Decide on a received referral; accepting opens a case and moves the data under its key.

    Accepting joins a programme whose period covers the day of the decision (``programme`` may name
    another one than the referral's); going beyond its target needs a confirmation and a reason.
    """
    rows = Referral.objects.select_related("data_key", "programme")
    referral = lock_for_edit(rows, referral.pk, expected_version, required=True)
    if referral.erased_at is not None:
        raise RuleViolation(_("The personal data of this referral was erased: nothing more can be recorded on it."))
    if not rules.referral_decidable(actor, referral):
        raise RuleViolation(_("This referral has already been decided."))
    outcome = DecisionOutcome(outcome)
    programme_before = referral.programme_id
    results, version = current_eligibility(referral)
    failures = eligibility.failed(results)
    if outcome == DecisionOutcome.NOT_ELIGIBLE and not reason.strip():
        raise RuleViolation(_("Give the reason why the referral is not eligible."))
    if outcome == DecisionOutcome.REDIRECT and not redirected_to.strip():
        raise RuleViolation(_("Say to which organisation or mechanism the person is redirected."))
    if outcome == DecisionOutcome.ACCEPT and failures and not override_reason.strip():
        raise RuleViolation(
            _("These rules fail: %(rules)s. Accepting needs an explicit reason for the override.")
            % {"rules": "; ".join(r.message for r in failures)}
        )
    beyond = ""
    if outcome == DecisionOutcome.ACCEPT:
        referral.programme, beyond = _acceptance_programme(
            programme or referral.programme,
            decided_on or timezone.localdate(),
            confirmed=beyond_target_confirmed,
            reason=beyond_target_reason,
        )
    decision = ReferralDecision(
        referral=referral,
        outcome=outcome,
        redirected_to=redirected_to.strip(),
        eligibility=[r.as_json() for r in results],
        eligibility_version=version,
        decided_by=actor,
    )
    decision.reason = reason.strip()
    decision.override_reason = (
        "\n".join(text for text in (override_reason.strip(), beyond) if text)
        if outcome == DecisionOutcome.ACCEPT
        else ""
    )
    decision.save()
    if outcome == DecisionOutcome.ACCEPT:
        case = case_services.case_open_from_referral(
            actor=actor, referral=referral, opened_on=decided_on or timezone.localdate()
        )
        _rekey_under(referral, case)
        referral.case = case
    referral.status = OUTCOME_STATUS[outcome]
    bump(referral)
    changed = ["status"]
    if outcome == DecisionOutcome.ACCEPT and referral.programme_id != programme_before:
        changed.append("programme")
    if beyond:
        changed.append("beyond_target")
    record_event(action=AuditAction.TRANSITION, obj=referral, actor=actor, fields=changed)
    transaction.on_commit(partial(notify_referrer, referral_id=referral.pk))
    return decision


def erasure_refusal(referral: Referral) -> str:
    """Say why a referral cannot be erased on its own, or return "" when it can.

    A referral that became a case file is part of that file: it is erased with it, by the case
    file's erasure, which the message names.
    """
    if referral.case_id is not None:
        reference = Case.objects.filter(pk=referral.case_id).values_list("reference", flat=True).first()
        return _(
            "This referral became case file %(case)s: ask for the erasure of case file %(case)s, "
            "which erases the referral with it."
        ) % {"case": reference}
    if referral.erased_at is not None:
        return _("This referral was already erased.")
    return ""


@transaction.atomic
def referral_erase(*, actor: User | None, referral: Referral) -> Referral:
    """Crypto-shred a referral that never became a case (GDPR art. 17; privacy.erasure approves it).

    Its data key is destroyed and every encrypted value of it, its screenings and its decisions is
    overwritten; its blind indexes are cleared, so that no name search or duplicate check finds it
    again (`cases.services.shred_referrals`, shared with the erasure of a case file). Statistical
    fields stay (status, dates, sex, nationality, country of return, forms of exploitation). A
    referral still awaiting a decision is closed as withdrawn: with no data left, nobody can decide it.
    Refused for a referral that became a case: the case file's erasure is the way.
    """
    referral = lock_for_edit(Referral, referral.pk, None)
    refusal = erasure_refusal(referral)
    if refusal:
        raise RuleViolation(refusal, extra={"rule": "referral_has_case" if referral.case_id else "already_erased"})
    changed = ["erased_at"]
    if referral.status == ReferralStatus.RECEIVED:
        referral.status = ReferralStatus.WITHDRAWN
        changed.append("status")
    bump(referral, "status")
    case_services.shred_referrals(Referral.objects.filter(pk=referral.pk), at=timezone.now())
    record_event(action=AuditAction.ERASE, obj=referral, actor=actor, fields=changed)
    return Referral.objects.select_related("data_key", "organisation").get(pk=referral.pk)


def notify_referrer(*, referral_id: UUID) -> None:
    """Tell the referring organisation the outcome, without any personal detail."""
    referral = Referral.objects.select_related("submitted_by", "data_key").get(pk=referral_id)
    recipients = []
    if referral.submitted_by is not None and referral.channel == Channel.PORTAL:
        recipients.append(referral.submitted_by.email)
    contact = referral.referrer_contact
    if isinstance(contact, str) and "@" in contact and contact not in recipients:
        recipients.append(contact.strip())
    if not recipients:
        return
    language = referral.submitted_by.language if referral.submitted_by else "fr"
    with translation.override(language):
        context = {
            "reference": referral.reference,
            "status": referral.get_status_display(),
            "guidance": selectors.referrer_guidance(referral),
        }
        subject = _("CARE+: decision on referral %(reference)s") % {"reference": referral.reference}
        body = render_to_string("referrals/email/decision.txt", context)
    send_mail(subject, body, None, recipients)
