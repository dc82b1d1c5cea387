"""Retention: expired closed files are anonymised by `anonymise_expired`; nothing else is touched."""

from __future__ import annotations

import datetime
import io

import pytest

from django.core.management import CommandError, call_command
from django.utils import timezone

from careplus.audit.choices import AuditAction
from careplus.audit.models import AuditEvent
from careplus.audit.services import verify_chain
from careplus.cases import retention
from careplus.cases.choices import CaseStatus
from careplus.cases.models import Case, LegalSituation
from careplus.core.models import DataKey
from tests import factories

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 23)


def _closed(days_ago: int, family_name: str = "Gurung") -> Case:
    case = factories.make_case(family_name=family_name)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED, closed_on=TODAY - datetime.timedelta(days_ago))
    return Case.objects.get(pk=case.pk)


def test_a_file_closed_longer_ago_than_the_period_is_erased_and_the_others_are_kept() -> None:
    old = _closed(400, family_name=factories.CANARY)
    recent = _closed(200)
    still_open = factories.make_case()
    run = retention.anonymise_expired(today=TODAY, days=365)
    assert run.anonymised == [old.reference]
    old.refresh_from_db()
    assert old.erased_at is not None
    assert DataKey.objects.get(pk=old.data_key_id).destroyed_at is not None
    assert factories.CANARY not in str(old.family_name)
    assert old.status == CaseStatus.CLOSED  # the figures still count it
    assert Case.objects.filter(pk__in=[recent.pk, still_open.pk], erased_at__isnull=True).count() == 2
    erased = AuditEvent.objects.filter(action=AuditAction.ERASE, object_id=str(old.pk))
    assert erased.count() == 1
    assert verify_chain().ok


def test_a_withdrawn_file_counts_from_its_last_change() -> None:
    stale, fresh = factories.make_case(), factories.make_case()
    long_ago = timezone.now() - datetime.timedelta(days=800)
    Case.objects.filter(pk=stale.pk).update(status=CaseStatus.WITHDRAWN, updated_at=long_ago)
    Case.objects.filter(pk=fresh.pk).update(status=CaseStatus.WITHDRAWN)
    run = retention.anonymise_expired(days=365)
    assert run.anonymised == [stale.reference]


def test_a_file_with_a_hearing_ahead_is_kept() -> None:
    held = _closed(900)
    LegalSituation.objects.create(
        case=held, next_hearing_on=TODAY + datetime.timedelta(days=30), updated_by=factories.system_user()
    )
    run = retention.anonymise_expired(today=TODAY, days=365)
    assert run.anonymised == []
    assert run.kept_for_proceedings == [held.reference]
    assert Case.objects.get(pk=held.pk).erased_at is None


def test_the_dry_run_lists_without_erasing_and_a_second_run_finds_nothing() -> None:
    case = _closed(3000)
    out = io.StringIO()
    call_command("anonymise_expired", "--dry-run", stdout=out)
    assert f"would be anonymised: {case.reference}" in out.getvalue()
    assert Case.objects.get(pk=case.pk).erased_at is None
    out = io.StringIO()
    call_command("anonymise_expired", stdout=out)
    assert "1 anonymised" in out.getvalue()
    out = io.StringIO()
    call_command("anonymise_expired", stdout=out)
    assert "0 anonymised" in out.getvalue()


@pytest.mark.parametrize("days", ["30", "-1"])
def test_a_period_under_a_year_is_refused_and_nothing_is_erased(days: str) -> None:
    case = _closed(3000)
    with pytest.raises(CommandError, match="at least 365 days"):
        call_command("anonymise_expired", "--days", days, stdout=io.StringIO())
    assert Case.objects.get(pk=case.pk).erased_at is None
    assert not AuditEvent.objects.filter(action=AuditAction.ERASE).exists()
