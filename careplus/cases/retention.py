"""Retention: closed and withdrawn case files are anonymised once the configured period has run.

Anonymising is the erasure of `services.case_erase`: the case's data key is destroyed, so its
encrypted data can never be read again, while the fields the figures count (status, sex,
nationality, country, year of birth, dates) stay. A file whose legal proceedings are still
pending (a hearing ahead) is kept: the person may need it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from careplus.cases import services
from careplus.cases.choices import CaseStatus
from careplus.cases.models import Case, LegalSituation
from careplus.core.errors import RuleViolation

# No file is anonymised within a year of its closure, whatever is configured or typed.
MINIMUM_DAYS = 365


@dataclass
class RetentionRun:
    cutoff: datetime.date
    anonymised: list[str] = field(default_factory=list)
    kept_for_proceedings: list[str] = field(default_factory=list)


def cutoff(today: datetime.date | None = None, days: int | None = None) -> datetime.date:
    """The last day a file may have been closed on and still be kept."""
    period: int = settings.CAREPLUS_RETENTION_DAYS if days is None else days
    if period < MINIMUM_DAYS:
        # A mistyped period would erase files closed yesterday: refused before anything is read.
        raise RuleViolation(f"A retention period of {period} days is refused: it must be at least {MINIMUM_DAYS} days.")
    return (today or timezone.localdate()) - datetime.timedelta(days=period)


def expired(limit: datetime.date) -> QuerySet[Case]:
    """Files closed before the cutoff, or withdrawn and untouched since before it, not yet erased."""
    closed = Q(status=CaseStatus.CLOSED, closed_on__lt=limit)
    withdrawn = Q(status=CaseStatus.WITHDRAWN, updated_at__date__lt=limit)
    return Case.objects.filter(closed | withdrawn, erased_at__isnull=True).order_by("closed_on", "reference")


def anonymise_expired(
    *, today: datetime.date | None = None, days: int | None = None, dry_run: bool = False
) -> RetentionRun:
    """Erase every expired file (one transaction each), except those with proceedings pending."""
    run = RetentionRun(cutoff=cutoff(today, days))
    pending = set(
        LegalSituation.objects.filter(next_hearing_on__gte=today or timezone.localdate()).values_list(
            "case_id", flat=True
        )
    )
    for case in expired(run.cutoff).iterator(chunk_size=500):
        if case.pk in pending:
            run.kept_for_proceedings.append(case.reference)
            continue
        if not dry_run:
            services.case_erase(actor=None, case=case)
        run.anonymised.append(case.reference)
    return run
