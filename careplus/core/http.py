"""Every view declares the HTTP methods it handles; any other method answers 405.

Function views declare them with `@methods("GET", "POST")`; class-based views (Django's and the
API's) by the handlers they define. `DeclaredMethodsMiddleware` enforces the declaration before
anything else looks at the request (CSRF, the second-factor gate, the view), so a method a view
does not handle never reaches it, whoever sends it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

F = TypeVar("F", bound=Callable[..., object])

METHODS_ATTR = "careplus_methods"
API_PREFIX = "/api/"
KNOWN_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


def methods(*names: str) -> Callable[[F], F]:
    """Declare the methods a function view handles (HEAD comes with GET)."""
    declared = {name.upper() for name in names}
    unknown = declared - set(KNOWN_METHODS)
    if unknown or not declared:
        raise ValueError(f"Unknown or missing HTTP methods: {sorted(unknown)}")
    if "GET" in declared:
        declared.add("HEAD")
    allowed = sorted(declared)

    def decorate(view: F) -> F:
        wrapped = require_http_methods(allowed)(view)
        setattr(wrapped, METHODS_ATTR, frozenset(allowed))
        return wrapped

    return decorate


def declared_methods(view: object) -> frozenset[str] | None:
    """Return the methods a view handles, or None when it declares none."""
    explicit = getattr(view, METHODS_ATTR, None)
    if explicit is not None:
        return frozenset(explicit)
    view_class = getattr(view, "view_class", None) or getattr(view, "cls", None)
    if view_class is None:
        return None
    handled = {
        name.upper()
        for name in getattr(view_class, "http_method_names", ())
        if callable(getattr(view_class, name, None))
    }
    if "GET" in handled:
        handled.add("HEAD")
    return frozenset(handled)


class DeclaredMethodsMiddleware:
    """Answer 405 to a method the resolved view does not declare (GET and HEAD when undeclared).

    Under /api/ the answer has the API's error shape.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: object, view_args: object, view_kwargs: object
    ) -> HttpResponse | None:
        allowed = declared_methods(view_func) or frozenset({"GET", "HEAD"})
        if (request.method or "").upper() in allowed:
            return None
        response: HttpResponse
        if request.path.startswith(API_PREFIX):
            body = {"code": "method_not_allowed", "message": str(_("This method is not allowed here.")), "extra": {}}
            response = JsonResponse(body, status=405)
            response["Allow"] = ", ".join(sorted(allowed))
        else:
            response = HttpResponseNotAllowed(sorted(allowed))
        return response
