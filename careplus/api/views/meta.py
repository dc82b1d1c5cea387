"""Who am I, the OpenAPI schema and the interactive documentation (assets served locally)."""

from __future__ import annotations

from csp.decorators import csp_update
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from django.utils.decorators import method_decorator

from careplus.access.policy import roles_of
from careplus.accounts.models import ApiToken
from careplus.api.base import ApiView
from careplus.api.serializers.common import CarePlusSerializer


class MeOutput(CarePlusSerializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    full_name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    token_expires_at = serializers.DateTimeField(allow_null=True, help_text="When the token used expires.")


class Me(ApiView):
    audit_type = "accounts.user"
    serializer_class = MeOutput

    @extend_schema(operation_id="me_retrieve", responses=MeOutput)
    def get(self, request: Request) -> Response:
        user = self.actor
        token = request.auth if isinstance(request.auth, ApiToken) else None
        body = {
            "id": user.pk,
            "email": user.email,
            "full_name": user.full_name,
            "roles": sorted(roles_of(user)),
            "token_expires_at": token.expires_at if token else None,
        }
        return Response(MeOutput(body).data)


class Schema(ApiView, SpectacularAPIView):
    """The OpenAPI 3 description of this API, for signed-in users and tokens."""

    audit_type = "api.schema"


@method_decorator(csp_update({"img-src": ["data:"]}), name="get")
class Docs(ApiView, SpectacularSwaggerSplitView):
    """Swagger UI, served from the app's own static files."""

    audit_type = "api.docs"
