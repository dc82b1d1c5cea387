"""Domain errors: a translatable message, a stable code and extra details."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise


class DomainError(Exception):
    """A business rule refused an operation; the message is shown to the user."""

    code = "domain_error"

    # extra: JSON, sent by the API
    def __init__(self, message: str | Promise, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.extra = extra or {}


class RuleViolation(DomainError):
    """An input or state does not satisfy a business rule."""

    code = "rule_violation"


class StaleObject(DomainError):
    """Someone else saved the record since it was loaded."""

    code = "stale_object"


class TransitionBlocked(DomainError):
    """A state transition's guards are not met."""

    code = "transition_blocked"


class CeilingExceeded(DomainError):
    """Approving would take a beneficiary's plan over the programme's ceiling."""

    code = "ceiling_exceeded"
