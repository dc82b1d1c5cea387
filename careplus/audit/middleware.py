"""Bind each request's actor, address and id for the audit events it writes."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from careplus.audit.context import AuditContext, bind, unbind
from careplus.core import crypto
from careplus.core.network import client_ip

__all__ = ["AuditContextMiddleware", "client_ip"]


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = bind(
            AuditContext(
                request=request,
                ip=client_ip(request),
                request_id=str(request.META.get("CAREPLUS_REQUEST_ID", "")),
            )
        )
        try:
            return self.get_response(request)
        finally:
            unbind(token)
            crypto.forget_keys()  # unwrapped data keys live for one request only
