"""The caseworker responsible for a file, and staff leaving: their files move to a colleague.

A coordinator names a file's caseworker among the caseworkers of the file's office (or a
coordinator). When a caseworker leaves, a coordinator hands all of their open files, and the
restricted files that name them, to one colleague of the same office in one transaction (a
timeline event and an audit event per file), then the account is deactivated.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from careplus.access.roles import Role
from careplus.accounts import services as account_services
from careplus.accounts.models import Office, RoleGrant, User
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.cases import services
from careplus.cases.choices import CaseStatus
from careplus.cases.models import Case
from careplus.core.errors import RuleViolation
from careplus.core.models import Instrument
from careplus.privacy.models import ErasureRequest, ErasureStatus

# A file in one of these states has nothing left for a caseworker to do.
FINISHED = (CaseStatus.CLOSED, CaseStatus.WITHDRAWN)


def _active_grants(role: Role) -> QuerySet[RoleGrant]:
    return RoleGrant.objects.filter(role=role, revoked_at__isnull=True, user__is_active=True)


def caseworker_choices(case: Case) -> QuerySet[User]:
    """Return who may be named the file's caseworker: its office's caseworkers, or a coordinator."""
    grants = _active_grants(Role.COORDINATOR)
    if case.office_id is not None:
        grants = grants | _active_grants(Role.CASEWORKER).filter(office_id=case.office_id)
    return User.objects.filter(is_active=True, pk__in=grants.values("user_id")).order_by("full_name", "email")


@transaction.atomic
def caseworker_set(*, actor: User, case: Case, caseworker: User | None, expected_version: int) -> Case:
    """Name (or clear) the caseworker responsible for the file (version-checked, audited)."""
    services.ensure_writable(case)
    if caseworker is not None and not caseworker_choices(case).filter(pk=caseworker.pk).exists():
        raise RuleViolation(_("Choose an active caseworker of the file's office, or a coordinator."))
    case = services._lock(case, expected_version)
    if case.caseworker_id == (caseworker.pk if caseworker else None):
        return case
    case.caseworker = caseworker
    case.save(update_fields=["caseworker"])
    services._bump(case)
    services._event(case, actor, "caseworker_changed")
    record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=["caseworker"])
    return case


def leavers() -> QuerySet[User]:
    """Return the accounts a coordinator may hand over: active users holding a caseworker role."""
    return User.objects.filter(is_active=True, pk__in=_active_grants(Role.CASEWORKER).values("user_id")).order_by(
        "full_name"
    )


def offices_of(user: User) -> set[object]:
    """Return the offices where the user holds an active caseworker role."""
    return set(
        RoleGrant.objects.filter(user=user, role=Role.CASEWORKER, revoked_at__isnull=True).values_list(
            "office_id", flat=True
        )
    )


def caseworker_offices(user: User) -> list[Office]:
    """Return the offices where the user holds an active caseworker role, as shown on screen."""
    return list(Office.objects.filter(pk__in=offices_of(user)).order_by("name"))


def successor_choices(leaver: User) -> QuerySet[User]:
    """Return the active caseworkers of the leaver's office(s), the leaver excluded."""
    grants = _active_grants(Role.CASEWORKER).filter(office_id__in=offices_of(leaver)).values("user_id")
    return User.objects.filter(is_active=True, pk__in=grants).exclude(pk=leaver.pk).order_by("full_name")


def open_files(leaver: User) -> QuerySet[Case]:
    """The files the leaver is responsible for and that are still being worked on."""
    return (
        Case.objects.filter(caseworker=leaver, erased_at__isnull=True)
        .exclude(status__in=FINISHED)
        .select_related("office")
        .order_by("reference")
    )


def restricted_files(leaver: User) -> QuerySet[Case]:
    """The restricted files that name the leaver (they would lose a reader when the account goes)."""
    named = Case.restricted_users.through.objects.filter(user_id=leaver.pk).values("case_id")
    return (
        Case.objects.filter(pk__in=named, restricted=True, erased_at__isnull=True)
        .select_related("office")
        .order_by("reference")
    )


@dataclass(frozen=True)
class HandoverPlan:
    """What a leaver's handover moves (files) and what it only reports (their pending work)."""

    open_files: list[Case]
    restricted_files: list[Case]
    drafts: list[Instrument]
    erasure_requests: list[ErasureRequest]

    @property
    def empty(self) -> bool:
        return not (self.open_files or self.restricted_files or self.drafts or self.erasure_requests)


def handover_plan(leaver: User) -> HandoverPlan:
    return HandoverPlan(
        open_files=list(open_files(leaver)),
        restricted_files=list(restricted_files(leaver)),
        drafts=list(Instrument.objects.filter(drafted_by=leaver, status=Instrument.Status.DRAFT).order_by("kind")),
        erasure_requests=list(
            ErasureRequest.objects.filter(requested_by=leaver, status=ErasureStatus.REQUESTED)
            .select_related("case")
            .order_by("created_at")
        ),
    )


class SuccessorRefused(RuleViolation):
    """The colleague chosen cannot take over the leaver's files (said next to the field)."""


def _check_successor(leaver: User, successor: User | None, files: list[Case], named: list[Case]) -> User | None:
    if successor is None:
        if files or named:
            raise SuccessorRefused(_("Choose the colleague who takes over the files."))
        return None
    if successor.pk == leaver.pk:
        raise SuccessorRefused(_("The person leaving cannot take over their own files."))
    if not successor.is_active:
        raise SuccessorRefused(_("This account is deactivated: choose an active colleague."))
    if not successor_choices(leaver).filter(pk=successor.pk).exists():
        raise SuccessorRefused(_("Choose a caseworker of the same office as the person leaving."))
    theirs = offices_of(successor)
    elsewhere = [case.reference for case in files if case.office_id not in theirs]
    if elsewhere:
        raise SuccessorRefused(
            _("This colleague is not a caseworker of the office of these files: %(references)s.")
            % {"references": ", ".join(elsewhere)}
        )
    return successor


@transaction.atomic
def staff_leave(*, actor: User, leaver: User, successor: User | None, expected_version: int) -> list[Case]:
    """Move the leaver's open files and restricted-file access to the successor, then deactivate.

    All or nothing: a refused successor, a file changed meanwhile or a refused deactivation
    leaves every file and the account as they were. Returns the files handed over.
    """
    if not leavers().filter(pk=leaver.pk).exists():
        raise RuleViolation(_("Only an active caseworker's account is handed over here."))
    files = list(open_files(leaver).select_for_update(of=("self",)))
    named = list(restricted_files(leaver))
    chosen = _check_successor(leaver, successor, files, named)
    moved: list[Case] = []
    for case in files:
        assert chosen is not None
        Case.objects.filter(pk=case.pk).update(caseworker=chosen)
        services._bump(case)
        services._event(case, actor, "reassigned")
        record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=["caseworker"])
        moved.append(case)
    for case in named:
        assert chosen is not None
        case.restricted_users.add(chosen)
        services._bump(case)
        services._event(case, actor, "restriction_handed_over")
        record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=["restricted_users"])
    account_services.user_deactivate(actor=actor, user=leaver, expected_version=expected_version)
    return moved
