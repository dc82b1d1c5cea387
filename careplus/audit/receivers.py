"""Sign-in events from Django's authentication signals."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.services import record_event

if TYPE_CHECKING:
    from django.http import HttpRequest

    from careplus.accounts.models import User


@receiver(user_logged_in, dispatch_uid="careplus_audit_login")
def on_login(sender: object, request: HttpRequest, user: User, **kwargs: object) -> None:
    record_event(action=AuditAction.LOGIN, obj=user, actor=user)


@receiver(user_logged_out, dispatch_uid="careplus_audit_logout")
def on_logout(sender: object, request: HttpRequest, user: User | None, **kwargs: object) -> None:
    if user is not None:
        record_event(action=AuditAction.LOGOUT, obj=user, actor=user)


@receiver(user_login_failed, dispatch_uid="careplus_audit_login_failed")
def on_login_failed(
    sender: object, credentials: dict[str, object], request: HttpRequest | None = None, **kwargs: object
) -> None:
    locked = bool(getattr(request, "axes_locked_out", False))
    attempted = str(credentials.get("username", ""))[:254]
    record_event(
        action=AuditAction.LOGIN_LOCKED if locked else AuditAction.LOGIN_FAILED,
        object_type="accounts.user",
        outcome=AuditOutcome.DENIED,
        actor=None,
        actor_label=attempted,
    )
