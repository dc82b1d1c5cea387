"""Training indicators, reused by programme reporting."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, QuerySet
from django.db.models.functions import Lower

from careplus.access import compiled
from careplus.programmes.models import Programme
from careplus.referrals.models import Referral
from careplus.trainings.choices import SessionStatus
from careplus.trainings.models import ModuleFeedback, Participation, Professional, TrainingSession

TWO = Decimal("0.01")


@dataclass(frozen=True)
class TrainingIndicators:
    sessions_held: int
    target_sessions: int
    professionals_trained: int
    by_organisation_type: dict[str, int]
    by_city: dict[str, int]
    knowledge_gain: Decimal | None
    satisfaction: Decimal | None
    referrals_from_trained_organisations: int


def _sessions(
    programme_id: uuid.UUID, start: datetime.date | None, end: datetime.date | None
) -> QuerySet[TrainingSession]:
    sessions = TrainingSession.objects.filter(programme_id=programme_id, status=SessionStatus.HELD)
    if start:
        sessions = sessions.filter(held_on__gte=start)
    if end:
        sessions = sessions.filter(held_on__lte=end)
    return sessions


def knowledge_gain(participations: QuerySet[Participation]) -> Decimal | None:
    """Mean of (post - pre) over participants with both scores, in points, exact to 0.01."""
    pairs = list(
        participations.filter(pre_score__isnull=False, post_score__isnull=False).values_list("pre_score", "post_score")
    )
    if not pairs:
        return None
    total = sum((Decimal(post or 0) - Decimal(pre or 0) for pre, post in pairs), Decimal(0))
    return (total / len(pairs)).quantize(TWO, rounding=ROUND_HALF_UP)


def satisfaction(participations: QuerySet[Participation]) -> Decimal | None:
    average = ModuleFeedback.objects.filter(participation__in=participations).aggregate(value=Avg("rating"))["value"]
    return None if average is None else Decimal(str(average)).quantize(TWO, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TrainingSummary:
    sessions_held: int
    professionals_trained: int
    by_organisation_type: dict[str, int]
    by_city: dict[str, int]


@compiled.planned_each_run  # an aggregate over a range: planned with its values
def _sessions_by_city(
    programme_id: uuid.UUID, start: datetime.date | None, end: datetime.date | None
) -> QuerySet[TrainingSession, tuple[str, int]]:
    sessions = _sessions(programme_id, start, end)
    return sessions.values_list("city").annotate(n=Count("*")).order_by()


@compiled.planned_each_run  # an aggregate over a range: planned with its values
def _trained_by_type(
    programme_id: uuid.UUID, start: datetime.date | None, end: datetime.date | None
) -> QuerySet[Professional, tuple[str, int]]:
    present = Participation.objects.filter(session__in=_sessions(programme_id, start, end), present=True)
    trained = Professional.objects.filter(participations__in=present)
    return trained.values_list("organisation_type").annotate(n=Count("id", distinct=True)).order_by()


def summary(
    programme: Programme, *, start: datetime.date | None = None, end: datetime.date | None = None
) -> TrainingSummary:
    """The counts the programme dashboard shows (two queries): sessions by city, people by type.

    Their SQL is compiled once per programme and dates (`access.compiled`)."""
    return queue_summary(compiled.Batch(), programme, start=start, end=end)()


def queue_summary(
    batch: compiled.Batch, programme: Programme, *, start: datetime.date | None, end: datetime.date | None
) -> Callable[[], TrainingSummary]:
    """Queue the summary's two queries in `batch` (read with its other queries); the call answers it."""
    sessions = batch.rows(_sessions_by_city, programme.pk, start, end)
    trained = batch.rows(_trained_by_type, programme.pk, start, end)

    def read() -> TrainingSummary:
        by_city, by_type = dict(sessions.get()), dict(trained.get())
        return TrainingSummary(
            sessions_held=sum(by_city.values()),
            professionals_trained=sum(by_type.values()),
            by_organisation_type=by_type,
            by_city=by_city,
        )

    return read


def compute(
    programme: Programme, *, start: datetime.date | None = None, end: datetime.date | None = None
) -> TrainingIndicators:
    """Sessions held against target, unique professionals trained, breakdowns, gain, satisfaction."""
    counts = summary(programme, start=start, end=end)
    sessions = _sessions(programme.pk, start, end)
    present = Participation.objects.filter(session__in=sessions, present=True)
    trained = Professional.objects.filter(participations__in=present).distinct()
    # Here by city means the professionals trained there (the dashboard's counts the sessions).
    by_city = dict(present.values_list("session__city").annotate(n=Count("professional", distinct=True)).order_by())
    organisations = {name.lower() for name in trained.values_list("organisation", flat=True)}
    referrals = Referral.objects.filter(programme=programme).annotate(org=Lower("organisation__name"))
    first_training = sessions.order_by("held_on").values_list("held_on", flat=True).first()
    from_trained = 0
    if first_training is not None:
        from_trained = referrals.filter(org__in=organisations, received_on__gte=first_training).count()
    return TrainingIndicators(
        sessions_held=counts.sessions_held,
        target_sessions=programme.target_trainings,
        professionals_trained=counts.professionals_trained,
        by_organisation_type=counts.by_organisation_type,
        by_city=by_city,
        knowledge_gain=knowledge_gain(present),
        satisfaction=satisfaction(present),
        referrals_from_trained_organisations=from_trained,
    )
