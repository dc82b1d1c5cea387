"""One function per resource: the records a user may see at all."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Exists, Model, OuterRef, Q, QuerySet

from careplus.access import compiled
from careplus.access.policy import Actor, can, grants_of
from careplus.access.roles import Action, Role
from careplus.accounts.models import User
from careplus.audit.models import AuditEvent
from careplus.cases.models import Case
from careplus.programmes.models import Programme
from careplus.referrals.models import Referral
from careplus.trainings.models import TrainingSession


def users_visible_to(actor: Actor) -> QuerySet[User]:
    """Return the user accounts the actor may manage (the DPO sees all)."""
    if can(actor, Action.USERS_MANAGE):
        return User.objects.all()
    return User.objects.none()


def _offices_reached(actor: Actor) -> frozenset[UUID] | None:
    """The offices whose files the actor's roles reach: None for every office (a coordinator)."""
    if not can(actor, Action.CASES_VIEW):
        return frozenset()
    grants = grants_of(actor)
    if any(grant.role == Role.COORDINATOR for grant in grants):
        return None
    return frozenset(g.office_id for g in grants if g.role == Role.CASEWORKER and g.office_id)


def _cases_by_office(actor: Actor) -> QuerySet[Case]:
    """The cases the actor's roles reach, before the restriction to named users."""
    offices = _offices_reached(actor)
    if offices is None:
        return Case.objects.all()
    if not offices:
        return Case.objects.none()
    return Case.objects.filter(office_id__in=offices, shared_with_office=True)


def office_in_scope(actor: Actor) -> Q:
    """A filter keeping the rows about an office whose files the actor's roles reach (a handover
    to acknowledge): every office for a coordinator, a caseworker's own, none for anyone else."""
    offices = _offices_reached(actor)
    return Q() if offices is None else Q(office_id__in=offices)


def _named(actor: Actor) -> QuerySet[Model]:
    """The rows naming the actor among a restricted file's users (none for the anonymous user)."""
    named = Case.restricted_users.through.objects
    if not actor.is_authenticated:
        return named.none()
    return named.filter(user_id=actor.pk)


def cases_visible_to(actor: Actor) -> QuerySet[Case]:
    """Return the cases the actor may open.

    Coordinators see every case; a caseworker sees the cases handed over to their office while
    the person's consent to share with that office stands (`shared_with_office`, which the
    database keeps equal to the consents: cases/sharing.py). A restricted case is seen only by
    its named users.
    """
    return _cases_by_office(actor).filter(Q(restricted=False) | Q(pk__in=_named(actor).values("case_id")))


def case_visible_to(actor: Actor, pk: UUID | str, *, related: tuple[str, ...] = ()) -> Case | None:
    """Return the case of this id if `cases_visible_to` holds it, else None (ValueError: no id).

    The same rule read for one case: its row within the actor's offices first, then, only for a
    restricted case, whether the actor is one of its named users (a second query that the
    files of everyday work, not restricted, never need). The first query's SQL is compiled once per
    actor's scope and bound to each file's id (`access.compiled`).
    """
    case_id = pk if isinstance(pk, UUID) else UUID(hex=str(pk))
    found: list[Case] = compiled.records(_case_by_office, compiled.Param(case_id), related, actor=actor)
    case = found[0] if found else None
    if case is not None and case.restricted and not _named(actor).filter(case_id=case.pk).exists():
        return None
    return case


def _case_by_office(actor: Actor, case_id: UUID, related: tuple[str, ...]) -> QuerySet[Case]:
    return _cases_by_office(actor).select_related(*related).filter(pk=case_id).order_by()[:1]


def case_in_scope(actor: Actor, case_field: str = "case_id") -> Exists:
    """A filter keeping the rows whose case the actor may open, checked row by row.

    For the short, ordered lists of the inbox: the database walks the rows in order and stops at
    the first ones in scope, instead of first listing every case of the actor's offices.
    """
    return Exists(cases_visible_to(actor).filter(pk=OuterRef(case_field)))


def partner_organisations(actor: Actor) -> set[UUID]:
    """Return the ids of the organisations the actor refers for."""
    return {g.organisation_id for g in grants_of(actor) if g.role == Role.PARTNER and g.organisation_id}


def referrals_visible_to(actor: Actor) -> QuerySet[Referral]:
    """Return the referrals the actor may follow: coordinators all (but a restricted file's, seen only by
    its named users), partners their organisations' (whose status only they follow)."""
    if not can(actor, Action.REFERRALS_VIEW):
        return Referral.objects.none()
    if any(grant.role == Role.COORDINATOR for grant in grants_of(actor)):
        # The referral of a restricted file names its person: only the file's named users see it.
        # Said as the few files left out (not a join to every case): the list then walks its own
        # index in order and stops at its page, and counts without reading the cases.
        hidden = Case.objects.filter(restricted=True).exclude(pk__in=_named(actor).values("case_id"))
        return Referral.objects.exclude(case_id__in=hidden.values("pk"))
    return Referral.objects.filter(organisation_id__in=partner_organisations(actor))


def programmes_visible_to(actor: Actor, *, action: Action) -> QuerySet[Programme]:
    """Return the programmes the actor may act on for the action: all of them or none.

    Programmes are not divided between offices: whoever holds the action sees every programme
    (managing them: coordinators; reporting on them: coordinators and auditors), anyone else none.
    """
    if can(actor, action):
        return Programme.objects.all()
    return Programme.objects.none()


def programmes_listed_for(actor: Actor, *, action: Action) -> list[Programme]:
    """The programmes of `programmes_visible_to`, newest first, for a page that lists them on every
    request (the dashboard's selector): their SQL compiled once per actor's scope (`access.compiled`)."""
    return compiled.records(_programmes_newest_first, action, actor=actor)


def _programmes_newest_first(actor: Actor, action: Action) -> QuerySet[Programme]:
    return programmes_visible_to(actor, action=action).order_by("-starts_on")


def audit_events_visible_to(actor: Actor) -> QuerySet[AuditEvent]:
    """Return the audit events the actor may search (the DPO sees all)."""
    if can(actor, Action.AUDIT_READ):
        return AuditEvent.objects.all()
    return AuditEvent.objects.none()


def trainings_visible_to(actor: Actor) -> QuerySet[TrainingSession]:
    """Return the training sessions the actor organises (trainers and coordinators: all)."""
    if can(actor, Action.TRAININGS_MANAGE):
        return TrainingSession.objects.all()
    return TrainingSession.objects.none()


def subject_request_cases(actor: Actor) -> QuerySet[Case]:
    """Return the case files the actor may open for a data-subject request (GDPR arts. 15-17).

    The DPO reaches every file here, restricted ones included, and only here: the case pages keep
    answering 404 to the DPO (no routine reading). Opening one asks a reason and a fresh second
    factor (`careplus.access.reading.open_for_subject_request`).
    """
    if can(actor, Action.PRIVACY_REQUESTS):
        return Case.objects.all()
    return Case.objects.none()


def subject_request_referrals(actor: Actor) -> QuerySet[Referral]:
    """Return the referrals the actor may open for a data-subject request (see `subject_request_cases`)."""
    if can(actor, Action.PRIVACY_REQUESTS):
        return Referral.objects.all()
    return Referral.objects.none()
