"""Offices and partner organisations: who manages them, and who may refer for an organisation.

Managing offices (DPO) and organisations (DPO, coordinator) opens no case file. An organisation's
partners refer through the portal while the organisation is active and its portal is not
suspended; when it is, they still follow the status of their past referrals. The coordination
records referrals received by e-mail or telephone from any active organisation, suspended or not.
"""

from __future__ import annotations

from uuid import UUID

from django.db.models import QuerySet

from careplus.access.fetch import deny
from careplus.access.policy import Actor, can, grants_of
from careplus.access.roles import Action, Role
from careplus.accounts.models import Office, Organisation


def offices_visible_to(actor: Actor) -> QuerySet[Office]:
    """Return the offices the actor manages (the DPO: all, active or not)."""
    if can(actor, Action.OFFICES_MANAGE):
        return Office.objects.all()
    return Office.objects.none()


def organisations_visible_to(actor: Actor) -> QuerySet[Organisation]:
    """Return the partner organisations the actor manages (DPO and coordinators: all, active or not)."""
    if can(actor, Action.ORGANISATIONS_MANAGE):
        return Organisation.objects.all()
    return Organisation.objects.none()


def get_office_for(actor: Actor, office_id: UUID | str) -> Office:
    """Return an office the actor manages, or record the refusal and raise 404."""
    office = offices_visible_to(actor).filter(pk=office_id).first() if _is_uuid(office_id) else None
    if office is None:
        raise deny(action=Action.OFFICES_MANAGE, object_type=Office._meta.label_lower, object_id=office_id)
    return office


def get_organisation_for(actor: Actor, organisation_id: UUID | str) -> Organisation:
    """Return an organisation the actor manages, or record the refusal and raise 404."""
    organisation = (
        organisations_visible_to(actor).filter(pk=organisation_id).first() if _is_uuid(organisation_id) else None
    )
    if organisation is None:
        raise deny(
            action=Action.ORGANISATIONS_MANAGE, object_type=Organisation._meta.label_lower, object_id=organisation_id
        )
    return organisation


def _is_uuid(value: UUID | str) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True


def may_invite_partners(actor: Actor) -> bool:
    """Tell whether the actor may create a partner's account from its organisation's page.

    Creating an account and granting it a role stay the DPO's (product.md: users, roles).
    """
    return can(actor, Action.ORGANISATIONS_MANAGE) and can(actor, Action.USERS_MANAGE)


def portal_open(organisation: Organisation) -> bool:
    """Tell whether the organisation's partners may submit referrals through the portal now."""
    return organisation.active and not organisation.referrals_suspended


def may_refer_for(actor: Actor, organisation: Organisation) -> bool:
    """Tell whether the actor may submit a referral in the organisation's name now.

    A coordinator records referrals received from any active organisation (by e-mail or
    telephone, even while its portal is suspended); a partner refers for their own organisation
    while its portal is open.
    """
    if not can(actor, Action.REFERRALS_SUBMIT):
        return False
    grants = grants_of(actor)
    if any(grant.role == Role.COORDINATOR for grant in grants):
        return organisation.active
    bound = {grant.organisation_id for grant in grants if grant.role == Role.PARTNER}
    return organisation.pk in bound and portal_open(organisation)


def referral_portal_closed(actor: Actor, organisations: QuerySet[Organisation]) -> bool:
    """Tell whether a partner may refer for none of their organisations now (the form is not offered)."""
    if any(grant.role == Role.COORDINATOR for grant in grants_of(actor)):
        return False
    return not any(portal_open(organisation) for organisation in organisations)
