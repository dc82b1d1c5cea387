"""The client's address, the same for the lockout, the rate limits and the audit."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _address(value: str) -> str | None:
    """Return a normalised IP address, or None when the text is not one."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """Return the client's address.

    Without a trusted proxy this is the socket's peer (REMOTE_ADDR). Behind
    CAREPLUS_TRUSTED_PROXY_COUNT proxies that each append the address they saw to
    X-Forwarded-For, the client is the entry that many hops from the right: entries further left
    were written by the client and are never believed.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))[:45]
    if not getattr(settings, "CAREPLUS_TRUST_X_FORWARDED_FOR", False):
        return remote
    hops = max(1, int(getattr(settings, "CAREPLUS_TRUSTED_PROXY_COUNT", 1)))
    entries = [item for item in request.headers.get("X-Forwarded-For", "").split(",") if item.strip()]
    if len(entries) < hops:
        # Fewer entries than proxies: the request skipped one, and its first entry may be the
        # client's own writing. Only the socket's peer is certain.
        return remote
    return _address(entries[-hops]) or remote


def from_trusted_proxy() -> bool:
    """Say whether requests come through a trusted proxy whose headers may be believed."""
    return bool(getattr(settings, "CAREPLUS_TRUST_X_FORWARDED_FOR", False))
