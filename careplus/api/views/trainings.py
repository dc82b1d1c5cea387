"""Training sessions and participants, for trainers and coordinators."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from django.utils.translation import gettext as _

from careplus.access.fetch import get_training_for, require
from careplus.access.roles import Action
from careplus.api.base import ApiView
from careplus.api.concurrency import expected_version, tagged
from careplus.api.pagination import NewestFirst
from careplus.api.serializers.common import cleaned, read_filters
from careplus.api.serializers.trainings import (
    ParticipantOutput,
    ParticipantsAdded,
    ParticipantsInput,
    TrainingFilter,
    TrainingInput,
    TrainingOutput,
)
from careplus.api.views.cases import IF_MATCH
from careplus.core.errors import RuleViolation
from careplus.referrals.selectors import current_programme
from careplus.trainings import selectors, services, sheets
from careplus.trainings.forms import SessionForm
from careplus.trainings.models import TrainingSession

SESSION_FIELDS = ("title", "city", "venue", "held_on", "status", "capacity", "modules", "trainers")


def _values(data: dict[str, Any]) -> dict[str, Any]:  # JSON in, the form's cleaned values out
    return {k: v for k, v in cleaned(SessionForm(data)).items() if k != "version"}


class TrainingList(ApiView):
    audit_type = "trainings.trainingsession"
    is_listing = True
    pagination_class = NewestFirst
    serializer_class = TrainingOutput

    @extend_schema(operation_id="trainings_list", parameters=[TrainingFilter], responses=TrainingOutput(many=True))
    def get(self, request: Request) -> Response:
        require(request.user, Action.TRAININGS_MANAGE)
        filters = read_filters(TrainingFilter, request.query_params)
        sessions = selectors.session_list(actor=request.user)
        if "status" in filters:
            sessions = sessions.filter(status=filters["status"])
        if "programme" in filters:
            sessions = sessions.filter(programme_id=filters["programme"])
        if "held_after" in filters:
            sessions = sessions.filter(held_on__gte=filters["held_after"])
        if "held_before" in filters:
            sessions = sessions.filter(held_on__lte=filters["held_before"])
        page = self.paginate_queryset(sessions)
        return self.get_paginated_response(TrainingOutput(page, many=True).data)

    @extend_schema(operation_id="trainings_create", request=TrainingInput, responses={201: TrainingOutput})
    def post(self, request: Request) -> Response:
        require(request.user, Action.TRAININGS_MANAGE)
        programme = current_programme()
        if programme is None:
            raise RuleViolation(_("No programme exists yet."))
        payload = TrainingInput(data=request.data)
        payload.is_valid(raise_exception=True)
        session = services.session_create(actor=self.actor, programme=programme, **_values(payload.validated_data))
        return tagged(Response(TrainingOutput(session).data, status=status.HTTP_201_CREATED), session)


class TrainingDetail(ApiView):
    audit_type = "trainings.trainingsession"
    id_kwarg = "session_id"
    serializer_class = TrainingOutput

    @extend_schema(operation_id="trainings_retrieve", responses=TrainingOutput)
    def get(self, request: Request, session_id: str) -> Response:
        session = get_training_for(request.user, session_id, action=Action.TRAININGS_MANAGE)
        return tagged(Response(TrainingOutput(session).data), session)

    @extend_schema(
        operation_id="trainings_update",
        parameters=[IF_MATCH],
        request=TrainingInput(partial=True),
        responses=TrainingOutput,
    )
    def patch(self, request: Request, session_id: str) -> Response:
        """Change some of a session's fields (the others keep their value)."""
        session = get_training_for(request.user, session_id, action=Action.TRAININGS_MANAGE)
        payload = TrainingInput(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        current = {name: getattr(session, name) for name in SESSION_FIELDS}
        values = _values({**current, **payload.validated_data})
        version = expected_version(request, session.version)
        session = services.session_update(actor=self.actor, session=session, expected_version=version, **values)
        return tagged(Response(TrainingOutput(session).data), session)


def _session(request: Request, session_id: str) -> TrainingSession:
    return get_training_for(request.user, session_id, action=Action.TRAININGS_MANAGE)


class ParticipantList(ApiView):
    audit_type = "trainings.participation"
    id_kwarg = "session_id"
    serializer_class = ParticipantOutput

    @extend_schema(operation_id="participants_list", responses=ParticipantOutput(many=True))
    def get(self, request: Request, session_id: str) -> Response:
        session = _session(request, session_id)
        return Response(ParticipantOutput(selectors.participations(session), many=True).data)

    @extend_schema(operation_id="participants_add", request=ParticipantsInput, responses={201: ParticipantsAdded})
    def post(self, request: Request, session_id: str) -> Response:
        """Add participants, all or none: each row is checked like a line of an attendance sheet."""
        session = _session(request, session_id)
        payload = ParticipantsInput(data=request.data)
        payload.is_valid(raise_exception=True)
        rows = [
            sheets.Row(number=index + 1, values={k: str(v) for k, v in row.items()})
            for index, row in enumerate(payload.validated_data["participants"])
        ]
        checked = services.import_preview(session=session, rows=rows)
        errors = {f"participants.{row.number - 1}": [str(e) for e in row.errors] for row in checked if row.errors}
        if errors:
            raise ValidationError(errors)
        added = services.import_commit(actor=self.actor, session=session, rows=checked)
        return Response({"added": added}, status=status.HTTP_201_CREATED)
