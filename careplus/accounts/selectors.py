"""Reads on accounts, always starting from the access scopes."""

from __future__ import annotations

import contextlib
import datetime
import zoneinfo
from collections.abc import Iterable
from uuid import UUID

from django.db.models import F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from careplus.access import compiled
from careplus.access.policy import Actor, grants_of
from careplus.access.roles import Role
from careplus.access.scopes import users_visible_to
from careplus.accounts.models import ApiToken, Office, Organisation, RoleGrant, User


def local_zone(user: Actor) -> datetime.tzinfo:
    """The time zone a user's dates and times are shown in: their office's, else the default (Europe/Paris).

    A user working for offices in several time zones (or for none) sees the default one. The zones are
    read with the user's grants (one query, made once per request by the access checks anyway).
    """
    zones = {grant.office_time_zone for grant in grants_of(user) if grant.office_id and grant.office_time_zone}
    if len(zones) == 1:
        try:
            return zoneinfo.ZoneInfo(zones.pop())
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return timezone.get_default_timezone()


def user_search(*, actor: Actor, q: str = "", role: str = "", status: str = "") -> QuerySet[User]:
    """Return the accounts the actor may manage, filtered, with their active grants."""
    users = users_visible_to(actor)
    if q:
        users = users.filter(Q(email__icontains=q) | Q(full_name__icontains=q))
    if role:
        users = users.filter(role_grants__role=role, role_grants__revoked_at__isnull=True)
    if status == "active":
        users = users.filter(is_active=True)
    elif status == "inactive":
        users = users.filter(is_active=False)
    active_grants = RoleGrant.objects.filter(revoked_at__isnull=True).select_related("office", "organisation")
    return users.distinct().prefetch_related(Prefetch("role_grants", queryset=active_grants, to_attr="active_grants"))


def grants_of_user(*, user: User) -> QuerySet[RoleGrant]:
    """Return all grants of a user, active first, with who granted or revoked them."""
    return (
        RoleGrant.objects.filter(user=user)
        .select_related("office", "organisation", "granted_by", "revoked_by")
        .order_by(F("revoked_at").desc(nulls_first=True), "role", "granted_at")
    )


def active_grants_of(*, user: Actor) -> QuerySet[RoleGrant]:
    """Return a user's active grants with their scope (the anonymous user has none)."""
    if not user.is_authenticated:
        return RoleGrant.objects.none()
    return RoleGrant.objects.filter(user=user, revoked_at__isnull=True).select_related("office", "organisation")


def _active_grant_rows(actor: Actor) -> QuerySet[RoleGrant, tuple[str, str | None, str | None, str | None]]:
    # The account's id, not the account: the compiled query keeps what it was built with.
    grants = RoleGrant.objects.filter(user_id=actor.pk) if isinstance(actor, User) else RoleGrant.objects.none()
    return grants.filter(revoked_at__isnull=True).values_list(
        "role", "office__name", "office__code", "organisation__name"
    )


def roles_held(*, user: Actor) -> list[tuple[str, str]]:
    """Each active grant of the user as it is shown: its role and its office or organisation."""
    if not user.is_authenticated:
        return []
    return [
        (str(Role(role).label), Office.label(office, code) if office is not None and code is not None else org or "")
        for role, office, code, org in compiled.rows(_active_grant_rows, actor=user)
    ]


def api_tokens_of(*, user: User) -> QuerySet[ApiToken]:
    """Return a user's API tokens, newest first (digests are never shown)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def api_token_of(*, user: User, token_id: UUID | str) -> ApiToken:
    """Return one of the user's tokens, or raise 404 (another user's token looks missing)."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise Http404
    return token


def partners_of(*, organisation: Organisation) -> QuerySet[User]:
    """Return the accounts holding an active partner role for the organisation, by name."""
    return (
        User.objects.filter(
            role_grants__organisation=organisation,
            role_grants__role=Role.PARTNER,
            role_grants__revoked_at__isnull=True,
        )
        .distinct()
        .order_by("full_name", "email")
    )


def names_by_id(user_ids: Iterable[str]) -> dict[str, str]:
    """The users' full names by their id written as text, as the audit log keeps its actors.

    An id that is no UUID, or that names no user, is left out: the caller shows what the event
    recorded instead. One query, its SQL compiled once per number of ids; none for no id.
    """
    ids = set()
    for user_id in user_ids:
        with contextlib.suppress(ValueError):
            ids.add(UUID(user_id))
    if not ids:
        return {}
    return {str(pk): name for pk, name in compiled.rows(_names, *(compiled.Param(pk) for pk in sorted(ids)))}


def _names(*ids: UUID) -> QuerySet[User, tuple[UUID, str]]:
    return User.objects.filter(pk__in=ids).values_list("pk", "full_name")
