"""State changes on case files."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from careplus.accounts.models import Office, User
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.cases.models import Case, CaseAttachment
from careplus.core import crypto
from careplus.core.errors import RuleViolation
from careplus.core.fields import encrypted_fields, tombstones
from careplus.core.models import DataKey
from careplus.core.numbering import next_reference

PERSON_INDEX_PURPOSE = "person"


def person_index(*, given_names: str, family_name: str, date_of_birth: datetime.date | None) -> str:
    """Return the blind index of a person's normalised name and date of birth."""
    birth = date_of_birth.isoformat() if date_of_birth else ""
    return crypto.blind_index(f"{family_name} {given_names} {birth}", purpose=PERSON_INDEX_PURPOSE)


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
    safe_contact: dict[str, Any] | None = None,
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
        person_index=person_index(given_names=given_names, family_name=family_name, date_of_birth=date_of_birth),
    )
    case.given_names = given_names
    case.family_name = family_name
    case.date_of_birth = date_of_birth
    case.safe_contact = safe_contact
    case.full_clean(exclude=[f.name for f in encrypted_fields(Case)])
    case.save()
    record_event(
        action=AuditAction.CREATE,
        obj=case,
        actor=actor,
        fields=[f.name for f in encrypted_fields(Case)] + ["sex", "nationality", "country_of_return"],
    )
    return case


def case_open_from_referral(*, actor: User, referral: Any, opened_on: datetime.date) -> Case:
    """Open the case of an accepted referral; the office of its country of return if only one."""
    offices = list(Office.objects.filter(country=str(referral.country_of_return), kind="return_country")[:2])
    return case_open(
        actor=actor,
        given_names=referral.given_names or "",
        family_name=referral.family_name or "",
        date_of_birth=referral.date_of_birth,
        sex=referral.sex,
        nationality=str(referral.nationality),
        country_of_return=str(referral.country_of_return),
        office=offices[0] if len(offices) == 1 else None,
        opened_on=opened_on,
    )


def case_view_record(*, actor: User, case: Case) -> None:
    """Record that the actor opened the case file."""
    record_event(action=AuditAction.VIEW, obj=case, actor=actor)


@transaction.atomic
def case_erase(*, actor: User | None, case: Case) -> Case:
    """Crypto-shred a case: destroy its data key so its encrypted data can never be read again.

    Aggregate fields (status, sex, nationality, country, year of birth) stay; the blind index
    that could link the person to another record is removed.
    """
    case = Case.objects.select_for_update().select_related("data_key").get(pk=case.pk)
    if case.erased_at is not None:
        raise RuleViolation("This case was already erased.")
    data_key = case.data_key
    DataKey.objects.filter(pk=data_key.pk).update(wrapped=None, destroyed_at=timezone.now())
    crypto.forget_key(data_key.pk)
    Case.objects.filter(pk=case.pk).update(person_index="", erased_at=timezone.now(), **tombstones(Case))
    CaseAttachment.objects.filter(case=case).update(**tombstones(CaseAttachment))
    record_event(action=AuditAction.ERASE, obj=case, actor=actor)
    case.refresh_from_db()
    return Case.objects.select_related("data_key", "office").get(pk=case.pk)
