"""Issue 20, point 10: two acceptances at the same moment cannot both take a programme's last place.

The programme's row is locked before its beneficiaries are counted. SQLite locks the whole database for a write
transaction (and Django sends no FOR UPDATE there), so these tests run on PostgreSQL, where rows are locked.
"""

from __future__ import annotations

import contextlib
import datetime
import threading
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
from tests import factories

needs_row_locks = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks: SQLite serialises every write transaction anyway"
)


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


@needs_row_locks
@pytest.mark.django_db
def test_i20_p10_accepting_locks_the_programme_row_before_counting() -> None:
    programme = _current(target=15)
    referral = factories.make_referral(programme=factories.make_programme(name="Programme de la saisine"))
    coordinator = factories.make_user(Role.COORDINATOR)
    with CaptureQueriesContext(connection) as queries:
        _accept(coordinator, referral, programme)
    sql = [q["sql"] for q in queries.captured_queries]
    locks = [i for i, q in enumerate(sql) if 'FROM "programmes_programme"' in q and "FOR UPDATE" in q]
    counts = [i for i, q in enumerate(sql) if "COUNT(" in q and '"referrals_referral"."status"' in q]
    assert locks, "the programme's row is not locked"
    # The count that decides the place comes after the lock (the eligibility display may count before it).
    assert any(count > locks[0] for count in counts)


@needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_i20_p10_two_concurrent_acceptances_cannot_both_take_the_last_place(monkeypatch: pytest.MonkeyPatch) -> None:
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
