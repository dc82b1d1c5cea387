"""Django's error views: JSON in the API's error shape under /api/, and 503 when the database is down."""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views import defaults

from careplus.api.errors import error_body

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("not_found", _("Not found.")), status=404)
    return defaults.page_not_found(request, exception)


def _too_large(request: HttpRequest) -> HttpResponse:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE: say what was too large and how to get the text back."""
    limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if _is_api(request):
        message = _("The request body is too large: at most %(limit)s of data besides files.") % {"limit": limit}
        return JsonResponse(error_body("too_large", message), status=413)
    page = loader.get_template("413.html").render({"limit": limit}, request)
    return HttpResponse(page, status=413)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        return _too_large(request)
    if _is_api(request):
        return JsonResponse(error_body("bad_request", _("The request could not be understood.")), status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("permission_denied", _("You may not do this.")), status=403)
    return defaults.permission_denied(request, exception)


RETRY_AFTER_SECONDS = 30


def _unavailable(request: HttpRequest) -> HttpResponse:
    """The database is unreachable: a plain 503 asking to retry, never a stack trace."""
    response: HttpResponse
    if _is_api(request):
        message = _("The service is temporarily unavailable. Try again in a minute.")
        response = JsonResponse(error_body("unavailable", message), status=503)
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest, *args: object) -> HttpResponse:
    """Answer an unexpected error: 503 when the database is down (connections reopen by themselves)."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return _unavailable(request)
    if _is_api(request):
        return JsonResponse(
            error_body("server_error", _("An error occurred. The technical team has been told.")), status=500
        )
    return defaults.server_error(request)
