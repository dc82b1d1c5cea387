"""htmx helpers for views."""

from __future__ import annotations

from django.http import HttpRequest


def is_htmx(request: HttpRequest) -> bool:
    """Tell whether htmx sent the request (so a fragment is enough)."""
    return bool(getattr(request, "htmx", False))
