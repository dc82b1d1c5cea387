"""One function per resource: the records a user may see at all."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from careplus.access.policy import can
from careplus.access.roles import Action
from careplus.accounts.models import User


def users_visible_to(actor: Any) -> QuerySet[User]:
    """Return the user accounts the actor may manage (the DPO sees all)."""
    if can(actor, Action.USERS_MANAGE):
        return User.objects.all()
    return User.objects.none()
