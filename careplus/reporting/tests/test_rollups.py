"""The monthly rollups stay equal to their source rows, and the dashboard reads the same figures from them."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest

from django.core.management import CommandError, call_command
from django.db import connection

from careplus.access import compiled
from careplus.cases.choices import CaseStatus
from careplus.cases.models import Case
from careplus.programmes.models import Programme
from careplus.referrals.models import Referral
from careplus.reporting import figures, periods, rollups
from careplus.reporting.models import CaseFigure, DeliveryMonth, VisitMonth
from careplus.returns.choices import ItemStatus, VisitStatus
from careplus.returns.models import PlanItem, Visit
from tests import factories

pytestmark = pytest.mark.django_db

IN_STEP = {"reporting_visitmonth": 0, "reporting_deliverymonth": 0, "reporting_casefigure": 0}


@pytest.fixture
def programme() -> Programme:
    call_command("generate_synthetic", cases=80, seed=11, workers=1, verbosity=0)
    return Programme.objects.get(name="Programme synthétique")


def _live_and_rolled_up(programme: Programme, period: periods.Period) -> tuple[figures.History, figures.History]:
    cases = figures._cases(programme, period)
    live = figures._history(cases, period)
    rolled_up = figures._queue_history_from_rollups(compiled.Batch(), programme, period)()
    return live, rolled_up


def test_generated_data_fills_the_rollups_through_the_triggers(programme: Programme) -> None:
    assert VisitMonth.objects.filter(programme=programme).exists()
    assert CaseFigure.objects.filter(programme=programme, dimension="forms").exists()
    assert DeliveryMonth.objects.filter(programme=programme).exists()
    assert rollups.differences(connection) == IN_STEP


def test_every_kind_of_change_keeps_the_rollups_in_step(programme: Programme) -> None:
    visits = list(Visit.objects.filter(case__programme=programme).order_by("pk")[:40])
    # A visit recorded, rescheduled, missed, rescored, deleted; one moved to another case.
    visits[0].status, visits[0].score_economic, visits[0].score_composite = VisitStatus.DONE, Decimal("0.6667"), None
    visits[0].save()
    Visit.objects.filter(pk=visits[1].pk).update(planned_on=visits[1].planned_on + datetime.timedelta(days=45))
    Visit.objects.filter(pk=visits[2].pk).update(status=VisitStatus.MISSED)
    Visit.objects.filter(pk__in=[v.pk for v in visits[3:8]]).update(score_social=Decimal("0.1234"))
    Visit.objects.filter(pk__in=[v.pk for v in visits[8:12]]).delete()
    Visit.objects.filter(pk=visits[12].pk).update(case=visits[30].case)
    assert rollups.differences(connection) == IN_STEP
    # Assistance delivered, its cost corrected, cancelled.
    items = list(PlanItem.objects.filter(case__programme=programme).order_by("pk")[:6])
    PlanItem.objects.filter(pk=items[0].pk).update(status=ItemStatus.DELIVERED, delivered_on=datetime.date(2020, 5, 9))
    PlanItem.objects.filter(pk=items[1].pk).update(actual_cost=Decimal("123.45"))
    PlanItem.objects.filter(pk=items[2].pk).update(status=ItemStatus.CANCELLED)
    PlanItem.objects.filter(pk=items[3].pk).delete()
    assert rollups.differences(connection) == IN_STEP
    # The case's scope attributes: closed, reopened, withdrawn, moved to another programme, none.
    cases = list(Case.objects.filter(programme=programme, visits__isnull=False).distinct().order_by("pk")[:5])
    Case.objects.filter(pk=cases[0].pk).update(closed_on=datetime.date(2020, 2, 3), status=CaseStatus.CLOSED)
    Case.objects.filter(pk=cases[1].pk).update(opened_on=cases[1].opened_on - datetime.timedelta(days=70))
    Case.objects.filter(pk=cases[2].pk).update(status=CaseStatus.WITHDRAWN)
    Case.objects.filter(pk=cases[3].pk).update(programme=factories.make_programme())
    Case.objects.filter(pk=cases[4].pk).update(programme=None)
    Case.objects.filter(pk=cases[0].pk).update(closed_on=None, status=CaseStatus.RETURNED)
    Case.objects.filter(pk=cases[1].pk).update(sex="m", country_of_return="CM", is_minor=True)
    assert rollups.differences(connection) == IN_STEP
    # A referral's forms corrected, another moved to a new case, a new case given a referral.
    referrals = list(Referral.objects.filter(case__programme=programme).order_by("pk")[:2])
    Referral.objects.filter(pk=referrals[0].pk).update(forms_of_exploitation=["sexual", "begging"])
    moved_to = factories.make_case()
    Case.objects.filter(pk=moved_to.pk).update(programme=programme)
    Referral.objects.filter(pk=referrals[1].pk).update(case=moved_to)
    case = factories.make_case()
    Case.objects.filter(pk=case.pk).update(programme=programme)
    referral = factories.make_referral(programme=programme)
    Referral.objects.filter(pk=referral.pk).update(case=case, status=referrals[0].status)
    assert rollups.differences(connection) == IN_STEP


@pytest.mark.parametrize("key", ["all", "2019-S1", "2020-S2", "2021-03"])
def test_the_rollups_give_the_figures_of_the_source_rows(programme: Programme, key: str) -> None:
    Case.objects.filter(pk__in=Case.objects.filter(programme=programme).values("pk")[:7]).update(
        closed_on=datetime.date(2019, 8, 14), status=CaseStatus.CLOSED
    )
    period = periods.resolve(programme, key)
    assert figures.covers_whole_months(period)
    live, rolled_up = _live_and_rolled_up(programme, period)
    assert rolled_up == live
    assert sum(live[1].values()) > 0 or key == "2021-03"
    blocks = figures.compute(programme, period, from_rollups=False)
    assert figures.compute(programme, period, from_rollups=True) == blocks
    assert ({block.key: block.total for block in blocks}["beneficiaries"] or 0) > 0


def test_a_period_of_part_months_is_computed_from_the_source_rows(programme: Programme) -> None:
    period = periods.resolve(programme, "all", datetime.date(2019, 3, 15), datetime.date(2020, 6, 10))
    assert not figures.covers_whole_months(period)
    blocks = {block.key: block for block in figures.compute(programme, period)}
    live = figures._history(figures._cases(programme, period), period)
    assert blocks["followup"].total == sum(live[1].values())


def test_rebuild_figures_finds_and_repairs_a_rollup_out_of_step(programme: Programme) -> None:
    row = VisitMonth.objects.filter(programme=programme).order_by("pk").first()
    assert row is not None
    VisitMonth.objects.filter(pk=row.pk).update(visits=999)
    with pytest.raises(CommandError, match="reporting_visitmonth: 1 key"):
        call_command("rebuild_figures", "--check", stdout=io.StringIO())
    out = io.StringIO()
    call_command("rebuild_figures", stdout=out)
    assert "rebuilt: in step" in out.getvalue()
    assert rollups.differences(connection) == IN_STEP
