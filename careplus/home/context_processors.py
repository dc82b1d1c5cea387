"""Navigation entries computed from the central policy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypedDict

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from careplus.access.policy import can, roles_of
from careplus.access.roles import Action, Role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

HOME = "home:home"
NAVIGATION = [
    (HOME, _("Home"), Action.HOME_VIEW),
    ("referrals:referral_list", _("Referrals"), Action.REFERRALS_VIEW),
    ("cases:case_list", _("Case files"), Action.CASES_VIEW),
    ("search:search", _("Search"), Action.CASES_VIEW),
    ("field:app", _("Visits without a connection"), Action.CASES_EDIT),
    ("trainings:session_list", _("Trainings"), Action.TRAININGS_MANAGE),
    ("reporting:dashboard", _("Dashboard"), Action.REPORTS_VIEW),
    ("programmes:programme_list", _("Programmes"), Action.PROGRAMMES_MANAGE),
    ("instruments:instrument_list", _("Instruments"), Action.INSTRUMENTS_VIEW),
    ("accounts:user_list", _("Users"), Action.USERS_MANAGE),
    ("accounts:staff_leaving_list", _("Staff leaving"), Action.STAFF_HANDOVER),
    ("accounts:office_list", _("Offices"), Action.OFFICES_MANAGE),
    ("accounts:organisation_list", _("Partner organisations"), Action.ORGANISATIONS_MANAGE),
    ("audit:event_list", _("Audit log"), Action.AUDIT_READ),
    ("privacy:erasure_list", _("Erasure requests"), Action.ERASURE_APPROVE),
    ("privacy:access_request", _("Access requests"), Action.PRIVACY_REQUESTS),
    ("privacy:register", _("Register of processing"), Action.PRIVACY_REGISTER),
]


class Navigation(TypedDict):
    nav_items: Sequence[tuple[str, StrOrPromise, str]]  # URL name, label, address (reversed once)
    nav_elsewhere: Sequence[tuple[str, StrOrPromise, str]]  # the same but the home page (listed on it)
    user_roles: list[Role]


def navigation(request: HttpRequest) -> Navigation:
    """Return the menu entries the current user may use."""
    user: Any = getattr(request, "user", None)  # django-otp adds is_verified(), unknown to the types
    if user is None or not user.is_authenticated or not user.is_verified():
        return {"nav_items": [], "nav_elsewhere": [], "user_roles": []}
    items = [(name, label, reverse(name)) for name, label, action in NAVIGATION if can(user, action)]
    elsewhere = [item for item in items if item[0] != HOME]
    return {"nav_items": items, "nav_elsewhere": elsewhere, "user_roles": sorted(roles_of(user))}
