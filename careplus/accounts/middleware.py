"""Session lifetime, the second-factor gate in front of every non-public view, and the user's time zone."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import LazyObject, empty
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from careplus.access.decorators import access_level
from careplus.accounts.selectors import local_zone

SESSION_STARTED = "careplus_started"
SESSION_LAST_SEEN = "careplus_last_seen"
_TOUCH_EVERY_SECONDS = 30


class SessionLifetimeMiddleware:
    """End a session idle for 30 minutes or older than 12 hours."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            started = request.session.get(SESSION_STARTED, now)
            last_seen = request.session.get(SESSION_LAST_SEEN, now)
            idle = now - last_seen > settings.CAREPLUS_SESSION_IDLE_SECONDS
            too_old = now - started > settings.CAREPLUS_SESSION_ABSOLUTE_SECONDS
            if idle or too_old:
                logout(request)
                messages.info(request, _("Your session has expired. Please sign in again."))
            else:
                request.session.setdefault(SESSION_STARTED, now)
                if now - last_seen >= _TOUCH_EVERY_SECONDS or SESSION_LAST_SEEN not in request.session:
                    request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)


class RequireSecondFactorMiddleware:
    """Let only verified users (password and second factor) reach non-public views."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: object, view_args: object, view_kwargs: object
    ) -> HttpResponse | None:
        level = access_level(view_func)
        if level in {"public", "api"}:
            return None
        user: Any = request.user  # Any: django-otp's middleware adds is_verified(), unknown to the types
        if not user.is_authenticated:
            return self._refuse(request, reverse("accounts:login"))
        if level == "password" or user.is_verified():
            # The user is known now: the view reads it directly rather than through the two lazy
            # objects Django's and django-otp's middlewares put in front of it (each attribute read
            # through them raised and caught an AttributeError; a file's page reads a few hundred).
            request.user = _loaded(user)
            return None
        return self._refuse(request, reverse("accounts:otp_verify"))

    @staticmethod
    def _refuse(request: HttpRequest, target: str) -> HttpResponse:
        if request.path.startswith("/api/"):
            return JsonResponse({"code": "not_authenticated", "message": _("Authentication required.")}, status=401)
        if request.method == "GET":
            target = f"{target}?{urlencode({'next': request.get_full_path()})}"
        return HttpResponseRedirect(target)


_User = TypeVar("_User")


def _loaded(user: _User) -> _User:
    """The object behind the lazy ones wrapping a request's user (loaded by then), of the type they
    stand for."""
    found: object = user
    while isinstance(found, LazyObject):
        inner: object = object.__getattribute__(found, "_wrapped")
        if inner is empty:
            return user  # not loaded: kept lazy (never the case behind the gate)
        found = inner
    return cast(_User, found)


class OfficeTimeZoneMiddleware:
    """Show dates and times in the signed-in user's office time zone (Asia/Kathmandu for Kathmandu's staff).

    Users without an office, or with offices in several zones, keep the default (settings.TIME_ZONE,
    Europe/Paris). The zone is read with the user's grants, which the access checks of the view load anyway:
    no query of its own. Only views behind the sign-in get it (after the second-factor gate); public views
    and the API (whose token user is known later, and which writes offsets) keep the default.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()  # the next request starts again from the default

    def process_view(
        self, request: HttpRequest, view_func: object, view_args: object, view_kwargs: object
    ) -> HttpResponse | None:
        user: Any = request.user  # Any: django-otp's middleware adds is_verified(), unknown to the types
        if access_level(view_func) not in {"public", "api"} and user.is_authenticated and user.is_verified():
            timezone.activate(local_zone(user))
        return None
