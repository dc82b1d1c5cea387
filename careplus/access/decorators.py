"""Mark views by the level of authentication they need (default: second factor verified)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, TypeVar

F = TypeVar("F", bound=Callable[..., object])

AccessLevel = Literal["public", "password", "verified", "api"]
ACCESS_ATTR = "careplus_access"


def public(view: F) -> F:
    """Let anyone reach the view (login, password reset, language switch)."""
    setattr(view, ACCESS_ATTR, "public")
    return view


def password_only(view: F) -> F:
    """Let a user who gave a password but no second factor yet reach the view."""
    setattr(view, ACCESS_ATTR, "password")
    return view


def api_authenticated(view: F) -> F:
    """Leave authentication to the API layer (bearer token, or a session with its second factor)."""
    setattr(view, ACCESS_ATTR, "api")
    return view


def access_level(view: object) -> AccessLevel:
    """Return the authentication level a view needs."""
    level: AccessLevel = getattr(view, ACCESS_ATTR, "verified")
    return level
