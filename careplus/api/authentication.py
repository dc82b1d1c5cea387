"""API authentication: personal bearer tokens, or a session that passed the second factor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.request import Request

from django.utils.translation import gettext_lazy as _

from careplus.accounts import services as account_services
from careplus.api.throttles import FailedTokenLimit, keyed_hash
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.services import record_event

if TYPE_CHECKING:
    from careplus.accounts.models import ApiToken, User


class BearerTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>` with a personal token that is neither expired nor revoked."""

    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        raw = parts[1].decode("ascii", errors="replace") if len(parts) == 2 else ""
        limit = FailedTokenLimit(request._request)
        wait = limit.wait()
        if wait is not None:
            # Too many failed tokens from this client: refused before any lookup, audited once a window.
            if limit.first_refusal():
                record_event(
                    action=AuditAction.LOGIN_LOCKED,
                    object_type="accounts.apitoken",
                    outcome=AuditOutcome.DENIED,
                    actor=None,
                )
            raise Throttled(wait=wait)
        token = account_services.api_token_authenticate(raw) if raw else None
        if token is None:
            limit.note_failure()
            record_event(
                action=AuditAction.LOGIN_FAILED,
                object_type="accounts.apitoken",
                # A keyed hash: repeats of one token match, and no character of it is stored.
                object_id=f"hmac:{keyed_hash(raw, purpose='presented-token')}" if raw else "",
                outcome=AuditOutcome.FAILURE,
                actor=None,
            )
            raise AuthenticationFailed(_("The token is invalid, expired or revoked."))
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class VerifiedSessionAuthentication(SessionAuthentication):
    """The pages' session, only once the second factor was given (CSRF checked on writes)."""

    def authenticate(self, request: Request) -> tuple[User, None] | None:
        user: Any = getattr(request._request, "user", None)  # django-otp adds is_verified(), unknown to the types
        if user is None or not user.is_authenticated or not user.is_verified():
            return None
        return super().authenticate(request)
