"""Creating and editing programmes (coordinators)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from careplus.accounts.models import User
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.core.errors import RuleViolation, StaleObject
from careplus.core.money import FIXED_PARITY
from careplus.programmes.models import Programme, ReferenceRate


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


@transaction.atomic
def reference_rate_save(
    *, actor: User, programme: Programme, currency: str, valid_from: datetime.date, rate: Decimal, source: str
) -> ReferenceRate:
    """Record a programme's reference rate for a currency from a date (replacing that day's rate); audited."""
    if currency in FIXED_PARITY:
        raise RuleViolation(
            _("%(currency)s has a fixed parity with the euro (%(rate)s); it cannot be changed.")
            % {"currency": currency, "rate": FIXED_PARITY[currency]}
        )
    if currency == "EUR":
        raise RuleViolation(_("Amounts in euros need no rate."))
    existing = (
        ReferenceRate.objects.select_for_update()
        .filter(programme=programme, currency=currency, valid_from=valid_from)
        .first()
    )
    if existing is None:
        existing = ReferenceRate(programme=programme, currency=currency, valid_from=valid_from)
        fields = ["currency", "valid_from", "rate", "source"]
    else:
        existing.version += 1
        fields = ["rate", "source"]
    existing.rate, existing.source = rate, source
    existing.save()
    record_event(action=AuditAction.CHANGE, obj=existing, actor=actor, fields=fields)
    return existing
