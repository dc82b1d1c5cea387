"""Issue 20, point 6: an item paid in local currency is delivered with the amount actually paid locally.

The euro cost is converted at the reference rate of the delivery date (the planned amount was converted at the
rate of its own day: one rule, programmes.selectors.in_euros), never typed; both amounts are stored and shown.
"""

from __future__ import annotations

import datetime
import html
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.cases.models import Case
from careplus.core.errors import RuleViolation
from careplus.programmes.models import ReferenceRate
from careplus.returns import services
from careplus.returns.choices import ItemStatus
from careplus.returns.models import PlanItem
from tests import factories
from tests.api.helpers import api_client

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]
DAY = datetime.date(2018, 7, 1)


def _approved_item(case: Case, currency: str = "XAF", local: str = "100000", planned: str = "152.45") -> PlanItem:
    item = PlanItem(
        case=case,
        category="iga",
        delivery_mode="cash",
        planned_amount=Decimal(planned),
        local_currency=currency,
        local_amount=Decimal(local) if currency else None,
        exchange_rate=Decimal("655.957") if currency == "XAF" else None,
        rate_source="parité fixe" if currency == "XAF" else None,
        status=ItemStatus.APPROVED,
    )
    item.description, item.provider = "Petit commerce", "Fournisseur fictif"
    item.save()
    return item


def _unchanged(item: PlanItem) -> None:
    item.refresh_from_db()
    assert item.status == ItemStatus.APPROVED
    assert item.actual_cost is None
    assert item.actual_local_cost is None
    assert item.delivered_on is None


def test_i20_p06_delivery_in_xaf_is_converted_half_up_and_both_amounts_are_kept() -> None:
    factories.make_programme()
    case = factories.make_returned_case()
    item = _approved_item(case)
    actor = factories.make_user(Role.COORDINATOR)
    done = services.plan_item_deliver(actor=actor, item=item, actual_local_cost=Decimal("100000"), delivered_on=DAY)
    done.refresh_from_db()
    assert done.status == ItemStatus.DELIVERED
    assert done.actual_cost == Decimal("152.45")  # 152.4491... to the cent
    assert done.actual_local_cost == Decimal("100000")
    assert done.actual_exchange_rate == Decimal("655.957")
    assert done.actual_rate_source == "parité fixe"
    assert done.actual_rate_date == DAY
    assert services.plan_totals(case)["delivered"] == Decimal("152.45")


def test_i20_p06_delivery_uses_the_rate_of_the_delivery_date_rounded_half_up() -> None:
    programme = factories.make_programme()
    case = factories.make_returned_case()
    item = _approved_item(case, currency="NPR", local="1000", planned="8.00")
    for day, rate, source in ((datetime.date(2018, 1, 1), "125", "janvier"), (datetime.date(2018, 6, 1), "8", "juin")):
        ReferenceRate.objects.create(
            programme=programme, currency="NPR", valid_from=day, rate=Decimal(rate), source=source
        )
    actor = factories.make_user(Role.COORDINATOR)
    # 1.00 NPR at 8 per euro = 0.125 €: half-up gives 0.13 (half-even would give 0.12).
    done = services.plan_item_deliver(actor=actor, item=item, actual_local_cost=Decimal("1.00"), delivered_on=DAY)
    assert done.actual_cost == Decimal("0.13")
    assert done.actual_rate_source == "juin"
    assert done.actual_rate_date == datetime.date(2018, 6, 1)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"actual_cost": Decimal("100.00")}, "paid in XAF"),  # the euro amount is never typed
        ({"actual_local_cost": Decimal("-1")}, "between 0 and"),
        ({}, "Give the amount paid in XAF"),
    ],
)
def test_i20_p06_bad_delivery_costs_are_refused_and_change_nothing(values: dict[str, Any], message: str) -> None:
    factories.make_programme()
    item = _approved_item(factories.make_returned_case())
    actor = factories.make_user(Role.COORDINATOR)
    with translation.override("en"), pytest.raises(RuleViolation, match=message):
        services.plan_item_deliver(actor=actor, item=item, delivered_on=DAY, **values)
    _unchanged(item)


def test_i20_p06_no_rate_on_the_delivery_date_is_refused_with_the_date() -> None:
    programme = factories.make_programme()
    case = factories.make_returned_case()
    item = _approved_item(case, currency="NPR", local="12500", planned="100.00")
    ReferenceRate.objects.create(
        programme=programme, currency="NPR", valid_from=datetime.date(2019, 1, 1), rate=Decimal("125"), source="x"
    )
    with pytest.raises(RuleViolation, match="01/07/2018"):
        services.plan_item_deliver(
            actor=factories.make_user(Role.COORDINATOR),
            item=item,
            actual_local_cost=Decimal("12500"),
            delivered_on=DAY,
        )
    _unchanged(item)


def test_i20_p06_a_euro_item_is_still_delivered_in_euros() -> None:
    factories.make_programme()
    item = _approved_item(factories.make_returned_case(), currency="", planned="800")
    actor = factories.make_user(Role.COORDINATOR)
    with pytest.raises(RuleViolation):
        services.plan_item_deliver(actor=actor, item=item, actual_local_cost=Decimal("5"), delivered_on=DAY)
    _unchanged(item)
    done = services.plan_item_deliver(actor=actor, item=item, actual_cost=Decimal("790.50"), delivered_on=DAY)
    assert done.actual_cost == Decimal("790.50")
    assert done.actual_local_cost is None
    assert done.actual_exchange_rate is None


def test_i20_p06_the_page_asks_the_cost_in_xaf_and_shows_both_amounts(coordinator: User, signed_in: SignedIn) -> None:
    factories.make_programme()
    case = factories.make_returned_case()
    item = _approved_item(case)
    client = signed_in(coordinator)
    overview = reverse("returns:overview", kwargs={"case_id": case.pk})
    url = reverse("returns:plan_deliver", kwargs={"case_id": case.pk, "item_id": item.pk})
    with translation.override("fr"):
        label = gettext("Actual cost (%(currency)s)") % {"currency": "XAF"}
        paid_in_xaf = gettext(
            "This item is paid in %(currency)s: give the amount paid in %(currency)s; "
            "the amount in euros is computed from it."
        ) % {"currency": "XAF"}
    page = html.unescape(client.get(overview).content.decode())
    assert label in page
    assert f'name="actual_local_cost" id="cost-{item.pk}"' in page
    assert f'name="actual_cost" id="cost-{item.pk}"' not in page
    today = timezone.localdate().isoformat()
    for bad, shown in (
        ({"actual_local_cost": "cent mille"}, label),
        ({"actual_local_cost": "-5"}, label),
        ({"actual_local_cost": ""}, label),
        ({"actual_cost": "100,00"}, paid_in_xaf),
    ):
        response = client.post(url, {**bad, "delivered_on": today})
        assert response.status_code == 400
        assert shown in html.unescape(response.content.decode()), bad
        _unchanged(item)
    response = client.post(url, {"actual_local_cost": "100 000", "delivered_on": today})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.actual_cost, item.actual_local_cost) == (Decimal("152.45"), Decimal("100000"))
    page = client.get(overview).content.decode().replace("\u202f", " ").replace("\xa0", " ")
    assert "152,45 €" in page
    assert "100 000,00 XAF" in page
    assert "655,957000" in page


def test_i20_p06_the_api_takes_the_local_cost_and_returns_both() -> None:
    factories.make_programme()
    office = factories.make_office()
    case = factories.make_returned_case(office=office)
    item = _approved_item(case)
    client = api_client(factories.make_user(Role.CASEWORKER, office=office))
    url = f"/api/v1/cases/{case.pk}/plan-items/{item.pk}/deliver/"
    etag = f'"{item.version}"'
    typed = client.post(url, {"actual_cost": "100.00", "delivered_on": "2018-07-01"}, format="json", HTTP_IF_MATCH=etag)
    assert typed.status_code == 400
    assert "actual_cost" in typed.json()["extra"]["fields"]
    negative = client.post(
        url, {"actual_local_cost": "-1", "delivered_on": "2018-07-01"}, format="json", HTTP_IF_MATCH=etag
    )
    assert negative.status_code == 400
    assert "actual_local_cost" in negative.json()["extra"]["fields"]
    not_a_number = client.post(
        url, {"actual_local_cost": "1e5", "delivered_on": "2018-07-01"}, format="json", HTTP_IF_MATCH=etag
    )
    assert not_a_number.status_code == 400
    _unchanged(item)
    response = client.post(
        url, {"actual_local_cost": "100 000", "delivered_on": "2018-07-01"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["actual_cost"] == "152.45"
    assert body["actual_local_cost"] == "100000.00"
    assert body["local_currency"] == "XAF"
    assert body["actual_exchange_rate"] == "655.957000"
    assert body["actual_rate_source"] == "parité fixe"
    assert body["actual_rate_date"] == "2018-07-01"
