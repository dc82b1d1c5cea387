"""Who and where the current request or command comes from, for audit events."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.http import HttpRequest

    from careplus.access.policy import Actor


@dataclass
class AuditContext:
    request: HttpRequest | None = None
    ip: str = ""
    request_id: str = ""

    @property
    def user(self) -> Actor | None:
        return getattr(self.request, "user", None)  # not set before the authentication middleware


_context: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("careplus_audit_context", default=None)


def current() -> AuditContext:
    return _context.get() or AuditContext()


def bind(ctx: AuditContext) -> contextvars.Token[AuditContext | None]:
    return _context.set(ctx)


def unbind(token: contextvars.Token[AuditContext | None]) -> None:
    _context.reset(token)
