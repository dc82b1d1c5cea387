"""System checks for start-up invariants."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security, deploy=True)
def check_secrets(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """Refuse a deployment without its keys or with demo data enabled."""
    names = ("CAREPLUS_MASTER_KEYS", "CAREPLUS_AUDIT_KEY", "CAREPLUS_INDEX_KEY")
    errors: list[CheckMessage] = [
        Error(f"{name} is not set.", id="careplus.E001") for name in names if not getattr(settings, name, "")
    ]
    if getattr(settings, "CAREPLUS_DEMO_ALLOWED", False):
        errors.append(Error("Demo data must be disabled in production.", id="careplus.E002"))
    return errors
