"""Synthetic data is what the services would write: encrypted, scoped, scored, audit chain intact."""

from __future__ import annotations

from typing import Any

import pytest

from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from careplus.access.scopes import cases_visible_to
from careplus.accounts.models import User
from careplus.audit.services import verify_chain
from careplus.cases.models import Case
from careplus.demo import synthetic
from careplus.referrals.models import Referral
from careplus.returns.models import Visit

pytestmark = pytest.mark.django_db


def test_synthetic_cases_decrypt_pass_the_audit_check_and_follow_the_scopes() -> None:
    report = synthetic.generate(cases=40, seed=3)
    assert report.cases == Case.objects.count() == 40
    assert report.referrals == Referral.objects.filter(status="accepted").count() == 40
    assert report.audit_events == 40 * synthetic.EVENTS_PER_CASE
    assert report.visits == Visit.objects.count() > 0
    verdict = verify_chain()
    assert verdict.ok
    case = Case.objects.select_related("data_key").filter(status="returned").first()
    assert case is not None
    assert case.given_names in synthetic.GIVEN
    visit = Visit.objects.select_related("case__data_key").filter(case=case, status="done").first()
    assert visit is not None
    assert visit.scores
    assert visit.instrument_id
    assert isinstance(visit.answers, dict)
    caseworker = User.objects.get(email="sktm@synthetique.test")
    visible = cases_visible_to(caseworker)
    assert visible.count() == Case.objects.filter(office__code="SKTM").count() > 0
    assert visible.exclude(office__code="SKTM").count() == 0


def test_the_command_refuses_a_non_positive_count_and_is_reproducible(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        call_command("generate_synthetic", cases=0)
    call_command("generate_synthetic", cases=5, seed=9)
    assert "Created 5 cases" in capsys.readouterr().out
    call_command("generate_synthetic", cases=5, seed=9)
    assert Case.objects.count() == 10
    assert verify_chain().ok


def test_i22_the_generator_refuses_to_run_where_demo_data_is_not_allowed(settings: Any) -> None:
    settings.CAREPLUS_DEMO_ALLOWED = False
    with pytest.raises(ImproperlyConfigured):
        call_command("generate_synthetic", cases=3, verbosity=0)
    assert not Case.objects.exists()
