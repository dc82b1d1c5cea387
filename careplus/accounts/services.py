"""State changes on accounts: users, role grants, second factors and sessions."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from careplus.access.policy import forget_grants
from careplus.access.roles import ROLE_NEEDS_OFFICE, ROLE_NEEDS_ORGANISATION, Role, duties_conflict
from careplus.accounts.choices import Language
from careplus.accounts.models import (
    ApiToken,
    Office,
    Organisation,
    RoleGrant,
    User,
    UserSession,
    normalise_email,
)
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.services import record_event
from careplus.core.crypto import blind_index
from careplus.core.errors import RuleViolation
from careplus.core.locking import lock_for_edit, touch
from careplus.core.text import text_problem

RECOVERY_DEVICE_NAME = "recovery"
FULL_NAME_MAX = 150
TOTP_DEVICE_NAME = "authenticator"


def sessions_end_for(*, user: User) -> int:
    """Delete every server-side session of the user; return how many ended."""
    deleted, _unused = UserSession.objects.filter(user_id=user.pk).delete()
    return deleted


@transaction.atomic
def user_create(*, actor: User | None, email: str, full_name: str, language: str) -> User:
    """Create an account with no password and send it an invitation to choose one (actor None: the system)."""
    email = normalise_email(email)
    if User.objects.filter(email=email).exists():
        raise RuleViolation(_("An account with this e-mail address already exists."))
    user = User.objects.create_user(email=email, full_name=full_name.strip(), language=language)
    record_event(action=AuditAction.CREATE, obj=user, actor=actor, fields=["email", "full_name", "language"])
    transaction.on_commit(lambda: invitation_send(user=user))
    return user


@dataclass(frozen=True)
class FirstInstallation:
    """What `manage.py setup` asks for: the first DPO and, optionally, the first coordinator."""

    dpo_email: str
    dpo_name: str
    dpo_language: str = Language.FRENCH
    coordinator_email: str = ""
    coordinator_name: str = ""
    coordinator_language: str = Language.FRENCH


def _installation_person(email: str, name: str, language: str, who: str) -> tuple[str, str, str]:
    """Check one person of the first installation; raise RuleViolation naming what is wrong."""
    email = normalise_email(email or "")
    try:
        validate_email(email)
    except ValidationError as error:
        raise RuleViolation(_("%(who)s: enter a valid e-mail address.") % {"who": who}) from error
    name = (name or "").strip()
    problem = text_problem(name)
    if problem is not None:
        raise RuleViolation(f"{who}: {' '.join(problem.messages)}")
    if not name or len(name) > FULL_NAME_MAX:
        raise RuleViolation(
            _("%(who)s: enter a full name of at most %(max)d characters.") % {"who": who, "max": FULL_NAME_MAX}
        )
    if language not in Language.values:
        raise RuleViolation(_("%(who)s: choose the language French or English.") % {"who": who})
    return email, name, language


@transaction.atomic
def first_installation(setup: FirstInstallation) -> list[tuple[User, Role]]:
    """Create the first DPO (and coordinator) with the system as actor; refused once an active DPO exists.

    All or nothing: a bad value, an existing DPO or an address already used leaves the database
    as it was. The invitations leave after the commit (a link to choose a password; the second
    factor is set up at the first sign-in).
    """
    dpo = _installation_person(setup.dpo_email, setup.dpo_name, setup.dpo_language, _("Data protection officer"))
    people = [(dpo, Role.DPO)]
    if setup.coordinator_email or setup.coordinator_name:
        coordinator = _installation_person(
            setup.coordinator_email, setup.coordinator_name, setup.coordinator_language, _("Coordinator")
        )
        if coordinator[0] == dpo[0]:
            raise RuleViolation(
                _("The coordinator needs an address of their own: a DPO never also holds a role that opens case files.")
            )
        people.append((coordinator, Role.COORDINATOR))
    # Serialise two set-ups run at once: the second waits, then sees the first one's DPO.
    RoleGrant.objects.select_for_update().filter(role=Role.DPO).exists()
    if _active_dpo_count() > 0:
        raise RuleViolation(_("CARE+ is already set up: a data protection officer exists. Use the user screens."))
    created = []
    for (email, name, language), role in people:
        user = user_create(actor=None, email=email, full_name=name, language=language)
        role_grant_system(user=user, role=role)
        created.append((user, role))
    return created


def invitation_send(*, user: User) -> None:
    """E-mail the user a single-use link to choose a password."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    with translation.override(user.language):
        context = {"user": user, "link": settings.CAREPLUS_BASE_URL.rstrip("/") + path}
        subject = _("Your CARE+ account")
        body = render_to_string("accounts/email/invitation.txt", context)
    send_mail(subject, body, None, [user.email])


class RoleChangeRefused(RuleViolation):
    """A role grant or revocation broke an access rule; the refusal is in the audit log."""

    code = "role_change_refused"

    def __init__(self, message: str, *, rule: str) -> None:
        super().__init__(message, extra={"rule": rule})
        self.rule = rule


class StepUpFailed(RuleViolation):
    """The second factor, asked again before a sensitive change, was missing or wrong."""

    code = "step_up_failed"


def _step_up(*, user: User, code: str | None) -> None:
    """Verify a fresh second-factor code (recorded and throttled by `second_factor_verify`).

    Call it outside the transaction of the change it guards: a failure must stay recorded, and
    the device's failure counter (which slows guessing down) must not be rolled back.
    """
    if not code or not code.strip():
        raise StepUpFailed(_("Enter the code of your authenticator app (or a recovery code) to confirm."))
    if second_factor_verify(user=user, token=code) is None:
        raise StepUpFailed(_("This code is not valid. Check the time on your phone and try again."))


def require_step_up(*, user: User, code: str | None) -> None:
    """Ask for a fresh second-factor code before a sensitive change made in another app.

    Raises StepUpFailed with a message for the form. Same rule as `_step_up`: call it outside
    the transaction of the change it guards.
    """
    _step_up(user=user, code=code)


def _role_scope(
    role: Role, office: Office | None, organisation: Organisation | None
) -> tuple[Office | None, Organisation | None]:
    if role in ROLE_NEEDS_OFFICE and office is None:
        raise RuleViolation(_("A caseworker must be bound to an office."))
    if role in ROLE_NEEDS_ORGANISATION and organisation is None:
        raise RuleViolation(_("A partner must be bound to an organisation."))
    return (office if role in ROLE_NEEDS_OFFICE else None, organisation if role in ROLE_NEEDS_ORGANISATION else None)


def _grant_rules(*, user: User, role: Role, office: Office | None, organisation: Organisation | None) -> None:
    """The rules on the account that receives a role, whoever grants it."""
    if not user.is_active:
        raise RuleViolation(_("A deactivated account cannot receive a role."))
    if (office is not None and not office.active) or (organisation is not None and not organisation.active):
        raise RuleViolation(_("This office or organisation is deactivated: it cannot receive new users."))
    active = RoleGrant.objects.filter(user=user, revoked_at__isnull=True)
    if active.filter(role=role, office=office, organisation=organisation).exists():
        raise RuleViolation(_("This user already holds this role with this scope."))
    held = {Role(value) for value in active.values_list("role", flat=True)}
    if duties_conflict(held, role):
        raise RoleChangeRefused(
            _(
                "Separation of duties: an account with the data protection officer or auditor role "
                "never also holds a role that opens case files."
            ),
            rule="separation_of_duties",
        )


def _refuse_role_change(*, action: AuditAction, actor: User, user: User, role: str, rule: str) -> None:
    record_event(
        action=action,
        obj=user,
        actor=actor,
        outcome=AuditOutcome.DENIED,
        fields=[f"role:{role}", f"refused:{rule}"],
    )


def role_grant(
    *,
    actor: User,
    user: User,
    role: str,
    office: Office | None = None,
    organisation: Organisation | None = None,
    code: str | None = None,
) -> RoleGrant:
    """A person grants a role: never on their own account, and after giving their second factor again.

    Refusals by an access rule (own account, separation of duties, step-up) are audited.
    """
    role_value = Role(role)
    try:
        if user.pk == actor.pk:
            raise RoleChangeRefused(_("No one can grant a role on their own account."), rule="own_account")
        office, organisation = _role_scope(role_value, office, organisation)
        _grant_rules(user=user, role=role_value, office=office, organisation=organisation)
    except RoleChangeRefused as refusal:
        _refuse_role_change(action=AuditAction.ROLE_GRANT, actor=actor, user=user, role=role_value, rule=refusal.rule)
        raise
    try:
        _step_up(user=actor, code=code)
    except StepUpFailed:
        _refuse_role_change(action=AuditAction.ROLE_GRANT, actor=actor, user=user, role=role_value, rule="step_up")
        raise
    try:
        return _grant_create(granted_by=actor, user=user, role=role_value, office=office, organisation=organisation)
    except RoleChangeRefused as refusal:
        _refuse_role_change(action=AuditAction.ROLE_GRANT, actor=actor, user=user, role=role_value, rule=refusal.rule)
        raise


def role_grant_system(
    *, user: User, role: str, office: Office | None = None, organisation: Organisation | None = None
) -> RoleGrant:
    """Grant a role with no person acting: set-up, demo and synthetic data, test fixtures.

    There is no one to ask a second factor of, but the separation of duties still holds.
    """
    role_value = Role(role)
    office, organisation = _role_scope(role_value, office, organisation)
    _grant_rules(user=user, role=role_value, office=office, organisation=organisation)
    return _grant_create(granted_by=None, user=user, role=role_value, office=office, organisation=organisation)


def role_grant_stepped_up(
    *, actor: User, user: User, role: str, office: Office | None = None, organisation: Organisation | None = None
) -> RoleGrant:
    """Grant a role within a change whose caller has just asked the actor's second factor (`require_step_up`).

    For a change that creates an account and its role at once (a partner invited from their
    organisation's page): one fresh code for both, asked before the transaction. Every other rule
    of `role_grant` holds.
    """
    role_value = Role(role)
    if user.pk == actor.pk:
        raise RoleChangeRefused(_("No one can grant a role on their own account."), rule="own_account")
    office, organisation = _role_scope(role_value, office, organisation)
    return _grant_create(granted_by=actor, user=user, role=role_value, office=office, organisation=organisation)


@transaction.atomic
def _grant_create(
    *, granted_by: User | None, user: User, role: Role, office: Office | None, organisation: Organisation | None
) -> RoleGrant:
    # Lock the account, then check its roles again: two grants at once cannot both pass the
    # separation of duties.
    User.objects.select_for_update().filter(pk=user.pk).first()
    _grant_rules(user=user, role=role, office=office, organisation=organisation)
    try:
        with transaction.atomic():
            grant = RoleGrant.objects.create(
                user=user, role=role, office=office, organisation=organisation, granted_by=granted_by
            )
    except IntegrityError as duplicate:
        raise RuleViolation(_("This user already holds this role with this scope.")) from duplicate
    touch(user)
    forget_grants(user)
    record_event(action=AuditAction.ROLE_GRANT, obj=user, actor=granted_by, fields=[f"role:{role}"])
    return grant


def role_revoke(*, actor: User, grant: RoleGrant, code: str | None = None) -> RoleGrant:
    """Revoke an active grant after the actor gives their second factor again; end the holder's
    sessions and revoke their API tokens.

    No one revokes a role on their own account; the last active data protection officer cannot
    be removed. The rules are checked before the code, so a refused revocation spends no code.
    """
    if grant.user_id == actor.pk:
        _refuse_role_change(
            action=AuditAction.ROLE_REVOKE, actor=actor, user=grant.user, role=grant.role, rule="own_account"
        )
        raise RoleChangeRefused(_("No one can revoke a role on their own account."), rule="own_account")
    _last_dpo_kept(grant)
    try:
        _step_up(user=actor, code=code)
    except StepUpFailed:
        _refuse_role_change(
            action=AuditAction.ROLE_REVOKE, actor=actor, user=grant.user, role=grant.role, rule="step_up"
        )
        raise
    return _role_revoke(actor=actor, grant=grant)


def _last_dpo_kept(grant: RoleGrant) -> None:
    if grant.role == Role.DPO and _active_dpo_count(excluding_grant=grant) == 0:
        raise RuleViolation(_("The last data protection officer cannot lose this role."))


@transaction.atomic
def _role_revoke(*, actor: User, grant: RoleGrant) -> RoleGrant:
    grant = RoleGrant.objects.select_for_update().select_related("user").get(pk=grant.pk)
    if grant.revoked_at is not None:
        raise RuleViolation(_("This role was already revoked."))
    _last_dpo_kept(grant)
    grant.revoked_at = timezone.now()
    grant.revoked_by = actor
    grant.save(update_fields=["revoked_at", "revoked_by"])
    touch(grant.user)
    forget_grants(grant.user)
    record_event(action=AuditAction.ROLE_REVOKE, obj=grant.user, actor=actor, fields=[f"role:{grant.role}"])
    sessions_end_for(user=grant.user)
    api_tokens_revoke_all(user=grant.user, actor=actor)
    return grant


def _active_dpo_count(*, excluding_grant: RoleGrant | None = None) -> int:
    grants = RoleGrant.objects.filter(role=Role.DPO, revoked_at__isnull=True, user__is_active=True)
    if excluding_grant is not None:
        grants = grants.exclude(pk=excluding_grant.pk)
    return grants.values("user").distinct().count()


@transaction.atomic
def user_deactivate(*, actor: User, user: User, expected_version: int) -> User:
    """Deactivate an account, end all of its sessions and revoke its API tokens at once."""
    if user.pk == actor.pk:
        raise RuleViolation(_("You cannot deactivate your own account."))
    if not user.is_active:
        raise RuleViolation(_("This account is already deactivated."))
    lock_for_edit(User, user.pk, expected_version)
    touch(user)
    User.objects.filter(pk=user.pk).update(is_active=False, deactivated_at=timezone.now())
    user.refresh_from_db()
    sessions_end_for(user=user)
    record_event(action=AuditAction.CHANGE, obj=user, actor=actor, fields=["is_active"])
    api_tokens_revoke_all(user=user, actor=actor)
    return user


@transaction.atomic
def user_reactivate(*, actor: User, user: User, expected_version: int) -> User:
    """Reactivate an account; it keeps its grants, password and second factor."""
    if user.is_active:
        raise RuleViolation(_("This account is already active."))
    lock_for_edit(User, user.pk, expected_version)
    touch(user)
    User.objects.filter(pk=user.pk).update(is_active=True, deactivated_at=None)
    user.refresh_from_db()
    record_event(action=AuditAction.CHANGE, obj=user, actor=actor, fields=["is_active"])
    return user


@transaction.atomic
def second_factor_reset(*, actor: User, user: User, expected_version: int) -> None:
    """Remove a user's second factor after identity proofing; they enrol again at next login.

    Their sessions end and their API tokens are revoked.
    """
    lock_for_edit(User, user.pk, expected_version)
    touch(user)
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    sessions_end_for(user=user)
    record_event(action=AuditAction.CHANGE, obj=user, actor=actor, fields=["second_factor"])
    api_tokens_revoke_all(user=user, actor=actor)


@transaction.atomic
def password_changed(*, user: User, by_reset: bool = False) -> int:
    """After the user set a new password: audit it and revoke their API tokens.

    Django already ends the user's other sessions (their session hash no longer matches). After
    a reset by e-mail, no session of the user may remain at all. Returns how many tokens were revoked.
    """
    if by_reset:
        sessions_end_for(user=user)
    record_event(
        action=AuditAction.CHANGE,
        obj=user,
        actor=user,
        fields=["password", "password_reset"] if by_reset else ["password"],
    )
    return api_tokens_revoke_all(user=user, actor=user)


PASSWORD_RESET_OBJECT = "accounts.passwordresetrequest"


def password_reset_requested(*, email: str) -> None:
    """Audit a password-reset request without storing the address, nor whether it is known.

    The event's object id is a keyed hash of the normalised address: the DPO can tell that the
    same address was asked for again (and find the events of a given address by computing it),
    but the log does not hold the address nor say whether an account exists.
    """
    record_event(
        action=AuditAction.CREATE,
        object_type=PASSWORD_RESET_OBJECT,
        object_id=blind_index(normalise_email(email), purpose="password-reset-request"),
        actor=None,
    )


def totp_device_for_enrolment(*, user: User) -> TOTPDevice:
    """Return the user's pending authenticator device, creating it if needed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def has_confirmed_totp(user: User) -> bool:
    """Tell whether the user has finished enrolling an authenticator."""
    return bool(TOTPDevice.objects.filter(user=user, confirmed=True).exists())


@transaction.atomic
def totp_confirm(*, user: User, device: TOTPDevice, token: str) -> bool:
    """Confirm a pending authenticator with a first valid code."""
    if device.user_id != user.pk or device.confirmed:
        return False
    if not bool(device.verify_token(token)):
        return False
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record_event(action=AuditAction.SECOND_FACTOR_ENROLLED, obj=user, actor=user)
    return True


def _recovery_code() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    raw = "".join(secrets.choice(alphabet) for _unused in range(10))
    return f"{raw[:5]}-{raw[5:]}"


# Recovery codes are stored as a keyed hash in django-otp's StaticToken.token (16 characters):
# HMAC-SHA256 under the index key, with its own purpose label, cut to 96 bits, URL-safe base64.
# A code has about 50 bits of entropy: a plain hash could be reversed offline from a copy of the
# database, a keyed one cannot without the key, which never lives in the database. django-otp's
# StaticDevice still gives single use (the matching row is deleted) and throttling.
# The migration accounts/0003_recovery_codes_hashed converts the codes stored in clear; it
# copies this function, which must not change without a migration of the stored digests.
RECOVERY_CODE_PURPOSE = b"careplus.recovery-code.v1"


def recovery_code_digest(code: str) -> str:
    """Return the stored form of a recovery code (case, spaces and hyphens do not matter)."""
    normalised = "".join(code.split()).replace("-", "").lower()
    key: str = settings.CAREPLUS_INDEX_KEY
    mac = hmac.new(key.encode(), RECOVERY_CODE_PURPOSE + b"\x1f" + normalised.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:12]).decode("ascii")


@transaction.atomic
def recovery_codes_generate(*, user: User, count: int) -> list[str]:
    """Replace the user's recovery codes with new single-use ones and return them once.

    Only their keyed hashes are stored. Used at enrolment; from the account page, see
    `recovery_codes_regenerate`.
    """
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [_recovery_code() for _unused in range(count)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=recovery_code_digest(code)) for code in codes])
    return codes


def recovery_codes_regenerate(*, user: User, code: str | None, count: int) -> list[str]:
    """Replace one's recovery codes after giving the second factor again; audited.

    Raises StepUpFailed (the failed attempt is recorded and throttled) without changing anything.
    """
    _step_up(user=user, code=code)
    with transaction.atomic():
        codes = recovery_codes_generate(user=user, count=count)
        record_event(action=AuditAction.CHANGE, obj=user, actor=user, fields=["recovery_codes"])
    return codes


def second_factor_verify(*, user: User, token: str) -> TOTPDevice | StaticDevice | None:
    """Return the device that accepts the code (authenticator or recovery code), or None.

    The outcome is recorded in the audit log either way.
    """
    device = _matching_device(user=user, token=token)
    record_event(
        action=AuditAction.SECOND_FACTOR if device else AuditAction.SECOND_FACTOR_FAILED,
        obj=user,
        actor=user,
        outcome=AuditOutcome.SUCCESS if device else AuditOutcome.FAILURE,
    )
    return device


def _matching_device(*, user: User, token: str) -> TOTPDevice | StaticDevice | None:
    token = token.strip().lower().replace(" ", "")
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if token.isdigit() and device.verify_token(token):
            return device
    digest = recovery_code_digest(token)
    for static in StaticDevice.objects.filter(user=user, confirmed=True):
        if static.verify_token(digest):
            return static
    return None


API_TOKEN_PREFIX = "cpt_"
API_TOKEN_MAX_DAYS = 365
_TOKEN_TOUCH_SECONDS = 60


def api_token_digest(raw: str) -> str:
    """Return the stored form of a token (its secret has 256 bits, so a plain hash suffices)."""
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, name: str, days: int) -> tuple[ApiToken, str]:
    """Create a personal API token; return it with its secret, which is never stored nor shown again."""
    if not 1 <= days <= API_TOKEN_MAX_DAYS:
        raise RuleViolation(_("A token lasts between 1 and 365 days."))
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:80],
        prefix=raw[:12],
        digest=api_token_digest(raw),
        created_at=now,
        expires_at=now + datetime.timedelta(days=days),
    )
    record_event(action=AuditAction.CREATE, obj=token, actor=user, fields=["name", "expires_at"])
    return token, raw


@transaction.atomic
def api_token_revoke(*, user: User, token: ApiToken) -> ApiToken:
    """Revoke one of the user's tokens at once (a token already revoked stays as it was)."""
    if token.user_id != user.pk:
        raise RuleViolation(_("This token is not yours."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(action=AuditAction.CHANGE, obj=token, actor=user, fields=["revoked_at"])
    return token


@transaction.atomic
def api_tokens_revoke_all(*, user: User, actor: User | None) -> int:
    """Revoke every usable API token of the user (credentials changed); each is audited."""
    now = timezone.now()
    tokens = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True, expires_at__gt=now))
    for token in tokens:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        record_event(action=AuditAction.CHANGE, obj=token, actor=actor, fields=["revoked_at"])
    return len(tokens)


def api_token_authenticate(raw: str) -> ApiToken | None:
    """Return the usable token matching `raw` (its user active), else None; note its use."""
    if not raw.startswith(API_TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(digest=api_token_digest(raw)).first()
    now = timezone.now()
    if token is None or not token.is_usable(now) or not token.user.is_active:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > _TOKEN_TOUCH_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
