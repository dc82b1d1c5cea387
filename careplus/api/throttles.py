"""Rate limits on token use, listing and export (429 with Retry-After).

Rates are read from settings at each request (`CAREPLUS_API_RATES`), so a deployment tunes them
without code; the counters live in the default cache.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from django.conf import settings

from careplus.accounts.models import ApiToken


class _ConfiguredRate(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        rates: dict[str, str] = settings.CAREPLUS_API_RATES
        return rates.get(str(self.scope))

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        ident = self.identity(request, view)
        return None if ident is None else self.cache_format % {"scope": self.scope, "ident": ident}

    def identity(self, request: Request, view: Any) -> str | None:
        raise NotImplementedError


class TokenRateThrottle(_ConfiguredRate):
    """Every request made with one personal token."""

    scope = "token"

    def identity(self, request: Request, view: Any) -> str | None:
        return str(request.auth.pk) if isinstance(request.auth, ApiToken) else None


class ListRateThrottle(_ConfiguredRate):
    """Listings and counts, per user."""

    scope = "list"

    def identity(self, request: Request, view: Any) -> str | None:
        if request.method != "GET" or not getattr(view, "is_listing", False):
            return None
        return str(request.user.pk)


class ExportRateThrottle(_ConfiguredRate):
    """Figures and exports, per user (5 an hour by default)."""

    scope = "export"

    def identity(self, request: Request, view: Any) -> str | None:
        return str(request.user.pk) if getattr(view, "is_export", False) else None
