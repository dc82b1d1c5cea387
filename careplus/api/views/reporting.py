"""Programmes and their indicators; readers without exact figures get them suppressed."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from django.conf import settings
from django.http import Http404

from careplus.access.fetch import require
from careplus.access.policy import can
from careplus.access.roles import Action
from careplus.access.scopes import programmes_visible_to
from careplus.api.base import ApiView
from careplus.api.serializers.common import read_filters
from careplus.api.serializers.reporting import IndicatorsOutput, IndicatorsQuery, ProgrammeOutput
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.reporting import figures, periods


class ProgrammeList(ApiView):
    audit_type = "programmes.programme"
    is_listing = True
    serializer_class = ProgrammeOutput

    @extend_schema(operation_id="programmes_list", responses=ProgrammeOutput(many=True))
    def get(self, request: Request) -> Response:
        require(request.user, Action.REPORTS_VIEW)
        programmes = programmes_visible_to(request.user, action=Action.REPORTS_VIEW).order_by("-starts_on")
        return Response(ProgrammeOutput(programmes, many=True).data)


def _block(block: figures.Block) -> dict[str, object]:
    return {
        "key": block.key,
        "component": str(block.component),
        "title": str(block.title),
        "kind": block.kind,
        "total": block.total,
        "target": block.target,
        "suppressed": block.suppressed,
        "rows": [{"category": str(label), "value": value} for label, value in block.rows],
    }


class ProgrammeIndicators(ApiView):
    audit_type = "reporting.indicators"
    id_kwarg = "programme_id"
    is_export = True
    audit_reads = False  # the view records the export with the thresholds applied
    serializer_class = IndicatorsOutput

    @extend_schema(operation_id="programmes_indicators", parameters=[IndicatorsQuery], responses=IndicatorsOutput)
    def get(self, request: Request, programme_id: str) -> Response:
        """The programme's figures for a period, against targets (rate-limited like exports)."""
        require(request.user, Action.REPORTS_VIEW)
        programme = programmes_visible_to(request.user, action=Action.REPORTS_VIEW).filter(pk=programme_id).first()
        if programme is None:
            raise Http404
        query = read_filters(IndicatorsQuery, request.query_params)
        start, end = query.get("start"), query.get("end")
        errors = periods.range_errors(start, end)
        if errors:
            raise ValidationError({name: [message] for name, message in errors.items()})
        period = periods.resolve(programme, query.get("period", "all"), start, end)
        # Disclosure control comes from the settings and the reader's role, never from the query.
        k: int = settings.CAREPLUS_SDC_K
        exact = can(request.user, Action.REPORTS_EXACT)
        blocks = figures.compute(programme, period)
        shown = blocks if exact else figures.disclose(blocks, k=k)
        record_event(
            action=AuditAction.EXPORT,
            object_type=self.audit_type,
            object_id=programme.pk,
            fields=["exact"] if exact else [f"k={k}"],
        )
        body = {
            "programme_id": programme.pk,
            "period": str(period.label),
            "starts_on": period.start,
            "ends_on": period.end,
            "exact": exact,
            "k": k,
            "blocks": [_block(block) for block in shown],
        }
        return Response(IndicatorsOutput(body).data)
