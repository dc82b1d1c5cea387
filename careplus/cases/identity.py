"""Correction of a person's identity on a case file (GDPR art. 16 rectification).

A coordinator corrects the family name, given names, date of birth, sex or nationality recorded when
the file was opened. The names are checked by the one text check (`careplus.core.text`), the blind
indexes that search and duplicate detection read are recomputed, and a person already known under the
corrected identity is said before anything is saved (as for a referral). The audit log keeps the names
of the corrected fields and the mark that a reason was given, never the values; the reason itself is
kept encrypted with the file, as a note. An erased file cannot be corrected (nothing is left to correct).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django_countries import countries

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careplus.access.scopes import cases_visible_to, referrals_visible_to
from careplus.accounts.models import User
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.cases import services
from careplus.cases.choices import Sex
from careplus.cases.models import Case, CaseNote
from careplus.core.errors import RuleViolation
from careplus.core.text import clean_person_text
from careplus.referrals.models import Referral
from careplus.referrals.services import PossibleDuplicate

NAME_MAX = 100
REASON_MIN = 5
REASON_MAX = 500
IDENTITY_FIELDS = ("family_name", "given_names", "date_of_birth", "sex", "nationality")
_NAMES = {
    "family_name": lambda: _("family name"),
    "given_names": lambda: _("given names"),
    "date_of_birth": lambda: _("date of birth"),
    "sex": lambda: _("sex"),
    "nationality": lambda: _("nationality"),
}


class FieldRefused(RuleViolation):
    """One corrected value is refused; `field` names it so that the form shows the message beside it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, extra={"field": field})
        self.field = field


@dataclass(frozen=True)
class Identity:
    family_name: str
    given_names: str
    date_of_birth: datetime.date | None
    sex: str
    nationality: str


def current_identity(case: Case) -> Identity:
    """The identity the file records now (decrypted)."""
    return Identity(
        family_name=case.family_name or "",
        given_names=case.given_names or "",
        date_of_birth=case.date_of_birth,
        sex=case.sex,
        nationality=case.nationality,
    )


def may_correct(case: Case) -> bool:
    """Whether the file still holds an identity to correct (an erased file does not)."""
    return case.erased_at is None


def _name(field: str, value: str) -> str:
    try:
        text = clean_person_text(value)
    except ValidationError as error:
        raise FieldRefused(field, " ".join(error.messages)) from error
    if not text:
        raise FieldRefused(field, _("Give the %(field)s.") % {"field": _NAMES[field]()})
    if len(text) > NAME_MAX:
        raise FieldRefused(field, _("At most %(max)d characters.") % {"max": NAME_MAX})
    return text


def _checked(changes: dict[str, Any], current: Identity) -> Identity:
    """The corrected identity, each value checked; a field not given keeps its recorded value."""
    unknown = set(changes) - set(IDENTITY_FIELDS)
    if unknown:
        raise RuleViolation(_("Only the identity can be corrected here."), extra={"fields": sorted(unknown)})
    values = {name: getattr(current, name) for name in IDENTITY_FIELDS} | changes
    birth = values["date_of_birth"]
    if birth is not None and not isinstance(birth, datetime.date):
        raise FieldRefused("date_of_birth", _("Enter a valid date."))
    if birth is not None and birth > timezone.localdate():
        raise FieldRefused("date_of_birth", _("This date cannot be in the future."))
    if values["sex"] not in Sex.values:
        raise FieldRefused("sex", _("Choose a value from the list."))
    nationality = str(values["nationality"] or "").upper()
    if nationality and nationality not in countries:
        raise FieldRefused("nationality", _("Choose a country from the list."))
    return Identity(
        family_name=_name("family_name", str(values["family_name"] or "")),
        given_names=_name("given_names", str(values["given_names"] or "")),
        date_of_birth=birth,
        sex=values["sex"],
        nationality=nationality,
    )


def _reason(reason: str) -> str:
    try:
        text = clean_person_text(reason, multiline=True)
    except ValidationError as error:
        raise FieldRefused("reason", " ".join(error.messages)) from error
    if len(text) < REASON_MIN:
        raise FieldRefused("reason", _("Give the reason for this correction (a few words at least)."))
    if len(text) > REASON_MAX:
        raise FieldRefused("reason", _("At most %(max)d characters.") % {"max": REASON_MAX})
    return text


def _duplicates(actor: User, case: Case, index: str) -> None:
    """Refuse (until confirmed) an identity another file or referral already records."""
    other_cases = Case.objects.filter(person_index=index).exclude(pk=case.pk)
    other_referrals = Referral.objects.filter(person_index=index).exclude(case=case)
    if not (other_cases.exists() or other_referrals.exists()):
        return
    references = sorted(
        cases_visible_to(actor).filter(pk__in=other_cases.values("pk")).values_list("reference", flat=True)
    )
    references += sorted(
        referrals_visible_to(actor).filter(pk__in=other_referrals.values("pk")).values_list("reference", flat=True)
    )
    raise PossibleDuplicate(
        _(
            "A file or referral for a person with this name and date of birth already exists (%(refs)s). "
            "Check, then confirm to save the correction anyway."
        )
        % {"refs": ", ".join(references) or _("a file you cannot open")},
        extra={"references": references},
    )


@transaction.atomic
def identity_correct(
    *,
    actor: User,
    case: Case,
    changes: dict[str, Any],
    reason: str,
    expected_version: int,
    confirm_duplicate: bool = False,
) -> Case:
    """Correct the person's identity on the file (version-checked); return the file as saved.

    `changes` maps some of IDENTITY_FIELDS to their corrected values. Refused: an erased file, a
    value the checks refuse, no change at all, no reason, a stale version, and (unless confirmed)
    an identity that another file or referral already records.
    """
    if not may_correct(case):
        raise RuleViolation(_("The personal data of this file was erased: there is nothing left to correct."))
    case = services._lock(case, expected_version)
    if not may_correct(case):
        raise RuleViolation(_("The personal data of this file was erased: there is nothing left to correct."))
    before = current_identity(case)
    after = _checked(changes, before)
    changed = [name for name in IDENTITY_FIELDS if getattr(before, name) != getattr(after, name)]
    if not changed:
        raise RuleViolation(_("Nothing was changed: correct at least one value, or cancel."))
    why = _reason(reason)
    index = services.person_index(
        given_names=after.given_names, family_name=after.family_name, date_of_birth=after.date_of_birth
    )
    if index != case.person_index and not confirm_duplicate:
        _duplicates(actor, case, index)
    case.family_name = after.family_name
    case.given_names = after.given_names
    case.date_of_birth = after.date_of_birth
    case.sex = after.sex
    case.nationality = after.nationality
    case.birth_year = after.date_of_birth.year if after.date_of_birth else None
    case.person_index = index
    case.name_index = services.name_index(given_names=after.given_names, family_name=after.family_name)
    case.save(update_fields=[*IDENTITY_FIELDS, "birth_year", "person_index", "name_index"])
    note = CaseNote(case=case, author=actor)
    note.body = _("Identity corrected (%(fields)s). Reason: %(reason)s") % {
        "fields": ", ".join(_NAMES[name]() for name in changed),
        "reason": why,
    }
    note.save()
    services._bump(case)
    services._event(case, actor, "identity_corrected", fields=changed, reason=True)
    record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=[*changed, "reason"])
    return case
