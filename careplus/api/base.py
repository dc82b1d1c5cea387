"""The base of every API view: authentication, throttles, audit of reads, typed actor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from django.db.models import Model
from django.http import Http404

from careplus.access.decorators import api_authenticated
from careplus.accounts.models import User
from careplus.api.authentication import BearerTokenAuthentication, VerifiedSessionAuthentication
from careplus.api.throttles import ExportRateThrottle, ListRateThrottle, TokenRateThrottle
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event

if TYPE_CHECKING:
    from rest_framework.views import AsView, GenericView

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ApiView(GenericAPIView[Model]):
    """Authenticated, throttled, and every successful read written to the audit log."""

    authentication_classes = [BearerTokenAuthentication, VerifiedSessionAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [TokenRateThrottle, ListRateThrottle, ExportRateThrottle]
    metadata_class = None  # OPTIONS answers 405: the OpenAPI schema describes the API
    audit_type = "api"
    audit_reads = True  # False where the service called already records the view
    id_kwarg = ""
    is_listing = False
    is_export = False

    @classmethod
    def as_view(cls, **initkwargs: Any) -> AsView[GenericView]:
        return api_authenticated(super().as_view(**initkwargs))

    @property
    def actor(self) -> User:
        user = self.request.user
        if not isinstance(user, User):
            raise Http404
        return user

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        read = request.method in SAFE_METHODS and 200 <= response.status_code < 300
        if self.audit_reads and read and request.user.is_authenticated:
            record_event(
                action=AuditAction.VIEW,
                object_type=self.audit_type,
                object_id=kwargs.get(self.id_kwarg, "") if self.id_kwarg else "",
            )
        return response
