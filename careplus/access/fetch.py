"""Fetch one object for a user and an action; out of scope answers 404 like missing.

Every refusal is written to the audit log before the 404 is raised.
"""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from careplus.access.policy import Actor, can
from careplus.access.roles import Action
from careplus.access.scopes import case_visible_to, referrals_visible_to, trainings_visible_to, users_visible_to
from careplus.accounts.models import User
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.services import record_event
from careplus.cases.models import Case
from careplus.referrals.models import Referral
from careplus.trainings.models import TrainingSession

M = TypeVar("M", bound=Model)


def acting_user(request: HttpRequest) -> User:
    """Return the signed-in user of a request that passed the second-factor gate."""
    user = request.user
    if not isinstance(user, User) or not user.is_authenticated:
        raise Http404
    return user


def deny(*, action: Action, object_type: str = "", object_id: object = "") -> Http404:
    """Record a refusal and return the 404 to raise."""
    record_event(
        action=AuditAction.DENIED,
        object_type=object_type or str(action),
        object_id=object_id,
        outcome=AuditOutcome.DENIED,
    )
    return Http404()


def require(actor: Actor, action: Action) -> None:
    """Raise 404 unless the actor may perform the action at all."""
    if not can(actor, action):
        raise deny(action=action)


def _fetch(actor: Actor, queryset: QuerySet[M], pk: UUID | str, action: Action, model: type[Model]) -> M:
    label = model._meta.label_lower
    if not can(actor, action):
        raise deny(action=action, object_type=label, object_id=pk)
    try:
        return queryset.get(pk=pk)
    except (ObjectDoesNotExist, ValueError) as missing:
        raise deny(action=action, object_type=label, object_id=pk) from missing


def get_user_for(actor: Actor, user_id: UUID | str, *, action: Action) -> User:
    """Return a user account the actor may act on, or raise 404."""
    user: User = _fetch(actor, users_visible_to(actor), user_id, action, User)
    return user


def get_case_for(actor: Actor, case_id: UUID | str, *, action: Action) -> Case:
    """Return a case the actor may act on (with its office and data key), or raise 404."""
    label = Case._meta.label_lower
    if not can(actor, action):
        raise deny(action=action, object_type=label, object_id=case_id)
    try:
        case = case_visible_to(actor, case_id, related=("office", "data_key"))
    except (ValidationError, ValueError) as malformed:
        raise deny(action=action, object_type=label, object_id=case_id) from malformed
    if case is None:
        raise deny(action=action, object_type=label, object_id=case_id)
    return case


def get_child_of_case(records: type[M] | QuerySet[M], pk: UUID | str | int, case: Case) -> M:
    """Return a record of the case (documents, consents, plan items, visits...) by id, or record the refusal
    and raise 404.

    `records` is the model of the record, or a queryset of it naming its relations; only this case's
    records are searched, so an id of another case's record is refused like a missing one, and the
    attempt is written to the audit log. The record comes back with its case attached.
    """
    queryset: QuerySet[M] = records if isinstance(records, QuerySet) else records._default_manager.all()
    label = queryset.model._meta.label_lower
    try:
        item = queryset.filter(case=case).get(pk=pk)
    except (ObjectDoesNotExist, ValidationError, ValueError) as missing:
        raise deny(action=Action.CASES_VIEW, object_type=label, object_id=pk) from missing
    setattr(item, "case", case)  # noqa: B010 - every child record has a `case` foreign key, which M cannot say
    return item


def get_referral_for(actor: Actor, referral_id: UUID | str, *, action: Action) -> Referral:
    """Return a referral the actor may act on, or raise 404."""
    queryset = referrals_visible_to(actor).select_related("data_key", "programme", "organisation", "case__data_key")
    referral: Referral = _fetch(actor, queryset, referral_id, action, Referral)
    return referral


def get_training_for(actor: Actor, session_id: UUID | str, *, action: Action) -> TrainingSession:
    """Return a training session the actor may act on, or raise 404."""
    queryset = trainings_visible_to(actor).select_related("programme")
    session: TrainingSession = _fetch(actor, queryset, session_id, action, TrainingSession)
    return session
