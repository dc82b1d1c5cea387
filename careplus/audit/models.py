"""Append-only, hash-chained audit log."""

from __future__ import annotations

import datetime
from urllib.parse import unquote

from django.db import models
from django.utils.translation import gettext_lazy as _

from careplus.audit.choices import AuditAction, AuditOutcome


class AuditEvent(models.Model):
    """One audited action. Rows are never updated or deleted (database triggers refuse it)."""

    seq = models.BigIntegerField(_("sequence"), primary_key=True)
    ts = models.BigIntegerField(_("time (µs since epoch, UTC)"), db_index=True)
    actor_id = models.CharField(_("actor id"), max_length=36, blank=True, db_index=True)
    actor_label = models.CharField(_("actor"), max_length=254, blank=True)
    roles = models.CharField(_("roles"), max_length=120, blank=True)
    action = models.CharField(_("action"), max_length=30, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=40, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    fields = models.TextField(_("changed fields"), blank=True)
    ip = models.CharField(_("IP address"), max_length=45, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=AuditOutcome.choices)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_idx"),
            # A file's corrections, newest first (privacy.rectification), without walking its views:
            # only the changes are in it, a few in a hundred events.
            models.Index(
                fields=["object_type", "object_id", "seq"],
                name="audit_change_idx",
                condition=models.Q(action=AuditAction.CHANGE),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"

    @property
    def at(self) -> datetime.datetime:
        return self.time_of(self.ts)

    @staticmethod
    def time_of(ts: int) -> datetime.datetime:
        """The time an event's `ts` column holds (microseconds since the epoch, UTC)."""
        return datetime.datetime.fromtimestamp(ts / 1_000_000, tz=datetime.UTC)

    @property
    def field_names(self) -> list[str]:
        return [name for name in self.fields.split(",") if name]

    @property
    def changes(self) -> list[tuple[str, str, str]]:
        """The (field, old, new) values recorded with `record_event(changes=...)`."""
        found = []
        for token in self.field_names:
            name, _sep, values = token.partition(":")
            if "→" in values:
                old, new = values.split("→", 1)
                found.append((name, unquote(old), unquote(new)))
        return found


class AuditHead(models.Model):
    """The single row holding the chain's last sequence number and hash, sealed with the audit key.

    Database triggers let it only move forward to the last event (never back, never deleted), and
    `mac` (see `chain.head_seal`) tells a head the application wrote from one copied from the table.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
    ts = models.BigIntegerField(default=0)
    mac = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"head #{self.seq}"


class AuditCheckpoint(models.Model):
    """The chain's head signed at every `chain.CHECKPOINT_EVERY` events, stored with the events.

    Written in the transaction that appends the event at that sequence number; the same signature
    as a checkpoint kept outside the database (`chain.Checkpoint`). Rows are never updated or
    deleted (database triggers refuse it), and verification requires one at every multiple up to
    the head: the routine check starts from the last, and a missing one fails.
    """

    seq = models.BigIntegerField(_("sequence"), primary_key=True)
    hash = models.CharField(max_length=64)
    ts = models.BigIntegerField(_("time (µs since epoch, UTC)"))
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")

    def __str__(self) -> str:
        return f"checkpoint #{self.seq}"


class AuditSegmentSeal(models.Model):
    """The events from one stored checkpoint to the next, sealed together with the audit key.

    Stored with the checkpoint that ends the segment (`seq`), once the segment's events verified
    one by one (their sequence numbers, links and seals): a later full check verifies the segment
    with this one MAC over the digest of its rows (`chain.segment_seal`), and event by event only
    where it does not match. Rows are never updated or deleted, and one may only be inserted for a
    stored checkpoint (database triggers).
    """

    seq = models.BigIntegerField(_("sequence"), primary_key=True)
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit segment seal")
        verbose_name_plural = _("audit segment seals")

    def __str__(self) -> str:
        return f"segment seal #{self.seq}"
