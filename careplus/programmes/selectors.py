"""Reads on programmes, by the access policy."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from careplus.access.policy import can
from careplus.access.roles import Action
from careplus.programmes.models import Programme


def programmes_for(actor: Any) -> QuerySet[Programme]:
    if can(actor, Action.PROGRAMMES_MANAGE):
        return Programme.objects.order_by("-starts_on")
    return Programme.objects.none()


def programme_of(actor: Any, pk: str) -> Programme | None:
    try:
        return programmes_for(actor).filter(pk=pk).first()
    except ValueError:
        return None
