"""Reads for reporting, scoped by the access policy."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from careplus.access.policy import can
from careplus.access.roles import Action
from careplus.programmes.models import Programme


def programmes_visible_to(actor: Any) -> QuerySet[Programme]:
    """Coordinators and auditors report on every programme."""
    if can(actor, Action.REPORTS_VIEW):
        return Programme.objects.all()
    return Programme.objects.none()
