"""Reads on case files, starting from the access scopes."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from careplus.access.scopes import cases_visible_to
from careplus.audit.choices import AuditAction
from careplus.audit.models import AuditEvent
from careplus.cases.models import Case


def case_list(*, actor: Any, status: str = "") -> QuerySet[Case]:
    """Return the cases in the actor's scope with what the list shows."""
    cases = cases_visible_to(actor).select_related("office", "data_key")
    if status:
        cases = cases.filter(status=status)
    return cases


def case_viewers(*, case: Case, limit: int = 50) -> QuerySet[AuditEvent]:
    """Return the latest views of a case file (who and when)."""
    return AuditEvent.objects.filter(
        object_type=Case._meta.label_lower, object_id=str(case.pk), action=AuditAction.VIEW
    ).order_by("-seq")[:limit]
