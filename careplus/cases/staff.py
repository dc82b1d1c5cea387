"""The caseworker responsible for a file, and staff leaving: their work moves to a colleague.

A coordinator names a file's caseworker among the caseworkers of the file's office (or a
coordinator). When a caseworker, a coordinator or a data protection officer leaves, a coordinator
hands their work to one colleague in one transaction, then the account is deactivated:

- a caseworker's open files (and the restricted files naming them) go to a caseworker of the same
  office or a coordinator;
- a coordinator's files, instrument drafts and tasks go to another active coordinator;
- a DPO's pending erasure requests go to another active DPO.

Each moved item gets an audit event (field names only), each file a timeline event. The last
active coordinator or DPO is not handed away.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, QuerySet
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
from careplus.core.locking import bump, lock_for_edit, touch
from careplus.core.models import Instrument
from careplus.instruments.services import HANDOVER_FIELD
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
    case = lock_for_edit(Case.objects.select_related("data_key"), case.pk, expected_version)
    if case.caseworker_id == (caseworker.pk if caseworker else None):
        return case
    case.caseworker = caseworker
    case.save(update_fields=["caseworker"])
    touch(case)
    services._event(case, actor, "caseworker_changed")
    record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=["caseworker"])
    return case


# The roles whose holder is handed over when they leave (what each may leave behind differs).
HANDED_OVER_ROLES = (Role.CASEWORKER, Role.COORDINATOR, Role.DPO)


def leavers() -> QuerySet[User]:
    """Return the accounts a coordinator may hand over: active caseworkers, coordinators and DPOs."""
    grants = RoleGrant.objects.filter(role__in=HANDED_OVER_ROLES, revoked_at__isnull=True, user__is_active=True)
    return User.objects.filter(is_active=True, pk__in=grants.values("user_id")).order_by("full_name", "email")


def roles_of(user: User) -> set[str]:
    """Return the roles the user actively holds among those handed over."""
    return set(
        RoleGrant.objects.filter(user=user, role__in=HANDED_OVER_ROLES, revoked_at__isnull=True).values_list(
            "role", flat=True
        )
    )


@dataclass(frozen=True)
class LeaverRow:
    """One line of the staff-leaving list: the person, their roles, offices and open files."""

    person: User
    roles: list[str]
    offices: list[str]
    open_files: int


def leaver_rows() -> list[LeaverRow]:
    """Return the staff-leaving list in a fixed number of queries (however many staff there are)."""
    people = list(leavers())
    grants = (
        RoleGrant.objects.filter(user__in=people, role__in=HANDED_OVER_ROLES, revoked_at__isnull=True)
        .select_related("office")
        .order_by("role")
    )
    roles: dict[object, list[str]] = {}
    offices: dict[object, list[str]] = {}
    labels = dict(Role.choices)
    for grant in grants:
        label = str(labels[grant.role])
        if label not in roles.setdefault(grant.user_id, []):
            roles[grant.user_id].append(label)
        if grant.role == Role.CASEWORKER and grant.office is not None:
            offices.setdefault(grant.user_id, []).append(str(grant.office))
    counts = dict(
        Case.objects.filter(caseworker__in=people, erased_at__isnull=True)
        .exclude(status__in=FINISHED)
        .values("caseworker")
        .annotate(n=Count("pk"))
        .values_list("caseworker", "n")
    )
    return [
        LeaverRow(
            person=person,
            roles=roles.get(person.pk, []),
            offices=sorted(offices.get(person.pk, [])),
            open_files=counts.get(person.pk, 0),
        )
        for person in people
    ]


def _holders(role: Role) -> QuerySet[User]:
    return User.objects.filter(is_active=True, pk__in=_active_grants(role).values("user_id"))


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
    """Return who may take over, by the leaver's roles, the leaver excluded.

    A coordinator's files, drafts and tasks go to another coordinator; a data protection officer's
    erasure requests to another DPO; a caseworker's files to a caseworker of the same office or a
    coordinator.
    """
    roles = roles_of(leaver)
    if Role.COORDINATOR in roles:
        people = _holders(Role.COORDINATOR)
    elif Role.DPO in roles:
        people = _holders(Role.DPO)
    else:
        grants = _active_grants(Role.CASEWORKER).filter(office_id__in=offices_of(leaver)).values("user_id")
        people = User.objects.filter(is_active=True, pk__in=grants) | _holders(Role.COORDINATOR)
    return people.exclude(pk=leaver.pk).distinct().order_by("full_name", "email")


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


def open_drafts(leaver: User) -> QuerySet[Instrument]:
    """The instrument drafts the leaver opened and that are not decided yet."""
    return Instrument.objects.filter(drafted_by=leaver, status=Instrument.Status.DRAFT).order_by("kind")


def pending_erasures(leaver: User) -> QuerySet[ErasureRequest]:
    """The erasure requests the leaver made that still await a second person's decision."""
    return (
        ErasureRequest.objects.filter(requested_by=leaver, status=ErasureStatus.REQUESTED)
        .select_related("case", "referral")
        .order_by("created_at")
    )


@dataclass(frozen=True)
class HandoverPlan:
    """What a leaver's handover moves: files, restricted-file access, instrument drafts, erasure requests.

    Tasks are not stored: each user's task list is read from the files in their scope, so a
    leaver's tasks follow the files (and restricted-file access) handed over.
    """

    open_files: list[Case]
    restricted_files: list[Case]
    drafts: list[Instrument]
    erasure_requests: list[ErasureRequest]

    @property
    def empty(self) -> bool:
        return not (self.open_files or self.restricted_files or self.drafts or self.erasure_requests)

    @property
    def count(self) -> int:
        return len(self.open_files) + len(self.restricted_files) + len(self.drafts) + len(self.erasure_requests)


def handover_plan(leaver: User) -> HandoverPlan:
    return HandoverPlan(
        open_files=list(open_files(leaver)),
        restricted_files=list(restricted_files(leaver)),
        drafts=list(open_drafts(leaver)),
        erasure_requests=list(pending_erasures(leaver)),
    )


class SuccessorRefused(RuleViolation):
    """The colleague chosen cannot take over the leaver's work (said next to the field)."""


def _check_not_last(leaver: User) -> None:
    """Refuse to hand away the programme's last active coordinator or data protection officer."""
    roles = roles_of(leaver)
    if Role.COORDINATOR in roles and not _holders(Role.COORDINATOR).exclude(pk=leaver.pk).exists():
        raise RuleViolation(_("This is the last active coordinator: grant the role to someone else first."))
    if Role.DPO in roles and not _holders(Role.DPO).exclude(pk=leaver.pk).exists():
        raise RuleViolation(_("This is the last active data protection officer: grant the role to someone else first."))


def _check_successor(leaver: User, successor: User | None, plan: HandoverPlan) -> User | None:
    if successor is None:
        if not plan.empty:
            raise SuccessorRefused(_("Choose the colleague who takes over the files."))
        return None
    if successor.pk == leaver.pk:
        raise SuccessorRefused(_("The person leaving cannot take over their own files."))
    if not successor.is_active:
        raise SuccessorRefused(_("This account is deactivated: choose an active colleague."))
    if plan.drafts and not _holders(Role.COORDINATOR).filter(pk=successor.pk).exists():
        raise SuccessorRefused(_("Only an active coordinator can take over instrument drafts."))
    if plan.erasure_requests and not _holders(Role.DPO).filter(pk=successor.pk).exists():
        raise SuccessorRefused(_("Only another active data protection officer can take over erasure requests."))
    if not successor_choices(leaver).filter(pk=successor.pk).exists():
        roles = roles_of(leaver)
        if Role.COORDINATOR in roles:
            raise SuccessorRefused(_("Choose another active coordinator."))
        if Role.DPO in roles:
            raise SuccessorRefused(_("Choose another active data protection officer."))
        raise SuccessorRefused(_("Choose a caseworker of the same office as the person leaving."))
    is_coordinator = _holders(Role.COORDINATOR).filter(pk=successor.pk).exists()
    if not is_coordinator:
        theirs = offices_of(successor)
        elsewhere = [case.reference for case in plan.open_files if case.office_id not in theirs]
        if elsewhere:
            raise SuccessorRefused(
                _("This colleague is not a caseworker of the office of these files: %(references)s.")
                % {"references": ", ".join(elsewhere)}
            )
        if plan.restricted_files and not theirs:
            raise SuccessorRefused(_("Choose a caseworker or a coordinator to be named in the restricted files."))
    return successor


@transaction.atomic
def staff_leave(*, actor: User, leaver: User, successor: User | None, expected_version: int) -> HandoverPlan:
    """Move the leaver's files, restricted-file access, drafts and erasure requests, then deactivate.

    All or nothing: a refused successor, an item changed meanwhile or a refused deactivation
    leaves everything and the account as they were. One audit event per item moved (field names
    only). Returns what was handed over.
    """
    if not leavers().filter(pk=leaver.pk).exists():
        raise RuleViolation(_("Only an active caseworker, coordinator or data protection officer is handed over here."))
    if leaver.pk == actor.pk:
        raise RuleViolation(_("You cannot deactivate your own account."))
    _check_not_last(leaver)
    plan = HandoverPlan(
        open_files=list(open_files(leaver).select_for_update(of=("self",))),
        restricted_files=list(restricted_files(leaver)),
        drafts=list(open_drafts(leaver).select_for_update()),
        erasure_requests=list(pending_erasures(leaver).select_for_update(of=("self",))),
    )
    chosen = _check_successor(leaver, successor, plan)
    for case in plan.open_files:
        assert chosen is not None
        Case.objects.filter(pk=case.pk).update(caseworker=chosen)
        touch(case)
        services._event(case, actor, "reassigned")
        record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=["caseworker"])
    for case in plan.restricted_files:
        assert chosen is not None
        case.restricted_users.add(chosen)
        touch(case)
        services._event(case, actor, "restriction_handed_over")
        record_event(action=AuditAction.CHANGE, obj=case, actor=actor, fields=["restricted_users"])
    for draft in plan.drafts:
        assert chosen is not None
        # The successor now holds the draft: as its drafter they may not approve it, and the
        # leaver's edits stay in the audit log, so the leaver may not either (four eyes).
        draft.drafted_by = chosen
        bump(draft, "drafted_by", version_field="row_version")
        record_event(action=AuditAction.CHANGE, obj=draft, actor=actor, fields=[HANDOVER_FIELD])
    for request in plan.erasure_requests:
        assert chosen is not None
        # The successor becomes the requester; the original requester stays in the audit log
        # (their creation event), and neither of them may decide the request.
        request.requested_by = chosen
        bump(request, "requested_by")
        record_event(action=AuditAction.CHANGE, obj=request, actor=actor, fields=["requested_by"])
    account_services.user_deactivate(actor=actor, user=leaver, expected_version=expected_version)
    return plan
