"""Correction of a person's identity on a case file (GDPR art. 16 rectification).

A coordinator corrects the family name, given names, date of birth, sex or nationality recorded when
the file was opened. The names are checked by the one text check (`careplus.core.text`), the blind
indexes that search and duplicate detection read are recomputed, and a person already known under the
corrected identity is said before anything is saved (as for a referral). The audit log keeps the names
of the corrected fields and the mark that a reason was given, never the values; the reason itself is
kept encrypted with the file, as a note. An erased file cannot be corrected (nothing is left to correct).

The referral the file came from is corrected in the same transaction (its names, date of birth, sex,
nationality and blind indexes), so that name search and duplicate detection find the person under the
corrected identity only. A corrected date of birth recomputes whether the file follows the child
procedure, with the rule applied when the referral was recorded (`cases.workflow.is_minor_on`, on
the day the referral was received). A file that becomes a minor's after the step where the child
procedure is checked (ready to depart, returned, closed) is corrected all the same, since the correction
is true, and its summary shows an alert until the child procedure's steps are recorded.
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
from careplus.cases import selectors, services, workflow
from careplus.cases.choices import CaseStatus, Sex
from careplus.cases.models import Case, CaseEvent, CaseNote
from careplus.cases.workflow import MAX_AGE, is_minor_on
from careplus.core.errors import RuleViolation
from careplus.core.locking import bump, lock_for_edit, touch
from careplus.core.text import clean_person_text
from careplus.referrals.models import Referral
from careplus.referrals.services import PossibleDuplicate, duplicates_of

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


# changes: values from a form or the API, checked here
def _checked(changes: dict[str, Any], current: Identity) -> Identity:
    """The corrected identity, each value checked; a field not given keeps its recorded value."""
    unknown = set(changes) - set(IDENTITY_FIELDS)
    if unknown:
        raise RuleViolation(_("Only the identity can be corrected here."), extra={"fields": sorted(unknown)})
    values = {name: getattr(current, name) for name in IDENTITY_FIELDS} | changes
    birth = values["date_of_birth"]
    if birth is not None and (not isinstance(birth, datetime.date) or isinstance(birth, datetime.datetime)):
        raise FieldRefused("date_of_birth", _("Enter a valid date."))
    if birth is not None and birth > timezone.localdate():
        raise FieldRefused("date_of_birth", _("This date cannot be in the future."))
    if birth is not None and birth != current.date_of_birth and timezone.localdate().year - birth.year > MAX_AGE:
        raise FieldRefused("date_of_birth", _("This date of birth gives an age over 120 years."))
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


# Statuses a file reaches only through the guards of "ready to depart", where the child procedure is
# checked (a suspended file is judged by the status it left).
PAST_CHILD_CHECK = frozenset({CaseStatus.READY_TO_DEPART, CaseStatus.RETURNED, CaseStatus.CLOSED})
PROCEDURE_EVENT = "procedure_changed"


def _reference_day(case: Case, referral: Referral | None) -> datetime.date:
    """The day the child procedure is decided on: the referral's reception (the file's opening without one)."""
    return referral.received_on if referral is not None else case.opened_on


def minor_after_correction(case: Case, referral: Referral | None, date_of_birth: datetime.date | None) -> bool:
    """Whether the file follows the child procedure once its date of birth reads `date_of_birth`.

    The rule applied when the referral was recorded (`is_minor_on`), on the day it was received,
    from the date of birth, else the referral's estimated age. A date of birth removed with no
    estimated age known leaves the procedure as it was: nothing then shows that it was wrong.
    """
    estimated = referral.estimated_age if referral is not None else None
    if date_of_birth is None and estimated is None:
        return case.is_minor
    return is_minor_on(date_of_birth=date_of_birth, estimated_age=estimated, day=_reference_day(case, referral))


def _past_child_check(status: str, status_before_suspension: str) -> bool:
    return (status_before_suspension if status == CaseStatus.SUSPENDED else status) in PAST_CHILD_CHECK


def _correct_referral(actor: User, referral: Referral, after: Identity, *, minor: bool, index: str) -> None:
    """Give the file's referral the corrected identity and indexes; audit the fields it changed (names only)."""
    recorded = {
        "family_name": referral.family_name or "",
        "given_names": referral.given_names or "",
        "date_of_birth": referral.date_of_birth,
        "sex": referral.sex,
        "nationality": str(referral.nationality or ""),
    }
    changed = [name for name in IDENTITY_FIELDS if recorded[name] != getattr(after, name)]
    if referral.is_minor != minor:
        changed.append("is_minor")
    referral.family_name = after.family_name
    referral.given_names = after.given_names
    referral.date_of_birth = after.date_of_birth
    referral.sex = after.sex
    referral.nationality = after.nationality
    referral.is_minor = minor
    referral.person_index = index
    referral.name_index = services.name_index(given_names=after.given_names, family_name=after.family_name)
    referral.possible_duplicate = any(other.pk != referral.pk for other in duplicates_of(index=index))
    bump(referral, *IDENTITY_FIELDS, "is_minor", "person_index", "name_index", "possible_duplicate")
    if changed:
        record_event(action=AuditAction.CHANGE, obj=referral, actor=actor, fields=changed)


@transaction.atomic
def identity_correct(
    *,
    actor: User,
    case: Case,
    changes: dict[str, Any],  # from a form or the API: each value checked by _checked
    reason: str,
    expected_version: int,
    confirm_duplicate: bool = False,
) -> Case:
    """Correct the person's identity on the file and on its referral (version-checked); return the file as saved.

    `changes` maps some of IDENTITY_FIELDS to their corrected values. Refused: an erased file, a
    value the checks refuse (a date of birth in the future, unreadable, over 120 years ago or after
    the referral was received), no change at all, no reason, a stale version, and (unless confirmed)
    an identity that another file or referral already records. A corrected date of birth recomputes
    whether the child procedure applies (`minor_after_correction`); a switch is audited as `is_minor`
    and said on the timeline.
    """
    if not may_correct(case):
        raise RuleViolation(_("The personal data of this file was erased: there is nothing left to correct."))
    case = lock_for_edit(Case.objects.select_related("data_key"), case.pk, expected_version)
    if not may_correct(case):
        raise RuleViolation(_("The personal data of this file was erased: there is nothing left to correct."))
    before = current_identity(case)
    after = _checked(changes, before)
    changed = [name for name in IDENTITY_FIELDS if getattr(before, name) != getattr(after, name)]
    if not changed:
        raise RuleViolation(_("Nothing was changed: correct at least one value, or cancel."))
    why = _reason(reason)
    referral = Referral.objects.select_for_update().select_related("data_key").filter(case=case).first()
    minor = case.is_minor
    if "date_of_birth" in changed:
        day = _reference_day(case, referral)
        if after.date_of_birth is not None and after.date_of_birth > day:
            raise FieldRefused(
                "date_of_birth",
                _("The date of birth cannot be after the day the referral was received (%(day)s).")
                % {"day": day.strftime("%d/%m/%Y")},
            )
        minor = minor_after_correction(case, referral, after.date_of_birth)
    index = services.person_index(
        given_names=after.given_names, family_name=after.family_name, date_of_birth=after.date_of_birth
    )
    if index != case.person_index and not confirm_duplicate:
        _duplicates(actor, case, index)
    switched = minor != case.is_minor
    case.family_name = after.family_name
    case.given_names = after.given_names
    case.date_of_birth = after.date_of_birth
    case.sex = after.sex
    case.nationality = after.nationality
    case.birth_year = after.date_of_birth.year if after.date_of_birth else None
    case.person_index = index
    case.name_index = services.name_index(given_names=after.given_names, family_name=after.family_name)
    case.is_minor = minor
    case.save(update_fields=[*IDENTITY_FIELDS, "birth_year", "person_index", "name_index", "is_minor"])
    if referral is not None:
        _correct_referral(actor, referral, after, minor=minor, index=index)
    note = CaseNote(case=case, author=actor)
    note.body = _("Identity corrected (%(fields)s). Reason: %(reason)s") % {
        "fields": ", ".join(_NAMES[name]() for name in changed),
        "reason": why,
    }
    note.save()
    touch(case)
    services._event(case, actor, "identity_corrected", fields=changed, reason=True)
    if switched:
        services._event(
            case,
            actor,
            PROCEDURE_EVENT,
            procedure="child" if minor else "adult",
            flagged=minor and _past_child_check(case.status, case.status_before_suspension),
        )
    record_event(
        action=AuditAction.CHANGE,
        obj=case,
        actor=actor,
        fields=[*changed, *(["is_minor"] if switched else []), "reason"],
    )
    return case


def procedure_notice(case: Case, *, was_minor: bool) -> str:
    """What the coordinator is told after a correction that changed the procedure ("" when it did not)."""
    if case.is_minor == was_minor:
        return ""
    if not case.is_minor:
        return _(
            "The corrected date of birth shows that the person was an adult when referred: this file now follows "
            "the adult procedure. The child procedure's steps (guardian's consent, family assessment, "
            "best-interests determination, coordination plan) are no longer required; what was recorded for them "
            "is kept."
        )
    notice = _(
        "The corrected date of birth shows that the person was a minor when referred: this file now follows the "
        "child procedure (minors' procedure). From now on it can be ready to depart only with the guardian's "
        "consent, the family assessment in the country of return, a best-interests determination concluding "
        "that return is in the child's best interests (approved by a coordinator who is not its author) and a "
        "coordination plan. These sections now appear on the summary, and the step to “ready to depart” lists "
        "what is still missing."
    )
    status = case.status_before_suspension if case.status == CaseStatus.SUSPENDED else case.status
    if status == CaseStatus.READY_TO_DEPART:
        return f"{notice} " + _(
            "This file is already ready to depart although these steps were never checked: an alert stays on "
            "its summary until they are recorded. Move it back to pre-departure until then."
        )
    if status in PAST_CHILD_CHECK:
        return f"{notice} " + _(
            "This file is past the departure, so these steps were never checked: an alert stays on its summary "
            "until they are recorded."
        )
    return notice


def procedure_alert(case: Case, facts: workflow.CaseFacts) -> list[str]:
    """The child procedure's steps still missing on a file that became a minor's, by a correction of the
    date of birth, after the step where they are checked (empty otherwise: nothing to flag)."""
    if not facts.is_minor or not _past_child_check(facts.status, facts.status_before_suspension):
        return []
    latest = (
        CaseEvent.objects.filter(case=case, kind=PROCEDURE_EVENT)
        .order_by("-at", "-pk")
        .values_list("params", flat=True)
    ).first()
    if not latest or not latest.get("flagged"):
        return []
    return workflow._child_procedure(selectors.case_facts(case))
