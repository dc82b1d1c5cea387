"""Fetch one object for a user and an action; out of scope answers 404 like missing."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest

from careplus.access.policy import can
from careplus.access.roles import Action
from careplus.access.scopes import users_visible_to
from careplus.accounts.models import User


def acting_user(request: HttpRequest) -> User:
    """Return the signed-in user of a request that passed the second-factor gate."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise Http404
    return user


def require(actor: Any, action: Action) -> None:
    """Raise 404 unless the actor may perform the action at all."""
    if not can(actor, action):
        raise Http404


def get_user_for(actor: Any, user_id: UUID | str, *, action: Action) -> User:
    """Return a user account the actor may act on, or raise 404."""
    require(actor, action)
    try:
        return users_visible_to(actor).get(pk=user_id)
    except (User.DoesNotExist, ValueError) as missing:
        raise Http404 from missing
