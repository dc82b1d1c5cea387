"""Searching the audit log."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from careplus.access.policy import Actor
from careplus.access.roles import Role
from careplus.access.scopes import audit_events_visible_to
from careplus.audit.models import AuditEvent


def _micros(day: datetime.date, *, end: bool = False) -> int:
    moment = datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())
    if end:
        moment += datetime.timedelta(days=1)
    return int(moment.timestamp() * 1_000_000)


def audit_search(
    *,
    actor: Actor,
    actor_q: str = "",
    object_type: str = "",
    object_id: str = "",
    action: str = "",
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> QuerySet[AuditEvent]:
    """Return the events matching the filters, newest first."""
    events = audit_events_visible_to(actor)
    if actor_q:
        events = events.filter(actor_label__icontains=actor_q)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if action:
        events = events.filter(action=action)
    if date_from:
        events = events.filter(ts__gte=_micros(date_from))
    if date_to:
        events = events.filter(ts__lt=_micros(date_to, end=True))
    return events.order_by("-seq")


def role_labels(roles: str) -> str:
    """The roles an audit event records (« coordinator,dpo ») as the reader's labels."""
    labels = dict(Role.choices)
    return ", ".join(str(labels.get(role, role)) for role in roles.split(",") if role)
