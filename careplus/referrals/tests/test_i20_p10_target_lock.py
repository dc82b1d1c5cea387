"""Issue 20, point 10: two acceptances at the same moment cannot both take a programme's last place.

The programme's row is locked before its beneficiaries are counted. On PostgreSQL that is a row lock (FOR UPDATE);
SQLite sends no FOR UPDATE but begins every write transaction IMMEDIATE, so the second decision queues behind the
first. The concurrent test runs on both engines (on SQLite through `tests.concurrency`, on a file database).
"""

from __future__ import annotations

import contextlib
import datetime
import threading
from pathlib import Path
from typing import Any

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from careplus.access.roles import Role
from careplus.core.errors import RuleViolation
from careplus.programmes.models import Programme
from careplus.referrals import services
from careplus.referrals.choices import DecisionOutcome, ReferralStatus
from careplus.referrals.models import Referral
from tests import concurrency, factories


def _current(target: int) -> Programme:
    today = timezone.localdate()
    return factories.make_programme(
        name="Programme en cours",
        starts_on=today - datetime.timedelta(days=200),
        ends_on=today + datetime.timedelta(days=400),
        target_beneficiaries=target,
    )


def _accept(actor: Any, referral: Referral, programme: Programme) -> None:
    services.referral_decide(
        actor=actor,
        referral=referral,
        outcome=DecisionOutcome.ACCEPT,
        expected_version=referral.version,
        reason="Conditions réunies.",
        programme=programme,
    )


@pytest.mark.django_db
def test_i20_p10_accepting_locks_the_programme_row_before_counting(monkeypatch: pytest.MonkeyPatch) -> None:
    programme = _current(target=15)
    referral = factories.make_referral(programme=factories.make_programme(name="Programme de la saisine"))
    coordinator = factories.make_user(Role.COORDINATOR)
    # On every engine: the decision asks for the programme's row with select_for_update before it counts.
    steps: list[str] = []
    lock, count = Programme.objects.select_for_update, services.beyond_target_problem

    def locking(*args: Any, **kwargs: Any) -> Any:
        steps.append("lock")
        return lock(*args, **kwargs)

    def counting(**kwargs: Any) -> str:
        steps.append("count")
        return count(**kwargs)

    monkeypatch.setattr(Programme.objects, "select_for_update", locking)
    monkeypatch.setattr(services, "beyond_target_problem", counting)
    with CaptureQueriesContext(connection) as queries:
        _accept(coordinator, referral, programme)
    assert "lock" in steps, steps
    assert "count" in steps[steps.index("lock") :], steps
    if connection.vendor == "sqlite":
        # SQLite has no row locks: the write transaction itself was begun IMMEDIATE (the whole database).
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        return
    sql = [q["sql"] for q in queries.captured_queries]
    locks = [i for i, q in enumerate(sql) if 'FROM "programmes_programme"' in q and "FOR UPDATE" in q]
    counts = [i for i, q in enumerate(sql) if "COUNT(" in q and '"referrals_referral"."status"' in q]
    assert locks, "the programme's row is not locked"
    # The count that decides the place comes after the lock (the eligibility display may count before it).
    assert any(count > locks[0] for count in counts)


@pytest.mark.django_db(transaction=True)
def test_i20_p10_two_concurrent_acceptances_cannot_both_take_the_last_place(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    if concurrency.needs_a_file_database():
        concurrency.run_on_a_sqlite_file(
            __file__, "test_i20_p10_two_concurrent_acceptances_cannot_both_take_the_last_place", tmp_path
        )
        return
    # Deciding locks the referral and, joined to it, the programme it was received under. These two were received
    # under two other programmes and are accepted into the current one, whose row only the explicit lock takes.
    programme = _current(target=1)
    referrals = [
        factories.make_referral(programme=factories.make_programme(name=f"Saisine {name}"), family_name=name)
        for name in ("Un", "Deux")
    ]
    coordinator = factories.make_user(Role.COORDINATOR)
    # Each decision, once it has counted, waits for the other to have counted too. Without the lock both count
    # 0 and both accept; with it the second waits on the programme's row, the barrier gives up, and it counts 1.
    barrier = threading.Barrier(2, timeout=3)
    original = services.beyond_target_problem

    def counted_then_wait(**kwargs: Any) -> str:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return original(**kwargs)

    monkeypatch.setattr(services, "beyond_target_problem", counted_then_wait)
    outcomes: list[str] = []

    def decide(referral: Referral) -> None:
        try:
            _accept(coordinator, referral, programme)
            outcomes.append("accepted")
        except RuleViolation:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(referral,)) for referral in referrals]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["accepted", "refused"]
    assert Referral.objects.filter(programme=programme, status=ReferralStatus.ACCEPTED).count() == 1
    assert Referral.objects.filter(status=ReferralStatus.RECEIVED).count() == 1  # the refused one is untouched
