"""Glue for django-axes: lock out per normalised e-mail."""

from __future__ import annotations

from collections.abc import Mapping

from django.http import HttpRequest

from careplus.accounts.models import normalise_email


def username_from_request(request: HttpRequest, credentials: Mapping[str, object] | None) -> str:
    """Return the e-mail the lockout counts against, in its canonical form."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    return normalise_email(str(raw))[:254]
