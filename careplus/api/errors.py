"""One error shape for the whole API: `{code, message, extra}`, translated."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from careplus.core.errors import CeilingExceeded, DomainError, StaleObject, TransitionBlocked


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = _("This change needs the If-Match header with the ETag of the record you read.")
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The record changed since you read it; nothing was overwritten. Read it again.")
    default_code = "precondition_failed"


class ReasonRequired(exceptions.APIException):
    status_code = status.HTTP_403_FORBIDDEN
    default_detail = _("This case file is restricted: give the reason for opening it in the X-Access-Reason header.")
    default_code = "reason_required"


_DOMAIN_STATUS: list[tuple[type[DomainError], int]] = [
    (StaleObject, status.HTTP_412_PRECONDITION_FAILED),
    (TransitionBlocked, status.HTTP_409_CONFLICT),
    (CeilingExceeded, status.HTTP_409_CONFLICT),
]


def error_body(code: str, message: object, extra: dict[str, Any] | None = None) -> dict[str, Any]:  # JSON
    return {"code": code, "message": str(message), "extra": extra or {}}


def _field_errors(detail: object) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        fields: dict[str, list[str]] = {}
        for name, value in detail.items():
            for sub, messages in _field_errors(value).items():
                key = name if sub == "non_field_errors" else f"{name}.{sub}"
                fields[key if name != "non_field_errors" else sub] = messages
        return fields
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {"non_field_errors": [str(item) for item in detail]}
        merged: dict[str, list[str]] = {}
        for index, item in enumerate(detail):
            for sub, messages in _field_errors(item).items():
                merged[f"{index}.{sub}" if sub != "non_field_errors" else str(index)] = messages
        return merged
    return {"non_field_errors": [str(detail)]}


def domain_status(error: DomainError) -> int:
    for kind, code in _DOMAIN_STATUS:
        if isinstance(error, kind):
            return code
    return status.HTTP_400_BAD_REQUEST


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:  # DRF's signature
    """Turn every error the API raises into `{code, message, extra}`; unknown errors stay 500s."""
    if isinstance(exc, DomainError):
        return Response(error_body(exc.code, exc.message, exc.extra), status=domain_status(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(
            "invalid", _("Some fields are not valid; nothing was saved."), {"fields": _field_errors(exc.detail)}
        )
        return response
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    extra: dict[str, Any] = {}  # JSON
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        extra["retry_after_seconds"] = int(wait + 0.999)
    detail = exc.detail if isinstance(exc.detail, str) else exc.default_detail
    response.data = error_body(str(code), detail, extra)
    return response
