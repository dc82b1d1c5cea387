"""Case files: list, detail, status transitions and assessments, through the pages' services."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from django.db.models import Model, QuerySet
from django.http import Http404

from careplus.access import rules
from careplus.access.fetch import get_case_for, require
from careplus.access.policy import Actor
from careplus.access.reading import REASON_MAX, REASON_MIN, record_case_read
from careplus.access.roles import Action
from careplus.accounts.models import User
from careplus.api.base import ApiView
from careplus.api.concurrency import expected_version, tagged
from careplus.api.errors import PreconditionFailed, PreconditionRequired, ReasonRequired
from careplus.api.pagination import NewestFirst
from careplus.api.serializers.cases import (
    AssessmentInput,
    AssessmentOutput,
    AssessmentSummary,
    CaseDetailOutput,
    CaseFilter,
    CaseOutput,
    TransitionInput,
)
from careplus.api.serializers.common import CountOutput, cleaned, read_filters
from careplus.cases import selectors, services, slugs, workflow
from careplus.cases.models import Case, CaseSection
from careplus.cases.sections import SECTIONS, Section

REASON_HEADER = OpenApiParameter(
    "X-Access-Reason",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Why you open a restricted case file (5 to 500 characters); required for restricted cases.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The ETag of the record as you read it; 428 without it, 412 when it is stale.",
)


def open_case(request: Request, case_id: str, action: Action, *, part: str) -> Case:
    """Fetch a case through the access policy; a restricted case needs a reason (header, at every call).

    Every call is written to the audit log with the part of the file read (and the reason with its
    row, for a restricted file), as the pages do; a reason remembered by a page session is not used.
    """
    actor = request.user
    if not isinstance(actor, User):
        raise Http404
    case = get_case_for(actor, case_id, action=action)
    record_case_read(actor=actor, case=case, part=part, reason=header_reason(request, case))
    return case


def header_reason(request: Request, case: Case) -> str:
    """Return the X-Access-Reason of a call on a restricted file ("" for another file); 403 without one."""
    if not case.restricted:
        return ""
    reason = request.headers.get("X-Access-Reason", "").strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise ReasonRequired()
    return reason


def _filtered(request: Request) -> QuerySet[Case]:
    require(request.user, Action.CASES_VIEW)
    filters = read_filters(CaseFilter, request.query_params)
    cases = selectors.case_list(actor=request.user, status=filters.get("status", ""))
    if "office" in filters:
        cases = cases.filter(office_id=filters["office"])
    if "programme" in filters:
        cases = cases.filter(programme_id=filters["programme"])
    if "opened_after" in filters:
        cases = cases.filter(opened_on__gte=filters["opened_after"])
    if "opened_before" in filters:
        cases = cases.filter(opened_on__lte=filters["opened_before"])
    return cases


class CaseList(ApiView):
    audit_type = "cases.case"
    is_listing = True
    pagination_class = NewestFirst
    serializer_class = CaseOutput

    @extend_schema(operation_id="cases_list", parameters=[CaseFilter], responses=CaseOutput(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(_filtered(request))
        return self.get_paginated_response(CaseOutput(page, many=True).data)


class CaseCount(ApiView):
    audit_type = "cases.case"
    is_listing = True
    serializer_class = CountOutput

    @extend_schema(operation_id="cases_count", parameters=[CaseFilter], responses=CountOutput)
    def get(self, request: Request) -> Response:
        return Response({"count": _filtered(request).count()})


def _detail(case: Case) -> dict[str, Any]:  # JSON
    facts = selectors.case_facts(case)
    transitions = [
        {
            "target": target,
            "needs_reason": workflow.needs_reason(facts, target),
            "missing": [str(item) for item in workflow.missing_requirements(facts, target)],
        }
        for target in workflow.allowed_targets(facts)
    ]
    data: dict[str, Any] = CaseDetailOutput(case, context={"transitions": transitions}).data  # JSON
    return data


class CaseDetail(ApiView):
    audit_type = "cases.case"
    audit_reads = False  # case_view_record writes the view (with the reason for a restricted file)
    id_kwarg = "case_id"
    serializer_class = CaseDetailOutput

    @extend_schema(operation_id="cases_retrieve", parameters=[REASON_HEADER], responses=CaseDetailOutput)
    def get(self, request: Request, case_id: str) -> Response:
        case = open_case(request, case_id, Action.CASES_VIEW, part="summary")
        return tagged(Response(_detail(case)), case)


class CaseTransition(ApiView):
    audit_type = "cases.case"
    serializer_class = TransitionInput

    @extend_schema(
        operation_id="cases_transition",
        parameters=[IF_MATCH, REASON_HEADER],
        request=TransitionInput,
        responses=CaseDetailOutput,
    )
    def post(self, request: Request, case_id: str) -> Response:
        """Change the case's status, with the same guards as the case page."""
        case = open_case(request, case_id, Action.CASES_MANAGE, part="status")
        payload = TransitionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        version = expected_version(request, case.version)
        case = services.case_transition(
            actor=self.actor,
            case=case,
            target=payload.validated_data["target"],
            expected_version=version,
            reason=payload.validated_data["reason"],
            closure_reason=payload.validated_data["closure_reason"],
        )
        return tagged(Response(_detail(case)), case)


def _section(case: Case, slug: str, actor: Actor, *, write: bool) -> Section:
    """The section the French word of the address names (`careplus.cases.slugs`), if the actor sees it."""
    key = slugs.section_key(slug)
    spec = SECTIONS.get(key) if key is not None else None
    if spec is None or not rules.section_visible(actor, case, spec):
        raise Http404
    if write:
        require(actor, spec.action)
    return spec


def _plain(value: object) -> object:
    return str(value.pk) if isinstance(value, Model) else value


def _assessment(slug: str, spec: Section, record: CaseSection) -> dict[str, object]:
    values = {name: _plain(value) for name, value in spec.initial(record).items() if name != "version"}
    return {
        "section": slug,
        "title": str(spec.label),
        "version": record.version,
        "updated_at": record.updated_at,
        "values": values,
    }


class AssessmentList(ApiView):
    audit_type = "cases.assessment"
    id_kwarg = "case_id"
    serializer_class = AssessmentSummary

    @extend_schema(operation_id="assessments_list", parameters=[REASON_HEADER], responses=AssessmentSummary(many=True))
    def get(self, request: Request, case_id: str) -> Response:
        case = open_case(request, case_id, Action.CASES_VIEW, part="assessments")
        records = selectors.case_sections(case)
        rows = [
            {
                "section": slugs.SECTION_SLUGS[key],
                "title": str(spec.label),
                "recorded": records.get(key) is not None,
                "version": getattr(records.get(key), "version", None),
            }
            for key, spec in SECTIONS.items()
            if rules.section_visible(request.user, case, spec)
        ]
        return Response(AssessmentSummary(rows, many=True).data)


class AssessmentDetail(ApiView):
    audit_type = "cases.assessment"
    id_kwarg = "case_id"
    serializer_class = AssessmentOutput

    @extend_schema(operation_id="assessments_retrieve", parameters=[REASON_HEADER], responses=AssessmentOutput)
    def get(self, request: Request, case_id: str, section: str) -> Response:
        case = open_case(request, case_id, Action.CASES_VIEW, part="assessments")
        spec = _section(case, section, request.user, write=False)
        record = selectors.section_record(case, spec.model)
        if record is None:
            raise Http404
        return tagged(Response(AssessmentOutput(_assessment(section, spec, record)).data), record)

    @extend_schema(
        operation_id="assessments_update",
        parameters=[
            REASON_HEADER,
            OpenApiParameter(
                "If-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="The ETag of the section as you read it, to change it.",
            ),
            OpenApiParameter(
                "If-None-Match",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="`*` to record a section that does not exist yet.",
            ),
        ],
        request=AssessmentInput,
        responses=AssessmentOutput,
    )
    def put(self, request: Request, case_id: str, section: str) -> Response:
        """Record or replace a section; `If-None-Match: *` creates, `If-Match` replaces."""
        case = open_case(request, case_id, Action.CASES_EDIT, part="assessments")
        spec = _section(case, section, request.user, write=True)
        record = selectors.section_record(case, spec.model)
        creating = request.headers.get("If-None-Match", "").strip() == "*"
        if record is None and not creating:
            if request.headers.get("If-Match"):
                raise PreconditionFailed()
            raise PreconditionRequired()
        if record is not None and creating:
            raise PreconditionFailed()
        version = None if record is None else expected_version(request, record.version)
        payload = AssessmentInput(data=request.data)
        payload.is_valid(raise_exception=True)
        form = spec.build_form(payload.validated_data["values"], instance=record, child=case.is_minor)
        cleaned(form)
        saved = services.section_save(
            actor=self.actor,
            case=case,
            model=spec.model,
            values=form.values(),
            expected_version=version,
            label=str(spec.label),
        )
        return tagged(Response(AssessmentOutput(_assessment(section, spec, saved)).data), saved)
