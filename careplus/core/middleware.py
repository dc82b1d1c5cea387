"""Request-wide middleware: request ids and cache headers."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from careplus.core.network import from_trusted_proxy

_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
logger = logging.getLogger("careplus.request")


class RequestIdMiddleware:
    """Give every request an id generated here; the one the audit chain records.

    A well-formed X-Request-ID is believed only from a trusted proxy, and kept apart: in
    request.META["CAREPLUS_PROXY_REQUEST_ID"] and one log line tying it to ours, never in the
    audit chain (a client could otherwise write what the chain records).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = uuid.uuid4().hex
        request.META["CAREPLUS_REQUEST_ID"] = request_id
        incoming = request.headers.get("X-Request-ID", "")
        if incoming and from_trusted_proxy() and _REQUEST_ID.match(incoming):
            request.META["CAREPLUS_PROXY_REQUEST_ID"] = incoming
            logger.info("request %s proxy-request-id %s", request_id, incoming)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


KEEP_CACHE_CONTROL = "careplus_keep_cache_control"


def keep_cache_control(response: HttpResponse) -> HttpResponse:
    """Mark a response holding no personal data whose own Cache-Control NoStoreMiddleware keeps."""
    setattr(response, KEEP_CACHE_CONTROL, True)
    return response


class NoStoreMiddleware:
    """Keep personal pages out of browser and proxy caches (static files and responses marked with
    `keep_cache_control` excepted)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/") and not getattr(response, KEEP_CACHE_CONTROL, False):
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        return response
