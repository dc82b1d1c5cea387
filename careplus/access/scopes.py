"""One function per resource: the records a user may see at all."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from careplus.access.policy import can, grants_of
from careplus.access.roles import Action, Role
from careplus.accounts.models import User
from careplus.audit.models import AuditEvent
from careplus.cases.models import Case
from careplus.referrals.models import Referral


def users_visible_to(actor: Any) -> QuerySet[User]:
    """Return the user accounts the actor may manage (the DPO sees all)."""
    if can(actor, Action.USERS_MANAGE):
        return User.objects.all()
    return User.objects.none()


def cases_visible_to(actor: Any) -> QuerySet[Case]:
    """Return the cases the actor may open: coordinators all, caseworkers their offices'."""
    if not can(actor, Action.CASES_VIEW):
        return Case.objects.none()
    grants = grants_of(actor)
    if any(grant.role == Role.COORDINATOR for grant in grants):
        return Case.objects.all()
    offices = {g.office_id for g in grants if g.role == Role.CASEWORKER and g.office_id}
    return Case.objects.filter(office_id__in=offices)


def partner_organisations(actor: Any) -> set[Any]:
    """Return the ids of the organisations the actor refers for."""
    return {g.organisation_id for g in grants_of(actor) if g.role == Role.PARTNER and g.organisation_id}


def referrals_visible_to(actor: Any) -> QuerySet[Referral]:
    """Return the referrals the actor may follow: coordinators all, partners their organisations'."""
    if not can(actor, Action.REFERRALS_VIEW):
        return Referral.objects.none()
    if any(grant.role == Role.COORDINATOR for grant in grants_of(actor)):
        return Referral.objects.all()
    return Referral.objects.filter(organisation_id__in=partner_organisations(actor))


def audit_events_visible_to(actor: Any) -> QuerySet[AuditEvent]:
    """Return the audit events the actor may search (the DPO sees all)."""
    if can(actor, Action.AUDIT_READ):
        return AuditEvent.objects.all()
    return AuditEvent.objects.none()
