"""System checks for start-up invariants."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_secrets(app_configs: Sequence[AppConfig] | None, **kwargs: object) -> list[CheckMessage]:
    """Refuse a deployment without its keys or with demo data enabled."""
    errors: list[CheckMessage] = []
    if not (getattr(settings, "CAREPLUS_MASTER_KEYS", "") or getattr(settings, "CAREPLUS_MASTER_KEY_FILE", "")):
        errors.append(Error("CAREPLUS_MASTER_KEYS (or CAREPLUS_MASTER_KEY_FILE) is not set.", id="careplus.E001"))
    else:
        from django.core.exceptions import ImproperlyConfigured

        from careplus.core import crypto

        try:
            crypto.keyring()
        except (ImproperlyConfigured, OSError, ValueError) as error:
            errors.append(Error(f"The master keys cannot be read: {type(error).__name__}.", id="careplus.E003"))
        key_file = getattr(settings, "CAREPLUS_MASTER_KEY_FILE", "")
        if key_file and os.path.exists(key_file) and stat.S_IMODE(os.stat(key_file).st_mode) & 0o077:
            errors.append(
                Error(
                    "The master key file can be read by other accounts than its owner.",
                    hint=f"chmod 600 {key_file}",
                    id="careplus.E004",
                )
            )
    errors += [
        Error(f"{name} is not set.", id="careplus.E001")
        for name in ("CAREPLUS_AUDIT_KEY", "CAREPLUS_INDEX_KEY")
        if not getattr(settings, name, "")
    ]
    if getattr(settings, "CAREPLUS_DEMO_ALLOWED", False):
        errors.append(Error("Demo data must be disabled in production.", id="careplus.E002"))
    return errors


@register(Tags.compatibility, deploy=True)
def check_mail(app_configs: Sequence[AppConfig] | None, **kwargs: object) -> list[CheckMessage]:
    """Warn when production would send e-mail nowhere, or in clear, or without signing in to the relay."""
    if settings.EMAIL_BACKEND != "careplus.core.mail.OutboxBackend":
        return []
    warnings: list[CheckMessage] = []
    missing = [
        name for name in ("EMAIL_HOST", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD") if not getattr(settings, name, "")
    ]
    if missing:
        warnings.append(
            Warning(
                f"{', '.join(missing)} not set: invitations, password resets and reminders cannot be sent.",
                hint="Set the SMTP relay's host and credentials in the environment (docs/deploy.md).",
                id="careplus.W001",
            )
        )
    if not (settings.EMAIL_USE_TLS or settings.EMAIL_USE_SSL):
        warnings.append(
            Warning("E-mail would travel in clear.", hint="Set EMAIL_USE_TLS=1 or EMAIL_USE_SSL=1.", id="careplus.W002")
        )
    if getattr(settings, "DEFAULT_FROM_EMAIL", "").endswith("@localhost"):
        warnings.append(
            Warning(
                "DEFAULT_FROM_EMAIL is not set.",
                hint="Set DEFAULT_FROM_EMAIL to the programme's sender address.",
                id="careplus.W003",
            )
        )
    return warnings
