"""Creating and editing programmes (coordinators)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from careplus.accounts.models import User
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.core.errors import RuleViolation, StaleObject
from careplus.programmes.models import Programme


@transaction.atomic
def programme_save(
    *, actor: User, programme: Programme | None, values: dict[str, Any], expected_version: int | None
) -> Programme:
    """Create a programme, or update one refusing a stale edit."""
    if programme is None:
        programme = Programme()
    else:
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        if programme.version != expected_version:
            raise StaleObject(_("Someone else changed this programme meanwhile. Reload the page."))
        programme.version += 1
    for name, value in values.items():
        setattr(programme, name, value)
    try:
        with transaction.atomic():
            programme.save()
    except IntegrityError as duplicate:
        raise RuleViolation(_("A programme with this name already exists.")) from duplicate
    record_event(action=AuditAction.CHANGE, obj=programme, actor=actor, fields=sorted(values))
    return programme
