"""State changes on offices and partner organisations; each one audited, edits version-checked.

Nothing here deletes: files, handovers, grants and referrals point to offices and organisations,
so they are deactivated instead (and no longer offered for new work). An organisation's referral
portal can be suspended on its own: its partners then follow their past referrals but send none
(the rule is `careplus.access.offices.may_refer_for`).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from functools import cache

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careplus.access.roles import Role
from careplus.accounts import services
from careplus.accounts.choices import OfficeKind, OrganisationType
from careplus.accounts.models import Office, Organisation, User, normalise_email
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.services import record_event
from careplus.core.countries import country_names
from careplus.core.departements import normalise_departement, validate_departement
from careplus.core.errors import RuleViolation
from careplus.core.locking import lock_for_edit, touch
from careplus.core.text import clean_person_text

OFFICE_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,9}$")
OFFICE_CODE_MESSAGE = gettext_lazy("Enter 2 to 10 letters, digits or hyphens, e.g. DKR.")
TIME_ZONE_MESSAGE = gettext_lazy("Choose a time zone from the list, e.g. Africa/Dakar.")
NAME_MAX = {Office: 120, Organisation: 200}
CITY_MAX = 120


class FieldRefused(RuleViolation):
    """A value was refused; `field` names the form field the message belongs to."""

    code = "field_refused"

    def __init__(self, field: str, message: str | Promise) -> None:
        super().__init__(message, extra={"field": field})
        self.field = field


# --- One check per kind of value ------------------------------------------------


def normalise_office_code(value: object) -> str:
    """Return an office code as stored: trimmed and in upper case (" dkr" is DKR)."""
    return str(value or "").strip().upper()


def validate_office_code(value: object) -> None:
    """Refuse an office code that is not 2 to 10 letters, digits or hyphens (after normalising)."""
    if not OFFICE_CODE.match(normalise_office_code(value)):
        raise ValidationError(OFFICE_CODE_MESSAGE, code="invalid_office_code")


@cache
def time_zones() -> frozenset[str]:
    """The IANA time zones this server knows."""
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: object) -> None:
    """Refuse a time zone the server does not know (e.g. a misspelt "Africa/Dakkar")."""
    if str(value or "") not in time_zones():
        raise ValidationError(TIME_ZONE_MESSAGE, code="unknown_time_zone")


def _checked(field: str, check: Callable[[str], None], value: str) -> None:
    try:
        check(value)
    except ValidationError as error:
        raise FieldRefused(field, " ".join(str(m) for m in error.messages)) from error


def _name(field: str, value: str, max_length: int) -> str:
    try:
        text = clean_person_text(value or "")
    except ValidationError as error:
        raise FieldRefused(field, " ".join(str(m) for m in error.messages)) from error
    if not text:
        raise FieldRefused(field, _("This field is required."))
    if len(text) > max_length:
        raise FieldRefused(field, _("Use at most %(max)d characters.") % {"max": max_length})
    return text


def _office_values(
    *, code: str, name: str, country: str, city: str, kind: str, time_zone: str, office: Office | None
) -> dict[str, str]:
    code = normalise_office_code(code)
    _checked("code", validate_office_code, code)
    same_code = Office.objects.filter(code=code)
    if (same_code.exclude(pk=office.pk) if office else same_code).exists():
        raise FieldRefused("code", _("Another office already has the code %(code)s.") % {"code": code})
    country = str(country or "").strip().upper()
    if country not in country_names():
        raise FieldRefused("country", _("Choose a country from the list."))
    if kind not in OfficeKind.values:
        raise FieldRefused("kind", _("Choose the kind of office."))
    _checked("time_zone", validate_time_zone, time_zone)
    return {
        "code": code,
        "name": _name("name", name, NAME_MAX[Office]),
        "country": country,
        "city": _name("city", city, CITY_MAX),
        "kind": kind,
        "time_zone": time_zone,
    }


def _organisation_values(
    *, name: str, type: str, departement: str, organisation: Organisation | None
) -> dict[str, str]:
    name = _name("name", name, NAME_MAX[Organisation])
    others = Organisation.objects.exclude(pk=organisation.pk) if organisation else Organisation.objects.all()
    # Compared case-folded in Python: SQLite's LIKE folds ASCII letters only ("PARTAGÉE" is "partagée").
    if any(other.casefold() == name.casefold() for other in others.values_list("name", flat=True)):
        raise FieldRefused("name", _("An organisation with this name already exists."))
    if not type:
        raise FieldRefused("type", _("Choose the type of organisation."))
    if type not in OrganisationType.values:
        raise FieldRefused("type", _("Choose a type of organisation from the list."))
    _checked("departement", validate_departement, departement)
    return {"name": name, "type": type, "departement": normalise_departement(departement)}


# --- Version-checked changes -----------------------------------------------------


def _save(record: Office | Organisation, values: dict[str, str], expected_version: int, actor: User) -> list[str]:
    changed = [name for name, value in values.items() if getattr(record, name) != value]
    lock_for_edit(type(record), record.pk, expected_version)
    touch(record)
    for name, value in values.items():
        setattr(record, name, value)
    try:
        with transaction.atomic():
            record.save(update_fields=[*values, "updated_at"])
    except IntegrityError as duplicate:  # two saves of one code or name at once
        field = "code" if isinstance(record, Office) else "name"
        raise FieldRefused(field, _("This value is already used; choose another.")) from duplicate
    record_event(action=AuditAction.CHANGE, obj=record, actor=actor, fields=changed or ["version"])
    return changed


def _set_flag(
    record: Office | Organisation, *, flag: str, value: bool, expected_version: int, actor: User, already: str
) -> None:
    if getattr(record, flag) == value:
        raise RuleViolation(already)
    lock_for_edit(type(record), record.pk, expected_version)
    touch(record)
    setattr(record, flag, value)
    record.save(update_fields=[flag, "updated_at"])
    record_event(action=AuditAction.CHANGE, obj=record, actor=actor, fields=[flag])


# --- Offices ------------------------------------------------------------------------


@transaction.atomic
def office_create(*, actor: User, code: str, name: str, country: str, city: str, kind: str, time_zone: str) -> Office:
    """Create an office (code trimmed and upper-cased, unique; a known time zone)."""
    values = _office_values(
        code=code, name=name, country=country, city=city, kind=kind, time_zone=time_zone, office=None
    )
    try:
        with transaction.atomic():
            office = Office.objects.create(**values)
    except IntegrityError as duplicate:
        raise FieldRefused("code", _("Another office already has the code %(code)s.") % values) from duplicate
    record_event(action=AuditAction.CREATE, obj=office, actor=actor, fields=sorted(values))
    return office


@transaction.atomic
def office_update(
    *,
    actor: User,
    office: Office,
    expected_version: int,
    code: str,
    name: str,
    country: str,
    city: str,
    kind: str,
    time_zone: str,
) -> list[str]:
    """Edit an office the user saw at `expected_version`; return the names of the fields changed."""
    values = _office_values(
        code=code, name=name, country=country, city=city, kind=kind, time_zone=time_zone, office=office
    )
    return _save(office, values, expected_version, actor)


@transaction.atomic
def office_deactivate(*, actor: User, office: Office, expected_version: int) -> None:
    """Stop offering the office for new work; its files and grants keep pointing to it."""
    _set_flag(
        office,
        flag="active",
        value=False,
        expected_version=expected_version,
        actor=actor,
        already=_("This office is already deactivated."),
    )


@transaction.atomic
def office_reactivate(*, actor: User, office: Office, expected_version: int) -> None:
    """Offer the office for new work again."""
    _set_flag(
        office,
        flag="active",
        value=True,
        expected_version=expected_version,
        actor=actor,
        already=_("This office is already active."),
    )


# --- Partner organisations -------------------------------------------------------------


@transaction.atomic
def organisation_create(*, actor: User, name: str, type: str, departement: str) -> Organisation:
    """Create a partner organisation (a type is required; a French département code)."""
    values = _organisation_values(name=name, type=type, departement=departement, organisation=None)
    try:
        with transaction.atomic():
            organisation = Organisation.objects.create(**values)
    except IntegrityError as duplicate:
        raise FieldRefused("name", _("An organisation with this name already exists.")) from duplicate
    record_event(action=AuditAction.CREATE, obj=organisation, actor=actor, fields=sorted(values))
    return organisation


@transaction.atomic
def organisation_update(
    *, actor: User, organisation: Organisation, expected_version: int, name: str, type: str, departement: str
) -> list[str]:
    """Edit an organisation the user saw at `expected_version`; return the names of the fields changed."""
    values = _organisation_values(name=name, type=type, departement=departement, organisation=organisation)
    return _save(organisation, values, expected_version, actor)


@transaction.atomic
def organisation_deactivate(*, actor: User, organisation: Organisation, expected_version: int) -> None:
    """Stop offering the organisation; its partners can no longer refer, its referrals stay."""
    _set_flag(
        organisation,
        flag="active",
        value=False,
        expected_version=expected_version,
        actor=actor,
        already=_("This organisation is already deactivated."),
    )


@transaction.atomic
def organisation_reactivate(*, actor: User, organisation: Organisation, expected_version: int) -> None:
    """Offer the organisation again."""
    _set_flag(
        organisation,
        flag="active",
        value=True,
        expected_version=expected_version,
        actor=actor,
        already=_("This organisation is already active."),
    )


@transaction.atomic
def organisation_referrals_suspend(*, actor: User, organisation: Organisation, expected_version: int) -> None:
    """Suspend the organisation's referral portal: its partners send no referral until it is restored."""
    _set_flag(
        organisation,
        flag="referrals_suspended",
        value=True,
        expected_version=expected_version,
        actor=actor,
        already=_("The referral portal of this organisation is already suspended."),
    )


@transaction.atomic
def organisation_referrals_resume(*, actor: User, organisation: Organisation, expected_version: int) -> None:
    """Restore the organisation's referral portal."""
    _set_flag(
        organisation,
        flag="referrals_suspended",
        value=False,
        expected_version=expected_version,
        actor=actor,
        already=_("The referral portal of this organisation is open."),
    )


def organisation_partner_invite(
    *, actor: User, organisation: Organisation, email: str, full_name: str, language: str, code: str | None
) -> User:
    """Create a partner's account bound to the organisation and send the invitation; all or nothing.

    The account is made by `user_create` and its role by the grant services: the actor gives a
    fresh second-factor code first (outside the transaction, so a failure stays recorded and
    throttled), once for both. A refused code leaves no account behind.
    """
    if not organisation.active:
        raise RuleViolation(_("This office or organisation is deactivated: it cannot receive new users."))
    if User.objects.filter(email=normalise_email(email)).exists():
        raise FieldRefused("email", _("An account with this e-mail address already exists."))
    try:
        services.require_step_up(user=actor, code=code)
    except services.StepUpFailed:
        record_event(
            action=AuditAction.ROLE_GRANT,
            obj=organisation,
            actor=actor,
            outcome=AuditOutcome.DENIED,
            fields=[f"role:{Role.PARTNER}", "refused:step_up"],
        )
        raise
    with transaction.atomic():
        user = services.user_create(actor=actor, email=email, full_name=full_name, language=language)
        services.role_grant_stepped_up(actor=actor, user=user, role=Role.PARTNER, organisation=organisation)
    return user
