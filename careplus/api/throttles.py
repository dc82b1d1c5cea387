"""Rate limits on token use, listing and export (429 with Retry-After).

Rates are read from settings at each request (`CAREPLUS_API_RATES`), so a deployment tunes them
without code; the counters live in the default cache.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time
from typing import TYPE_CHECKING

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from careplus.accounts.models import ApiToken
from careplus.audit.middleware import client_ip

if TYPE_CHECKING:
    from rest_framework.views import APIView  # at run time: a circular import through DRF's settings


class _ConfiguredRate(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        rates: dict[str, str] = settings.CAREPLUS_API_RATES
        return rates.get(str(self.scope))

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        ident = self.identity(request, view)
        return None if ident is None else self.cache_format % {"scope": self.scope, "ident": ident}

    def identity(self, request: Request, view: APIView) -> str | None:
        raise NotImplementedError


class TokenRateThrottle(_ConfiguredRate):
    """Every request made with one personal token."""

    scope = "token"

    def identity(self, request: Request, view: APIView) -> str | None:
        return str(request.auth.pk) if isinstance(request.auth, ApiToken) else None


class ListRateThrottle(_ConfiguredRate):
    """Listings and counts, per user."""

    scope = "list"

    def identity(self, request: Request, view: APIView) -> str | None:
        if request.method != "GET" or not getattr(view, "is_listing", False):
            return None
        return str(request.user.pk)


class ExportRateThrottle(_ConfiguredRate):
    """Figures and exports, per user (5 an hour by default)."""

    scope = "export"

    def identity(self, request: Request, view: APIView) -> str | None:
        return str(request.user.pk) if getattr(view, "is_export", False) else None


FAILED_TOKEN_RATE = "20/minute"
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def keyed_hash(value: str, *, purpose: str, length: int = 32) -> str:
    """HMAC-SHA256 of `value` under the index key, for one purpose: repeats match, the value stays hidden."""
    key: str = settings.CAREPLUS_INDEX_KEY
    message = f"careplus-api-{purpose}\x1f{value}".encode("utf-8", errors="replace")
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:length]


class FailedTokenLimit:
    """Failed bearer-token attempts per client address, in fixed windows (20 a minute by default).

    Each failure takes the next free numbered slot with the cache's `add`, which only one caller
    wins (an INSERT on a unique key in the database cache that production uses), so workers share
    an exact count; `CAREPLUS_API_RATES["failed_token"]` overrides the rate. Cache keys hold a
    keyed hash of the address, never the address.
    """

    scope = "failed_token"

    def __init__(self, request: HttpRequest, *, now: float | None = None) -> None:
        rates: dict[str, str] = getattr(settings, "CAREPLUS_API_RATES", {})
        count, _slash, period = (rates.get(self.scope) or FAILED_TOKEN_RATE).partition("/")
        self.limit = max(1, int(count))
        self.duration = _PERIODS[period[:1]]
        at = time.time() if now is None else now
        start = int(at // self.duration) * self.duration
        self.remaining = start + self.duration - at
        client = keyed_hash(client_ip(request), purpose="failed-token-client")
        self.key = f"throttle:{self.scope}:{client}:{start}"

    def _slot(self, index: int) -> str:
        return f"{self.key}:{index}"

    def wait(self) -> int | None:
        """Seconds to wait before the next attempt, or None while the client is under the limit."""
        if cache.get(self._slot(self.limit - 1)) is None:
            return None
        return max(1, math.ceil(self.remaining))

    def note_failure(self) -> None:
        timeout = self.duration + 1
        hint = cache.get(self.key)
        for index in range(hint if isinstance(hint, int) else 0, self.limit):
            if cache.add(self._slot(index), 1, timeout):
                cache.set(self.key, index + 1, timeout)
                return

    def first_refusal(self) -> bool:
        """True once per window and client (across workers): the refusal that is audited."""
        return bool(cache.add(f"{self.key}:refused", 1, self.duration + 1))
