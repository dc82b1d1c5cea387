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
from careplus.core.currencies import is_known_currency
from careplus.core.errors import RuleViolation
from careplus.core.locking import bump, lock_for_edit
from careplus.core.money import FIXED_PARITY
from careplus.programmes.choices import PlanCategory
from careplus.programmes.models import Programme, ProgrammeBudgetLine, ReferenceRate


def _shown(value: object) -> str:
    """A setting's value as the change history shows it (codes, numbers, dates: no personal data)."""
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return "" if value is None else str(value)


# values: the form's cleaned values
def _check_settings(values: dict[str, Any], budget_lines: dict[str, Decimal]) -> None:
    unknown = [code for code in values.get("currencies", []) if not is_known_currency(code)]
    if unknown:
        raise RuleViolation(_("Unknown currency: %(codes)s.") % {"codes": ", ".join(unknown)})
    for category, amount in budget_lines.items():
        if category not in PlanCategory.values:
            raise RuleViolation(_("Unknown assistance category: %(category)s.") % {"category": category})
        if amount < 0:
            raise RuleViolation(_("A budget cannot be negative."))


@transaction.atomic
def programme_save(
    *,
    actor: User,
    programme: Programme | None,
    values: dict[str, Any],  # the form's cleaned values, each of its field's type
    expected_version: int | None,
    budget_lines: dict[str, Decimal] | None = None,
) -> Programme:
    """Create a programme, or update one refusing a stale edit; audited with old → new values.

    `budget_lines` gives the budget of each assistance category (a category left out, or at 0,
    has no line). Programme settings are not personal data: the audit event keeps each changed
    setting's old and new value, which the programme's history shows.
    """
    lines = {category: amount for category, amount in (budget_lines or {}).items() if amount}
    _check_settings(values, lines)
    if "currencies" in values:
        values = {**values, "currencies": sorted(set(values["currencies"]))}
    creating = programme is None
    if programme is None:
        programme = Programme()
        before: dict[str, Any] = {}  # the settings' previous values, each of its own type
        old_lines: dict[str, Decimal] = {}
    else:
        programme = lock_for_edit(Programme, programme.pk, expected_version, required=True)
        before = {name: getattr(programme, name) for name in values}
        old_lines = dict(programme.budget_lines.values_list("category", "amount"))
    for name, value in values.items():
        setattr(programme, name, value)
    try:
        with transaction.atomic():
            if creating:
                programme.save()
            else:
                bump(programme)
    except IntegrityError as duplicate:
        raise RuleViolation(_("A programme with this name already exists.")) from duplicate
    if budget_lines is not None:
        _budget_lines_replace(programme, lines)
    else:
        lines = old_lines
    changes = {
        name: (_shown(before.get(name)) if not creating else "", _shown(value))
        for name, value in values.items()
        if (creating and _shown(value)) or (not creating and before.get(name) != value)
    }
    for category in sorted(set(old_lines) | set(lines)):
        old, new = old_lines.get(category), lines.get(category)
        if old != new:
            changes[f"budget_line.{category}"] = (_shown(old), _shown(new))
    record_event(
        action=AuditAction.CREATE if creating else AuditAction.CHANGE, obj=programme, actor=actor, changes=changes
    )
    return programme


def _budget_lines_replace(programme: Programme, lines: dict[str, Decimal]) -> None:
    ProgrammeBudgetLine.objects.filter(programme=programme).exclude(category__in=lines).delete()
    for category, amount in lines.items():
        ProgrammeBudgetLine.objects.update_or_create(
            programme=programme, category=category, defaults={"amount": amount}
        )


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
    if not is_known_currency(currency):
        raise RuleViolation(_("Unknown currency: %(codes)s.") % {"codes": currency})
    existing = (
        ReferenceRate.objects.select_for_update()
        .filter(programme=programme, currency=currency, valid_from=valid_from)
        .first()
    )
    creating = existing is None
    if existing is None:
        existing = ReferenceRate(programme=programme, currency=currency, valid_from=valid_from)
        changes = {
            "currency": ("", currency),
            "valid_from": ("", valid_from),
            "rate": ("", rate),
            "source": ("", source),
        }
    else:
        changes = {
            name: (_shown(old), _shown(new))
            for name, old, new in (("rate", existing.rate, rate), ("source", existing.source, source))
            if old != new
        }
    existing.rate, existing.source = rate, source
    if creating:
        existing.save()
    else:
        bump(existing)
    record_event(action=AuditAction.CHANGE, obj=existing, actor=actor, changes=changes)
    return existing
