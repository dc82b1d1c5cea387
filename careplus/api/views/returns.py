"""Reintegration plan items and follow-up visits of a case."""

from __future__ import annotations

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
    PlanDeliverInput,
    PlanItemInput,
    PlanItemOutput,
    VisitOutput,
    VisitRecordInput,
)
from careplus.api.views.cases import IF_MATCH, REASON_HEADER, open_case
from careplus.cases.models import Case
from careplus.returns import selectors, services
from careplus.returns.forms import PlanDeliverForm, PlanItemForm, VisitForm
from careplus.returns.models import PlanItem, Visit


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
    serializer_class = VisitOutput

    @extend_schema(operation_id="visits_list", parameters=[REASON_HEADER], responses=VisitOutput(many=True))
    def get(self, request: Request, case_id: str) -> Response:
        case = open_case(request, case_id, Action.CASES_VIEW, part="visit")
        return Response(VisitOutput(selectors.visits(case), many=True).data)


class VisitDetail(ApiView):
    audit_type = "returns.visit"
    id_kwarg = "visit_id"
    serializer_class = VisitOutput

    @extend_schema(operation_id="visits_retrieve", parameters=[REASON_HEADER], responses=VisitOutput)
    def get(self, request: Request, case_id: str, visit_id: str) -> Response:
        case = open_case(request, case_id, Action.CASES_VIEW, part="visit")
        visit = get_child_of_case(Visit, visit_id, case)
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
        """Record a planned visit with its questionnaire; the scores come back computed."""
        case = open_case(request, case_id, Action.CASES_EDIT, part="visit")
        visit = get_child_of_case(Visit, visit_id, case)
        payload = VisitRecordInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        questionnaire = selectors.questionnaire()
        unknown = sorted(set(data["answers"]) - {question["code"] for question in questionnaire})
        if unknown:
            raise ValidationError(
                {"answers": [_("Unknown questionnaire items: %(codes)s.") % {"codes": ", ".join(unknown)}]}
            )
        answers = {f"q_{code}": value for code, value in data.pop("answers").items()}
        form = VisitForm({**data, **answers}, questionnaire=questionnaire)
        values = cleaned(form)
        version = expected_version(request, visit.version)
        visit = services.visit_record(
            actor=self.actor,
            visit=visit,
            done_on=values["done_on"],
            mode=values["mode"],
            progress=values["progress"],
            notes=values["notes"],
            answers=form.answers(),
            expected_version=version,
        )
        return tagged(Response(VisitOutput(visit).data), visit)
