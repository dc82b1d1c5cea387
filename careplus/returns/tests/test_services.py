"""Return, plan and budget, follow-up, reminders and closure."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from django.core import mail

from careplus.access.roles import Role
from careplus.cases import services as case_services
from careplus.cases.choices import CaseStatus
from careplus.cases.models import Case
from careplus.core.errors import CeilingExceeded, RuleViolation, TransitionBlocked
from careplus.returns import services
from careplus.returns.models import Departure, FollowUpAlert, PlanItem, ReminderDigest, Visit
from tests import factories

pytestmark = pytest.mark.django_db


def _v(case: Case) -> int:
    return Case.objects.get(pk=case.pk).version


def test_returned_needs_dates_and_a_recent_reconfirmation_then_plans_four_visits() -> None:
    coordinator = factories.system_user()
    case = factories.make_case(office=factories.make_office())
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.READY_TO_DEPART)
    with pytest.raises(TransitionBlocked) as blocked:
        case_services.case_transition(
            actor=coordinator, case=case, target=CaseStatus.RETURNED, expected_version=_v(case)
        )
    assert len(blocked.value.extra["missing"]) == 3
    values = {
        "actual_departure_on": datetime.date(2018, 1, 31),
        "arrival_on": datetime.date(2018, 1, 31),
        "wish_reconfirmed_on": datetime.date(2018, 1, 20),
    }
    services.departure_save(actor=coordinator, case=case, values=values, expected_version=None)
    with pytest.raises(TransitionBlocked, match="7 jours"):
        case_services.case_transition(
            actor=coordinator, case=case, target=CaseStatus.RETURNED, expected_version=_v(case)
        )
    departure = Departure.objects.get(case=case)
    services.departure_save(
        actor=coordinator,
        case=case,
        values={**values, "wish_reconfirmed_on": datetime.date(2018, 1, 26)},
        expected_version=departure.version,
    )
    assert Departure.objects.get(case=case).wish_reconfirmed_by == coordinator
    case_services.case_transition(actor=coordinator, case=case, target=CaseStatus.RETURNED, expected_version=_v(case))
    planned = list(Visit.objects.filter(case=case).values_list("planned_on", flat=True))
    assert planned == [
        datetime.date(2018, 2, 28),
        datetime.date(2018, 4, 30),
        datetime.date(2018, 7, 31),
        datetime.date(2019, 1, 31),
    ]


def test_a_visit_later_than_twelve_months_after_arrival_is_refused() -> None:
    case = factories.make_returned_case(arrival_on=datetime.date(2018, 5, 20))
    coordinator = factories.system_user()
    with pytest.raises(RuleViolation, match="12 mois"):
        services.visit_schedule(actor=coordinator, case=case, planned_on=datetime.date(2019, 5, 21))
    assert Visit.objects.filter(case=case).count() == 4
    services.visit_schedule(actor=coordinator, case=case, planned_on=datetime.date(2019, 5, 20))
    assert Visit.objects.filter(case=case).count() == 5


def test_approving_over_the_ceiling_needs_an_exception() -> None:
    factories.make_programme(ceiling_per_beneficiary=Decimal("2000.00"))
    case = factories.make_returned_case()
    coordinator = factories.make_user(Role.COORDINATOR)

    def item(amount: str) -> PlanItem:
        return services.plan_item_add(
            actor=coordinator,
            case=case,
            description="x",
            category="iga",
            provider="P",
            delivery_mode="in_kind",
            planned_amount=Decimal(amount),
        )

    first, second = item("1500.10"), item("499.90")
    services.plan_item_approve(actor=coordinator, item=first, expected_version=first.version)
    services.plan_item_approve(actor=coordinator, item=second, expected_version=second.version)  # exactly 2000.00
    third = item("0.01")
    with pytest.raises(CeilingExceeded, match="plafond"):
        services.plan_item_approve(actor=coordinator, item=third, expected_version=third.version)
    assert PlanItem.objects.get(pk=third.pk).status == "planned"
    services.ceiling_exception_grant(
        actor=coordinator, case=case, new_ceiling=Decimal("2100.00"), reason="Soins urgents"
    )
    services.plan_item_approve(actor=coordinator, item=third, expected_version=third.version)
    totals = services.plan_totals(case)
    assert totals["approved"] == Decimal("2000.01")
    assert isinstance(totals["approved"], Decimal)
    services.plan_item_deliver(
        actor=coordinator, item=first, actual_cost=Decimal("1499.99"), delivered_on=datetime.date(2018, 6, 1)
    )
    assert services.plan_totals(case)["delivered"] == Decimal("1499.99")
    assert services.plan_totals(case)["by_category"]["iga"]["planned"] == Decimal("2000.01")


def test_visit_record_scores_and_raises_an_alert_at_once() -> None:
    case = factories.make_returned_case()
    visit = Visit.objects.filter(case=case).first()
    assert visit is not None
    visit.case = case
    services.visit_record(
        actor=factories.system_user(),
        visit=visit,
        done_on=datetime.date(2018, 6, 20),
        mode="phone",
        progress="Atelier ouvert",
        notes="RAS",
        answers={"eco_working": "yes", "psy_distress": "very_often", "bogus": "x"},
    )
    visit.refresh_from_db()
    assert visit.scores is not None
    assert visit.scores["economic"] == "1.0000"
    assert visit.scores["psychosocial"] == "0.0000"
    assert visit.instrument is not None
    assert FollowUpAlert.objects.filter(case=case, item="psy_distress").count() == 1
    assert "bogus" not in (Visit.objects.select_related("case__data_key").get(pk=visit.pk).answers or {})


def test_send_reminders_twice_sends_one_digest() -> None:
    office = factories.make_office("NPL")
    case = factories.make_returned_case(office=office, arrival_on=datetime.date(2018, 5, 20))
    worker = factories.make_user(Role.CASEWORKER, office=office, email="worker@example.test")
    assert services.send_reminders(today=datetime.date(2018, 6, 18)) >= 1
    assert services.send_reminders(today=datetime.date(2018, 6, 18)) == 0
    to_worker = [m for m in mail.outbox if m.to == [worker.email]]
    assert len(to_worker) == 1
    assert case.reference in to_worker[0].body
    assert "Gurung" not in to_worker[0].body
    assert ReminderDigest.objects.filter(user=worker).count() == 1


def test_closing_with_a_pending_visit_is_refused_and_names_it() -> None:
    case = factories.make_returned_case(arrival_on=datetime.date(2018, 5, 20))
    coordinator = factories.system_user()
    visits = list(Visit.objects.filter(case=case))
    for visit in visits[:3]:
        visit.case = case
        services.visit_mark_missed(actor=coordinator, visit=visit, reason="Injoignable")
    with pytest.raises(TransitionBlocked, match="20/05/2019"):
        case_services.case_transition(
            actor=coordinator,
            case=case,
            target=CaseStatus.CLOSED,
            expected_version=_v(case),
            closure_reason="completed",
        )
    last = visits[3]
    last.case = case
    services.visit_record(
        actor=coordinator,
        visit=last,
        done_on=datetime.date(2018, 6, 1),
        mode="phone",
        progress="ok",
        notes="",
        answers={},
    )
    with pytest.raises(RuleViolation):
        case_services.case_transition(actor=coordinator, case=case, target=CaseStatus.CLOSED, expected_version=_v(case))
    case = case_services.case_transition(
        actor=coordinator, case=case, target=CaseStatus.CLOSED, expected_version=_v(case), closure_reason="completed"
    )
    assert case.closure_reason == "completed"
    with pytest.raises(RuleViolation, match="lecture seule"):
        case_services.note_add(actor=coordinator, case=case, body="x")
    case = case_services.case_transition(
        actor=coordinator,
        case=case,
        target=CaseStatus.RETURNED,
        expected_version=_v(case),
        reason="Nouvelle demande d'aide",
    )
    assert case.closed_on is None
    case_services.note_add(actor=coordinator, case=case, body="Réouvert")
