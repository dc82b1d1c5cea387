"""Reads on trainings, from the access scopes."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from careplus.access.policy import Actor
from careplus.access.scopes import trainings_visible_to
from careplus.trainings import indicators
from careplus.trainings.choices import ProfessionalType
from careplus.trainings.models import Participation, SessionMaterial, TrainingSession

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ProposedChange(TypedDict):
    label: StrOrPromise
    current: str
    proposed: str


class Proposal(TypedDict):
    participation: Participation
    rows: list[ProposedChange]


class SessionSummary(TypedDict):
    registered: int
    present: int
    knowledge_gain: Decimal | None
    satisfaction: Decimal | None


def session_list(*, actor: Actor) -> QuerySet[TrainingSession]:
    return trainings_visible_to(actor).annotate(
        registered=Count("participations"), present=Count("participations", filter=Q(participations__present=True))
    )


def session_by_token(token: str) -> TrainingSession | None:
    if not token or len(token) > 64:
        return None
    return TrainingSession.objects.filter(registration_token=token).first()


def participations(session: TrainingSession) -> list[Participation]:
    return list(session.participations.select_related("professional").prefetch_related("feedback"))


def participation_of(session: TrainingSession, pk: str) -> Participation:
    try:
        return session.participations.select_related("professional", "session").get(pk=pk)
    except (Participation.DoesNotExist, ValueError) as missing:
        raise Http404 from missing


def proposals(participations: list[Participation]) -> list[Proposal]:
    """The registrations whose typed details differ from the professional's record, field by field."""
    labels: dict[str, StrOrPromise] = {
        "full_name": _("full name"),
        "organisation": _("organisation"),
        "organisation_type": _("organisation type"),
        "position": _("position"),
    }
    types = dict(ProfessionalType.choices)
    pending: list[Proposal] = []
    for participation in participations:
        proposed = participation.proposed_details or {}
        rows: list[ProposedChange] = []
        for name, label in labels.items():
            if name not in proposed:
                continue
            current, new = str(getattr(participation.professional, name)), str(proposed[name])
            if name == "organisation_type":
                current, new = str(types.get(current, current)), str(types.get(new, new))
            rows.append({"label": label, "current": current, "proposed": new})
        if rows:
            pending.append({"participation": participation, "rows": rows})
    return pending


def materials(session: TrainingSession) -> list[SessionMaterial]:
    return list(session.materials.defer("content"))


def material_of(session: TrainingSession, pk: str) -> SessionMaterial:
    try:
        return session.materials.get(pk=pk)
    except (SessionMaterial.DoesNotExist, ValueError) as missing:
        raise Http404 from missing


def session_summary(session: TrainingSession) -> SessionSummary:
    present = session.participations.filter(present=True)
    return {
        "registered": session.participations.count(),
        "present": present.count(),
        "knowledge_gain": indicators.knowledge_gain(present),
        "satisfaction": indicators.satisfaction(present),
    }
