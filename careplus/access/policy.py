"""Who holds which role, and whether a user may perform an action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias
from uuid import UUID

from careplus.access.roles import OVERSIGHT_ROLES, ROLE_ACTIONS, Action, Role, opens_case_files

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from careplus.accounts.models import User

# Whoever a request carries: a signed-in user, or the anonymous user (who holds no role, so may do
# nothing). Functions that views call with `request.user` take an Actor; services take a User.
Actor: TypeAlias = "User | AnonymousUser"

_CACHE_ATTR = "_careplus_grants"


@dataclass(frozen=True)
class Grant:
    """An active role grant with its scope."""

    role: Role
    office_id: UUID | None
    organisation_id: UUID | None
    # The office's time zone, read in the same query (dates are shown in it: careplus.accounts.middleware).
    office_time_zone: str | None = None


@dataclass(frozen=True)
class _Held:
    """What a user holds, worked out once per user object: their grants, roles and actions."""

    grants: tuple[Grant, ...]
    roles: frozenset[Role]
    actions: frozenset[Action]


_NOTHING = _Held((), frozenset(), frozenset())


def _held(user: Actor) -> _Held:
    """The user's grants with their roles and the actions those allow, loaded once per user object.

    A page asks `can` dozens of times through `request.user` (a lazy object, each attribute read
    a few calls): one attribute read each after the first."""
    held: _Held | None = getattr(user, _CACHE_ATTR, None)
    if held is None:
        if not user.is_authenticated or not user.is_active:
            return _NOTHING  # as before: no query for grants that would give nothing
        rows = user.role_grants.filter(revoked_at__isnull=True).values_list(
            "role", "office_id", "organisation_id", "office__time_zone"
        )
        held = remember_grants(user, tuple(Grant(Role(role), office, org, zone) for role, office, org, zone in rows))
    return held if user.is_active else _NOTHING


def remember_grants(user: object, grants: tuple[Grant, ...]) -> _Held:
    """Keep the user's active grants on the user object (separation of duties applied)."""
    kept = _separated(grants)
    roles = frozenset(grant.role for grant in kept)
    held = _Held(kept, roles, frozenset(action for role in roles for action in ROLE_ACTIONS[role]))
    setattr(user, _CACHE_ATTR, held)
    return held


def grants_of(user: Actor) -> tuple[Grant, ...]:
    """Return the user's active grants, loaded once per user object."""
    return _held(user).grants


def scope_key(user: Actor) -> tuple[object, ...]:
    """Everything the access rules read from a user in Python: the account and its active grants
    (role, office, organisation), as loaded for this request.

    Two users with the same key are given the same SQL by every rule of `scopes`, what the database
    decides (a restricted file's named users) staying in that SQL; `careplus.access.compiled`
    keys the SQL it keeps on it. A rule that reads something more of the user adds it here.
    """
    return (user.pk if user.is_authenticated else None, grants_of(user))


def _separated(grants: tuple[Grant, ...]) -> tuple[Grant, ...]:
    """Separation of duties at every request: an account holding an oversight role (DPO, auditor)
    gets nothing from a role that opens case files, even one granted before the rule or outside
    the services (the grant services refuse to make such a pair)."""
    if not any(grant.role in OVERSIGHT_ROLES for grant in grants):
        return grants
    return tuple(grant for grant in grants if not opens_case_files(grant.role))


def forget_grants(user: User) -> None:
    """Drop the cached grants after a change."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_of(user: Actor) -> frozenset[Role]:
    """Return the set of roles the user holds now."""
    return _held(user).roles


def has_role(user: Actor, role: Role) -> bool:
    """Tell whether the user holds the role."""
    return role in roles_of(user)


def can(user: Actor, action: Action) -> bool:
    """Tell whether one of the user's roles allows the action."""
    return action in _held(user).actions
