"""Reintegration plan items and follow-up visits of a case."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TypedDict

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from django.utils.translation import gettext as _

from careplus.access.fetch import get_child_of_case
from careplus.access.roles import Action
from careplus.api.base import ApiView
from careplus.api.concurrency import expected_version, tagged
from careplus.api.serializers.common import cleaned
from careplus.api.serializers.returns import (
    ArrivalDeliverInput,
    ArrivalItemOutput,
    PlanDeliverInput,
    PlanItemInput,
    PlanItemOutput,
    VisitCorrectInput,
    VisitMissedInput,
    VisitOutput,
    VisitRecordInput,
    VisitSummaryOutput,
)
from careplus.api.views.cases import IF_MATCH, REASON_HEADER, open_case
from careplus.cases.models import Case
from careplus.core.models import Instrument
from careplus.returns import selectors, services
from careplus.returns.choices import VisitStatus
from careplus.returns.forms import DeliveredForm, PlanDeliverForm, PlanItemForm, VisitForm
from careplus.returns.models import ArrivalItem, PlanItem, Visit


def _plan_item(request: Request, case_id: str, item_id: str, action: Action) -> tuple[Case, PlanItem]:
    """Return a case open to the user for `action` and one of its plan items (404 otherwise)."""
    case = open_case(request, case_id, action, part="plan")
    return case, get_child_of_case(PlanItem, item_id, case)


class PlanItemList(ApiView):
    audit_type = "returns.planitem"
    id_kwarg = "case_id"
    serializer_class = PlanItemOutput

    @extend_schema(operation_id="plan_items_list", parameters=[REASON_HEADER], responses=PlanItemOutput(many=True))
    def get(self, request: Request, case_id: str) -> Response:
        case = open_case(request, case_id, Action.CASES_VIEW, part="plan")
        return Response(PlanItemOutput(selectors.plan_items(case), many=True).data)

    @extend_schema(
        operation_id="plan_items_create",
        parameters=[REASON_HEADER],
        request=PlanItemInput,
        responses={201: PlanItemOutput},
    )
    def post(self, request: Request, case_id: str) -> Response:
        """Plan an item; it starts as planned and needs a coordinator's approval."""
        case = open_case(request, case_id, Action.CASES_EDIT, part="plan")
        payload = PlanItemInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = cleaned(
            PlanItemForm(
                {k: v for k, v in payload.validated_data.items() if v is not None},
                programme=services.programme_of(case),
            )
        )
        item = services.plan_item_add(actor=self.actor, case=case, **values)
        return tagged(Response(PlanItemOutput(item).data, status=status.HTTP_201_CREATED), item)


class PlanItemDetail(ApiView):
    audit_type = "returns.planitem"
    id_kwarg = "item_id"
    serializer_class = PlanItemOutput

    @extend_schema(operation_id="plan_items_retrieve", parameters=[REASON_HEADER], responses=PlanItemOutput)
    def get(self, request: Request, case_id: str, item_id: str) -> Response:
        _case, item = _plan_item(request, case_id, item_id, Action.CASES_VIEW)
        return tagged(Response(PlanItemOutput(item).data), item)


class PlanItemApprove(ApiView):
    audit_type = "returns.planitem"
    serializer_class = PlanItemOutput

    @extend_schema(
        operation_id="plan_items_approve", parameters=[IF_MATCH, REASON_HEADER], request=None, responses=PlanItemOutput
    )
    def post(self, request: Request, case_id: str, item_id: str) -> Response:
        """Approve a planned item (coordinators); over the ceiling without an exception answers 409."""
        _case, item = _plan_item(request, case_id, item_id, Action.CASES_APPROVE)
        version = expected_version(request, item.version)
        item = services.plan_item_approve(actor=self.actor, item=item, expected_version=version)
        return tagged(Response(PlanItemOutput(item).data), item)


class PlanItemDeliver(ApiView):
    audit_type = "returns.planitem"
    serializer_class = PlanDeliverInput

    @extend_schema(
        operation_id="plan_items_deliver",
        parameters=[IF_MATCH, REASON_HEADER],
        request=PlanDeliverInput,
        responses=PlanItemOutput,
    )
    def post(self, request: Request, case_id: str, item_id: str) -> Response:
        """Mark an approved item delivered with its actual cost, in the currency the item is paid in."""
        case, item = _plan_item(request, case_id, item_id, Action.CASES_EDIT)
        payload = PlanDeliverInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = cleaned(PlanDeliverForm(payload.validated_data, case=case, currency=item.local_currency))
        version = expected_version(request, item.version)
        item = services.plan_item_deliver(actor=self.actor, item=item, expected_version=version, **values)
        return tagged(Response(PlanItemOutput(item).data), item)


class PlanItemCancel(ApiView):
    audit_type = "returns.planitem"
    serializer_class = PlanItemOutput

    @extend_schema(
        operation_id="plan_items_cancel", parameters=[IF_MATCH, REASON_HEADER], request=None, responses=PlanItemOutput
    )
    def post(self, request: Request, case_id: str, item_id: str) -> Response:
        _case, item = _plan_item(request, case_id, item_id, Action.CASES_EDIT)
        version = expected_version(request, item.version)
        item = services.plan_item_cancel(actor=self.actor, item=item, expected_version=version)
        return tagged(Response(PlanItemOutput(item).data), item)


class VisitList(ApiView):
    audit_type = "returns.visit"
    id_kwarg = "case_id"
    serializer_class = VisitSummaryOutput

    @extend_schema(operation_id="visits_list", parameters=[REASON_HEADER], responses=VisitSummaryOutput(many=True))
    def get(self, request: Request, case_id: str) -> Response:
        case = open_case(request, case_id, Action.CASES_VIEW, part="visit")
        return Response(VisitSummaryOutput(selectors.visits(case), many=True).data)


class VisitDetail(ApiView):
    audit_type = "returns.visit"
    id_kwarg = "visit_id"
    serializer_class = VisitOutput

    @extend_schema(operation_id="visits_retrieve", parameters=[REASON_HEADER], responses=VisitOutput)
    def get(self, request: Request, case_id: str, visit_id: str) -> Response:
        case = open_case(request, case_id, Action.CASES_VIEW, part="visit")
        visit = get_child_of_case(Visit, visit_id, case)
        return tagged(Response(VisitOutput(visit).data), visit)

    @extend_schema(
        operation_id="visits_correct",
        parameters=[IF_MATCH, REASON_HEADER],
        request=VisitCorrectInput,
        responses=VisitOutput,
    )
    def put(self, request: Request, case_id: str, visit_id: str) -> Response:
        """Store the values chosen on the conflict screen over a visit already done or missed.

        If-Match is the version just read (after the 412); the scores are computed again and alerting
        answers raise their alerts (never twice for one visit). A planned visit is recorded or marked
        missed instead (400).
        """
        case = open_case(request, case_id, Action.CASES_EDIT, part="visit")
        visit = get_child_of_case(Visit, visit_id, case)
        payload = VisitCorrectInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        chosen = {
            "outcome": data["outcome"],
            "reason": data["reason"],
            "recorded_offline_at": data["recorded_offline_at"],
        }
        instrument = _answered_on(data)
        if data["outcome"] == VisitStatus.DONE:
            done = _visit_done(data, data["answers"], instrument)
            version = expected_version(request, visit.version, exact=True)
            visit = services.visit_correct(
                actor=self.actor, visit=visit, expected_version=version, instrument=instrument, **chosen, **done
            )
        else:
            version = expected_version(request, visit.version, exact=True)
            visit = services.visit_correct(
                actor=self.actor,
                visit=visit,
                expected_version=version,
                progress=data["progress"],
                notes=data["notes"],
                **chosen,
            )
        return tagged(Response(VisitOutput(visit).data), visit)


class VisitRecord(ApiView):
    audit_type = "returns.visit"
    serializer_class = VisitRecordInput

    @extend_schema(
        operation_id="visits_record",
        parameters=[IF_MATCH, REASON_HEADER],
        request=VisitRecordInput,
        responses=VisitOutput,
    )
    def post(self, request: Request, case_id: str, visit_id: str) -> Response:
        """Record a planned visit with its questionnaire; the scores come back computed.

        `recorded_offline_at`: when the visit was entered on a device offline (kept in the audit log).
        """
        case = open_case(request, case_id, Action.CASES_EDIT, part="visit")
        visit = get_child_of_case(Visit, visit_id, case)
        payload = VisitRecordInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        instrument = _answered_on(data)
        done = _visit_done(data, data["answers"], instrument)
        version = expected_version(request, visit.version)
        visit = services.visit_record(
            actor=self.actor,
            visit=visit,
            expected_version=version,
            recorded_offline_at=data["recorded_offline_at"],
            instrument=instrument,
            **done,
        )
        return tagged(Response(VisitOutput(visit).data), visit)


class VisitDone(TypedDict):
    """A visit done as the pages' form checked it."""

    done_on: datetime.date
    mode: str
    progress: str
    notes: str
    answers: dict[str, str]


def _answered_on(data: Mapping[str, object]) -> Instrument | None:
    """The questionnaire version named by `instrument_id` (one taken offline may have been retired since), or None."""
    instrument_id = data.get("instrument_id")
    if instrument_id is None:
        return None
    instrument = selectors.questionnaire_version(int(str(instrument_id)))
    if instrument is None:
        raise ValidationError({"instrument_id": [_("This questionnaire version does not exist.")]})
    return instrument


def _visit_done(data: Mapping[str, object], answers: Mapping[str, str], instrument: Instrument | None) -> VisitDone:
    """Check a visit done by the pages' form (unknown items and options answer 400) and return its values."""
    questionnaire = selectors.questionnaire(instrument)
    unknown = sorted(set(answers) - {question["code"] for question in questionnaire})
    if unknown:
        raise ValidationError(
            {"answers": [_("Unknown questionnaire items: %(codes)s.") % {"codes": ", ".join(unknown)}]}
        )
    fields = {name: data[name] for name in ("done_on", "mode", "progress", "notes")}
    form = VisitForm({**fields, **{f"q_{code}": value for code, value in answers.items()}}, questionnaire=questionnaire)
    values = cleaned(form)
    return {
        "done_on": values["done_on"],
        "mode": values["mode"],
        "progress": values["progress"],
        "notes": values["notes"],
        "answers": form.answers(),
    }


class VisitMissed(ApiView):
    audit_type = "returns.visit"
    serializer_class = VisitMissedInput

    @extend_schema(
        operation_id="visits_missed",
        parameters=[IF_MATCH, REASON_HEADER],
        request=VisitMissedInput,
        responses=VisitOutput,
    )
    def post(self, request: Request, case_id: str, visit_id: str) -> Response:
        """Mark a planned visit missed, with the reason (`recorded_offline_at` as for recording it)."""
        case = open_case(request, case_id, Action.CASES_EDIT, part="visit")
        visit = get_child_of_case(Visit, visit_id, case)
        payload = VisitMissedInput(data=request.data)
        payload.is_valid(raise_exception=True)
        version = expected_version(request, visit.version)
        visit = services.visit_mark_missed(
            actor=self.actor,
            visit=visit,
            reason=payload.validated_data["reason"],
            expected_version=version,
            recorded_offline_at=payload.validated_data["recorded_offline_at"],
        )
        return tagged(Response(VisitOutput(visit).data), visit)


def _arrival_item(request: Request, case_id: str, item_id: str, action: Action) -> tuple[Case, ArrivalItem]:
    """Return a case open to the user for `action` and one of its arrival assistances (404 otherwise)."""
    case = open_case(request, case_id, action, part="arrival")
    return case, get_child_of_case(ArrivalItem, item_id, case)


class ArrivalItemList(ApiView):
    audit_type = "returns.arrivalitem"
    id_kwarg = "case_id"
    serializer_class = ArrivalItemOutput

    @extend_schema(
        operation_id="arrival_items_list", parameters=[REASON_HEADER], responses=ArrivalItemOutput(many=True)
    )
    def get(self, request: Request, case_id: str) -> Response:
        case = open_case(request, case_id, Action.CASES_VIEW, part="arrival")
        return Response(ArrivalItemOutput(selectors.arrival_items(case), many=True).data)


class ArrivalItemDeliver(ApiView):
    audit_type = "returns.arrivalitem"
    serializer_class = ArrivalDeliverInput

    @extend_schema(
        operation_id="arrival_items_deliver",
        parameters=[IF_MATCH, REASON_HEADER],
        request=ArrivalDeliverInput,
        responses=ArrivalItemOutput,
    )
    def post(self, request: Request, case_id: str, item_id: str) -> Response:
        """Mark an arrival assistance delivered (once; the date not in the future)."""
        _case, item = _arrival_item(request, case_id, item_id, Action.CASES_EDIT)
        payload = ArrivalDeliverInput(data=request.data)
        payload.is_valid(raise_exception=True)
        values = cleaned(DeliveredForm({"delivered_on": payload.validated_data["delivered_on"]}))
        version = expected_version(request, item.version)
        item = services.arrival_item_deliver(
            actor=self.actor,
            item=item,
            delivered_on=values["delivered_on"],
            expected_version=version,
            recorded_offline_at=payload.validated_data["recorded_offline_at"],
        )
        return tagged(Response(ArrivalItemOutput(item).data), item)
