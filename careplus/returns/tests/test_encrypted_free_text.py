"""The free text of a return, a visit and a referral is written encrypted and read back in clear."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from django.db import connection

from careplus.access.roles import Role
from careplus.referrals import services as referral_services
from careplus.referrals.models import Referral, ReferralDecision
from careplus.returns import services
from careplus.returns.models import Departure, PlanItem, TravelLeg, Visit
from tests import factories

pytestmark = pytest.mark.django_db
CANARY = factories.CANARY
TABLES = [
    "returns_departure",
    "returns_travelleg",
    "returns_planitem",
    "returns_visit",
    "referrals_referral",
    "referrals_referraldecision",
]


def _raw_rows_holding(text: str) -> list[str]:
    found = []
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT * FROM {table}")
            for row in cursor.fetchall():
                for value in row:
                    raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
                    if text.encode() in raw:
                        found.append(table)
    return found


def test_p13_airport_places_provider_missed_reason_languages_and_redirection_are_stored_encrypted() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_returned_case()
    departure = Departure.objects.get(case=case)
    services.departure_save(
        actor=coordinator,
        case=case,
        values={"airport": f"{CANARY}-airport"},
        expected_version=departure.version,
    )
    services.travel_leg_add(
        actor=coordinator,
        case=case,
        travel_on=datetime.date(2018, 5, 19),
        from_place=f"{CANARY}-from",
        to_place=f"{CANARY}-to",
        transit_assistance=False,
    )
    services.plan_item_add(
        actor=coordinator,
        case=case,
        description="Couture",
        category="iga",
        provider=f"{CANARY}-provider",
        delivery_mode="in_kind",
        planned_amount=Decimal("100.00"),
    )
    visit = Visit.objects.filter(case=case).first()
    assert visit is not None
    services.visit_mark_missed(actor=coordinator, visit=visit, reason=f"{CANARY}-missed")
    referral = factories.make_referral(languages=f"{CANARY}-languages")
    referral_services.referral_decide(
        actor=coordinator,
        referral=referral,
        outcome="redirect",
        expected_version=referral.version,
        reason="Hors programme",
        redirected_to=f"{CANARY}-redirected",
    )

    assert _raw_rows_holding(CANARY) == []
    assert Departure.objects.get(case=case).airport == f"{CANARY}-airport"
    leg = TravelLeg.objects.get(case=case)
    assert (leg.from_place, leg.to_place) == (f"{CANARY}-from", f"{CANARY}-to")
    assert CANARY not in str(leg)
    assert PlanItem.objects.get(case=case).provider == f"{CANARY}-provider"
    assert Visit.objects.get(pk=visit.pk).missed_reason == f"{CANARY}-missed"
    assert Referral.objects.get(pk=referral.pk).languages == f"{CANARY}-languages"
    assert ReferralDecision.objects.get(referral=referral).redirected_to == f"{CANARY}-redirected"
