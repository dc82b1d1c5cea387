"""Users, role grants, offices, organisations and server-side sessions."""

from __future__ import annotations

import datetime
import uuid
from importlib import import_module
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.sessions.backends.base import SessionBase
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careplus.access.roles import Role
from careplus.accounts.choices import Language, OfficeKind, OrganisationType
from careplus.core.models import BaseModel


class Office(BaseModel):
    code = models.CharField(_("code"), max_length=10, unique=True)
    name = models.CharField(_("name"), max_length=120)
    country = models.CharField(_("country (ISO code)"), max_length=2)
    kind = models.CharField(_("kind"), max_length=20, choices=OfficeKind.choices)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    city = models.CharField(_("city"), max_length=120, blank=True)
    # Never deleted once files point to it: a deactivated office is no longer offered for new work.
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")

    def __str__(self) -> str:
        return self.label(self.name, self.code)

    @staticmethod
    def label(name: str, code: str) -> str:
        """How an office is named on screen (also from its bare columns, in lists)."""
        return f"{name} ({code})"


class Organisation(BaseModel):
    name = models.CharField(_("name"), max_length=200, unique=True)
    type = models.CharField(_("type"), max_length=30, choices=OrganisationType.choices)
    departement = models.CharField(_("département"), max_length=3, blank=True)
    # Never deleted once referrals point to it: a deactivated organisation is no longer offered.
    active = models.BooleanField(_("active"), default=True)
    # Its partners' portal access: while suspended they follow their past referrals but submit none.
    referrals_suspended = models.BooleanField(_("referral portal suspended"), default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        """Create a user; the e-mail is stored in lower case."""
        user = self.model(email=normalise_email(email), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email=normalise_email(username or ""))


def normalise_email(email: str) -> str:
    """Return the canonical form of an e-mail address used for login."""
    return email.strip().lower()


class User(AbstractBaseUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("e-mail address"), max_length=254, unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.FRENCH)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    deactivated_at = models.DateTimeField(_("deactivated at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        ordering = ["email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class RoleGrant(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_grants", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("office"))
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("organisation"),
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["role", "granted_at"]
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.CASEWORKER) | Q(office__isnull=False),
                name="rolegrant_caseworker_has_office",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.PARTNER) | Q(organisation__isnull=False),
                name="rolegrant_partner_has_organisation",
            ),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="rolegrant_role_valid"),
            # One active grant per user, role and scope (three partial indexes,
            # because NULLs are distinct in unique indexes on both engines).
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(revoked_at__isnull=True, office__isnull=True, organisation__isnull=True),
                name="rolegrant_unique_active_unscoped",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "office"],
                condition=Q(revoked_at__isnull=True, office__isnull=False),
                name="rolegrant_unique_active_office",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "organisation"],
                condition=Q(revoked_at__isnull=True, organisation__isnull=False),
                name="rolegrant_unique_active_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"

    @property
    def scope(self) -> Office | Organisation | None:
        """Return the office or organisation this grant is bound to."""
        return self.office or self.organisation


class UserSession(AbstractBaseSession):
    """A server-side session that knows its user, so all of a user's sessions can end at once.

    `session_key` holds the SHA-256 of the cookie's key, never the key (accounts/sessions.py).
    """

    session_key = models.CharField(_("session key digest"), max_length=64, primary_key=True)
    user_id = models.UUIDField(null=True, db_index=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @classmethod
    def get_session_store_class(cls) -> type[SessionBase]:
        """The store of the configured session engine (careplus.accounts.sessions), named by the setting."""
        store: type[SessionBase] = import_module(settings.SESSION_ENGINE).SessionStore
        return store


class ApiToken(models.Model):
    """A personal API token: only its SHA-256 digest is kept; the secret is shown once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("start of the token"), max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now: datetime.datetime) -> bool:
        """Tell whether the token is neither revoked nor expired at `now`."""
        return self.revoked_at is None and self.expires_at > now
