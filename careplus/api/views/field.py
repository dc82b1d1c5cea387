"""The offline package a caseworker takes to the field (issue 23)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from careplus.access.fetch import require
from careplus.access.roles import Action
from careplus.api.base import ApiView
from careplus.api.serializers.field import PackageOutput, PackageQuery
from careplus.field import package


class FieldPackage(ApiView):
    audit_type = "field.package"
    audit_reads = False  # each file taken offline is written to the audit log as an export
    serializer_class = PackageOutput

    @extend_schema(operation_id="field_package", request=PackageQuery, responses=PackageOutput)
    def post(self, request: Request) -> Response:
        """Take the user's files with visits or arrival assistance due offline: the minimum each visit needs."""
        require(self.actor, Action.CASES_EDIT)
        query = PackageQuery(data=request.data)
        query.is_valid(raise_exception=True)
        taken = package.take_offline(actor=self.actor, days=query.validated_data.get("days", package.DEFAULT_DAYS))
        return Response(PackageOutput(taken).data)
