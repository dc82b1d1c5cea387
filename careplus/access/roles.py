"""Roles and the one table of what each role may do."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    CASEWORKER = "caseworker", _("Caseworker")
    PARTNER = "partner", _("Referring partner")
    TRAINER = "trainer", _("Trainer")
    AUDITOR = "auditor", _("Auditor")
    DPO = "dpo", _("Data protection officer")


class Action(models.TextChoices):
    """Function-level permissions; object scopes are decided in scopes.py."""

    HOME_VIEW = "home.view", _("See the home page")
    ACCOUNT_SELF = "account.self", _("Manage one's own account")
    USERS_MANAGE = "users.manage", _("Create users, grant and revoke roles")
    CASES_VIEW = "cases.view", _("See the case files in one's scope")
    CASE_VIEWERS = "cases.viewers", _("See who viewed a case file")
    CASES_EDIT = "cases.edit", _("Record assessments, notes and documents")
    CASES_MANAGE = "cases.manage", _("Change a case's status, hand it over, restrict it")
    CASES_APPROVE = "cases.approve", _("Approve high risks and best-interests determinations")
    CASES_LEGAL = "cases.legal", _("Read and record the legal situation in France")
    CASES_IMPORT = "cases.import", _("Import existing case files from a spreadsheet (go-live)")
    HANDOVER_ACKNOWLEDGE = "cases.acknowledge", _("Acknowledge a handover to one's office")
    REFERRALS_SUBMIT = "referrals.submit", _("Submit referrals")
    REFERRALS_VIEW = "referrals.view", _("Follow referrals in one's scope")
    REFERRALS_SCREEN = "referrals.screen", _("Record an identification screening")
    REFERRALS_DECIDE = "referrals.decide", _("Decide on referrals")
    REFERRALS_READ_PERSON = "referrals.person", _("Read the person data of referrals")
    TRAININGS_MANAGE = "trainings.manage", _("Organise trainings and record participants")
    PROGRAMMES_MANAGE = "programmes.manage", _("Create and edit programmes, targets and budgets")
    REPORTS_VIEW = "reports.view", _("See the programme's figures and export donor reports")
    REPORTS_EXACT = "reports.exact", _("See exact figures (no small-count suppression)")
    AUDIT_READ = "audit.read", _("Search the audit log")
    AUDIT_EXPORT = "audit.export", _("Export the audit log")
    OFFICES_MANAGE = "offices.manage", _("Create, edit and deactivate offices")
    ORGANISATIONS_MANAGE = (
        "organisations.manage",
        _("Create, edit and deactivate partner organisations, suspend their referral portal"),
    )
    PRIVACY_REQUESTS = "privacy.requests", _("Handle data-subject requests (access, erasure)")
    ERASURE_APPROVE = "privacy.erasure_approve", _("Approve or refuse another person's erasure request")
    PRIVACY_REGISTER = "privacy.register", _("Read the register of processing")
    INSTRUMENTS_VIEW = "instruments.view", _("Read the instrument versions and their drafts")
    INSTRUMENTS_MANAGE = "instruments.manage", _("Draft, approve or refuse a new instrument version")
    STAFF_HANDOVER = "staff.handover", _("Hand over a leaving staff member's work and deactivate the account")


_EVERYONE = frozenset({Action.HOME_VIEW, Action.ACCOUNT_SELF})

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.COORDINATOR: _EVERYONE
    | {
        Action.CASES_VIEW,
        Action.CASE_VIEWERS,
        Action.CASES_EDIT,
        Action.CASES_MANAGE,
        Action.CASES_APPROVE,
        Action.CASES_LEGAL,
        Action.CASES_IMPORT,
        Action.TRAININGS_MANAGE,
        Action.REPORTS_VIEW,
        Action.REPORTS_EXACT,
        Action.PROGRAMMES_MANAGE,
        Action.REFERRALS_SUBMIT,
        Action.REFERRALS_VIEW,
        Action.REFERRALS_SCREEN,
        Action.REFERRALS_DECIDE,
        Action.REFERRALS_READ_PERSON,
        # A new police station, ASE department or NGO is added by the coordination (and the DPO).
        Action.ORGANISATIONS_MANAGE,
        Action.ERASURE_APPROVE,
        Action.PRIVACY_REGISTER,
        Action.INSTRUMENTS_VIEW,
        Action.INSTRUMENTS_MANAGE,
        # Staff leaving: the coordination moves a caseworker's files to a colleague, then deactivates.
        Action.STAFF_HANDOVER,
    },
    Role.CASEWORKER: _EVERYONE | {Action.CASES_VIEW, Action.CASES_EDIT, Action.HANDOVER_ACKNOWLEDGE},
    Role.PARTNER: _EVERYONE | {Action.REFERRALS_SUBMIT, Action.REFERRALS_VIEW, Action.REFERRALS_SCREEN},
    Role.TRAINER: _EVERYONE | {Action.TRAININGS_MANAGE},
    # The auditor reads the instrument versions (what each result was computed with), never drafts them.
    Role.AUDITOR: _EVERYONE | {Action.REPORTS_VIEW, Action.PRIVACY_REGISTER, Action.INSTRUMENTS_VIEW},
    Role.DPO: _EVERYONE
    | {
        Action.USERS_MANAGE,
        # "users, roles, offices" (product.md); neither opens a case file.
        Action.OFFICES_MANAGE,
        Action.ORGANISATIONS_MANAGE,
        Action.AUDIT_READ,
        Action.AUDIT_EXPORT,
        Action.PRIVACY_REQUESTS,
        Action.ERASURE_APPROVE,
        Action.PRIVACY_REGISTER,
    },
}

# Roles whose grant is bound to an office or an organisation.
ROLE_NEEDS_OFFICE = frozenset({Role.CASEWORKER})
ROLE_NEEDS_ORGANISATION = frozenset({Role.PARTNER})

# Actions that open a person's case file (or the person data of a referral).
CASE_FILE_ACTIONS = frozenset(
    {
        Action.CASES_VIEW,
        Action.CASE_VIEWERS,
        Action.CASES_EDIT,
        Action.CASES_MANAGE,
        Action.CASES_APPROVE,
        Action.CASES_LEGAL,
        Action.CASES_IMPORT,
        Action.HANDOVER_ACKNOWLEDGE,
        Action.REFERRALS_READ_PERSON,
        Action.STAFF_HANDOVER,
    }
)

# Roles that oversee the programme: an account holding one never also holds a role that opens
# case files (separation of duties, product.md "Security and data protection").
OVERSIGHT_ROLES = frozenset({Role.DPO, Role.AUDITOR})


def opens_case_files(role: Role) -> bool:
    """Tell whether the role, by the table above, lets its holder read case files."""
    return bool(ROLE_ACTIONS[role] & CASE_FILE_ACTIONS)


def duties_conflict(held: frozenset[Role] | set[Role], role: Role) -> bool:
    """Tell whether adding `role` to the roles `held` would break the separation of duties."""
    if role in OVERSIGHT_ROLES:
        return any(opens_case_files(other) for other in held)
    if opens_case_files(role):
        return bool(held & OVERSIGHT_ROLES)
    return False
