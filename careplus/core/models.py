"""Shared model base: unguessable ids, timestamps and a version for optimistic locking."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from careplus.core import crypto
from careplus.core.fields import EncryptedJSONField


class BaseModel(models.Model):
    """Abstract base for domain records shown in URLs."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        abstract = True


class DataKey(models.Model):
    """A per-owner AES-256 key, stored only wrapped by a master key; destroyed to erase."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    master_key_id = models.CharField(max_length=40)
    wrapped = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    rotated_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("data key")
        verbose_name_plural = _("data keys")

    def __str__(self) -> str:
        return f"DataKey {self.pk}"

    @classmethod
    def generate(cls) -> DataKey:
        """Create, wrap and save a new data key."""
        key_id = uuid.uuid4()
        material = crypto.new_data_key()
        master_id, wrapped = crypto.wrap_key(material, key_id=key_id)
        data_key = cls.objects.create(id=key_id, master_key_id=master_id, wrapped=wrapped)
        crypto.remember_key(key_id, material)
        return data_key

    @property
    def is_destroyed(self) -> bool:
        return self.wrapped is None

    def material(self) -> bytes:
        """Return the unwrapped key, unwrapping it at most once per request or command."""
        if self.wrapped is None:
            raise crypto.KeyDestroyed(str(self.pk))
        cached = crypto.cached_key(self.pk)
        if cached is not None:
            return cached
        material = crypto.unwrap_key(bytes(self.wrapped), key_id=self.pk, master_key_id=self.master_key_id)
        crypto.remember_key(self.pk, material)
        return material


class Counter(models.Model):
    """A named counter for human-readable sequential numbers (e.g. one per year)."""

    name = models.CharField(max_length=60, primary_key=True)
    value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("counter")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class Instrument(models.Model):
    """A versioned instrument kept as data (indicator lists, eligibility parameters, scales).

    Computed results store the version they used, so a correction never rewrites history. A new
    version starts as a coordinator's draft copy of the current one; a second coordinator approves
    it with an effective date, from which `instruments.current` returns it.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    kind = models.CharField(_("kind"), max_length=40)
    version = models.CharField(_("version"), max_length=40)
    label = models.CharField(_("label"), max_length=200)
    data = models.JSONField(_("data"))
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    based_on = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("based on")
    )
    drafted_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("drafted by")
    )
    last_edited_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("reason for refusal"), blank=True)
    # Optimistic locking of drafts (`version` above is the instrument's own version label).
    row_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["kind", "-created_at"]
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="instrument_kind_version_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.version}"


class OutgoingMail(models.Model):
    """One e-mail (or one password-reset request) waiting in the outbox, written in the sender's transaction.

    The content is encrypted under the row's own data key, destroyed once the mail is sent; what
    remains (kind, dates, attempts, last error without any address) shows the DPO what failed.
    """

    class Kind(models.TextChoices):
        MESSAGE = "message", _("E-mail")
        PASSWORD_RESET = "password_reset", _("Password reset request")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Not sent after several attempts")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MESSAGE)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=120, blank=True)
    data_key = models.ForeignKey(DataKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    payload = EncryptedJSONField(_("content"))

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="core_mail_due")]

    def __str__(self) -> str:
        return f"OutgoingMail {self.pk} ({self.status})"
