"""Synthetic data is what the services would write: encrypted, scoped, scored, audit chain intact."""

from __future__ import annotations

import datetime
import random
from typing import Any

import pytest

from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from careplus.access.scopes import cases_visible_to
from careplus.accounts.models import User
from careplus.audit.services import verify_chain
from careplus.cases.models import Case, CaseEvent, Consent
from careplus.core.fields import EncryptedField
from careplus.core.models import Counter, DataKey
from careplus.demo import synthetic
from careplus.referrals.models import Referral
from careplus.reporting import rollups
from careplus.reporting.models import CaseFigure
from careplus.returns.models import Departure, PlanItem, Visit

pytestmark = pytest.mark.django_db

IN_STEP = {"reporting_visitmonth": 0, "reporting_deliverymonth": 0, "reporting_casefigure": 0}


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
    with pytest.raises(SystemExit):
        call_command("generate_synthetic", cases=5, workers=0)
    assert not Case.objects.exists()
    call_command("generate_synthetic", cases=5, seed=9, workers=1)
    assert "Created 5 cases" in capsys.readouterr().out
    call_command("generate_synthetic", cases=5, seed=9, workers=1)
    assert Case.objects.count() == 10
    assert verify_chain().ok


def test_worker_processes_are_refused_inside_a_transaction_and_nothing_is_written() -> None:
    with pytest.raises(RuntimeError, match="outside any transaction"):
        synthetic.generate(cases=3, workers=2)
    assert not Case.objects.exists()
    assert not Counter.objects.filter(name__startswith="SYN-").exists()  # no number reserved either
    assert rollups.differences(connection) == IN_STEP


def _content() -> list[tuple[object, ...]]:
    """What the files say, in the order of their numbers, without what is random by nature (ids, keys)."""
    cases = Case.objects.select_related("data_key").order_by("reference")
    return [
        (c.status, c.opened_on, c.sex, c.given_names, c.family_name, c.date_of_birth, c.visits.count()) for c in cases
    ]


@pytest.mark.django_db(transaction=True)
def test_worker_processes_write_the_same_files_as_one_process_with_one_valid_chain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(synthetic, "BATCH", 10)  # five batches, shared between the two workers
    one = synthetic.generate(cases=45, seed=7, workers=1)
    two = synthetic.generate(cases=45, seed=7, workers=2)
    assert (two.cases, two.visits, two.audit_events) == (one.cases, one.visits, one.audit_events)
    content = _content()  # the first run's files numbered 1 to 45, the second's 46 to 90
    assert content[45:] == content[:45]
    assert len({row[3:6] for row in content}) > 10  # files that differ from one another
    references = Case.objects.values_list("reference", flat=True)
    assert len(set(references)) == 90
    assert verify_chain().ok
    assert rollups.differences(connection) == IN_STEP
    assert set(two.phases) == set(synthetic.PHASES)


def test_the_rollups_are_recomputed_after_the_load_and_their_triggers_are_back() -> None:
    synthetic.generate(cases=30, seed=4)
    assert rollups.differences(connection) == IN_STEP
    assert CaseFigure.objects.exists()
    case = Case.objects.filter(status="open").first()
    assert case is not None
    Case.objects.filter(pk=case.pk).update(status="withdrawn", closed_on=datetime.date(2026, 5, 1))
    assert rollups.differences(connection) == IN_STEP  # the triggers moved the case's figures


def test_a_load_that_fails_midway_still_puts_the_triggers_back(monkeypatch: pytest.MonkeyPatch) -> None:
    written = synthetic._write
    calls = []

    def fail_on_the_second(built: synthetic._Built, report: synthetic.Report) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return written(built, report)

    monkeypatch.setattr(synthetic, "BATCH", 5)
    monkeypatch.setattr(synthetic, "_write", fail_on_the_second)
    with pytest.raises(OSError, match="disk full"):
        synthetic.generate(cases=15, seed=4)
    assert Case.objects.count() == 5  # the first batch, committed; the second, rolled back
    assert rollups.differences(connection) == IN_STEP
    Case.objects.update(status="withdrawn", closed_on=datetime.date(2026, 5, 1))
    assert rollups.differences(connection) == IN_STEP


def test_i22_the_generator_refuses_to_run_where_demo_data_is_not_allowed(settings: Any) -> None:
    settings.CAREPLUS_DEMO_ALLOWED = False
    with pytest.raises(ImproperlyConfigured):
        call_command("generate_synthetic", cases=3, workers=1, verbosity=0)
    assert not Case.objects.exists()


def _comparable(value: object) -> object:
    """A prepared value as it compares: psycopg's JSON wrapper by its content, a buffer as bytes."""
    value = getattr(value, "obj", value)
    return bytes(value) if isinstance(value, memoryview) else value


def test_the_fast_rows_are_what_django_would_insert_and_read_back_through_the_orm() -> None:
    rng = random.Random(5)
    now = timezone.now()
    world = synthetic._setup(rng)
    batch = synthetic._Batch(world, rng, datetime.date(2026, 6, 30))
    keys = synthetic._new_keys(12)
    batch.put("keys", *keys)
    for number, key in enumerate(keys):
        batch.add_case(9_000_000 + number, 9_000_000 + number, key)
    models = {
        "keys": DataKey,
        "cases": Case,
        "referrals": Referral,
        "consents": Consent,
        "events": CaseEvent,
        "departures": Departure,
        "visits": Visit,
        "plan_items": PlanItem,
    }
    assert set(batch.rows) == set(models)
    for kind, model in models.items():
        table = synthetic._Table(model, now)
        fields = [f for f in model._meta.concrete_fields if f is not model._meta.auto_field]
        assert table.columns == [f.column for f in fields]
        for obj in batch.rows[kind]:
            expected = []
            for f in fields:
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                    expected.append(f.get_db_prep_save(now, connection))
                elif isinstance(f, EncryptedField):  # sealed once: the same ciphertext again
                    expected.append(f.pre_save(obj, True))
                else:
                    expected.append(f.get_db_prep_save(f.pre_save(obj, True), connection))
            assert [_comparable(v) for v in table.rows([obj])[0]] == [_comparable(v) for v in expected]
    assert synthetic._write(batch.built(synthetic.Report()), synthetic.Report()) == 12 * synthetic.EVENTS_PER_CASE
    assert verify_chain().ok
    written_ids = [case.pk for case in batch.rows["cases"]]  # every one consented to the sharing
    assert Case.objects.filter(pk__in=written_ids, shared_with_office=True).count() == 12
    for written in batch.rows["cases"]:
        case = Case.objects.get(pk=written.pk)
        assert (case.given_names, case.family_name) == (written.given_names, written.family_name)
        assert (case.date_of_birth, case.safe_contact) == (written.date_of_birth, written.safe_contact)
        assert (case.opened_on, case.office_id, case.status) == (written.opened_on, written.office_id, written.status)
    for written in batch.rows["visits"]:
        visit = Visit.objects.select_related("case__data_key").get(pk=written.pk)
        assert (visit.answers, visit.scores, visit.progress) == (written.answers, written.scores, written.progress)
        assert (visit.planned_on, visit.score_composite) == (written.planned_on, written.score_composite)
    for written in batch.rows["plan_items"]:
        item = PlanItem.objects.select_related("case__data_key").get(pk=written.pk)
        assert (item.description, item.planned_amount) == (written.description, written.planned_amount)
    referral = Referral.objects.get(pk=batch.rows["referrals"][0].pk)
    assert (referral.city, referral.forms_of_exploitation) == ("Lyon", batch.rows["referrals"][0].forms_of_exploitation)


def test_the_command_reports_disk_use(capsys: pytest.CaptureFixture[str]) -> None:
    call_command("generate_synthetic", cases=3, report=True, workers=1)
    out = capsys.readouterr().out
    assert "Phases: build" in out
    assert "rollups" in out
    assert "Disk use:" in out
    assert synthetic.disk_use() > 0
