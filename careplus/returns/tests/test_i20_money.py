"""Issue 20, point 6: a plan item paid in local currency gets its euro amount from the reference rate."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest

from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.audit.models import AuditEvent
from careplus.core.money import parse_amount, to_euros
from careplus.programmes.models import ReferenceRate
from careplus.returns.forms import PlanItemForm
from careplus.returns.models import PlanItem
from careplus.returns.services import programme_of
from tests import factories
from tests.api.helpers import api_client

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]

ITEM = {"category": "iga", "description": "Petit commerce", "provider": "Fournisseur fictif", "delivery_mode": "cash"}


def _fr(msgid: str) -> str:
    with translation.override("fr"):
        return gettext(msgid)


def _add(client: Client, case_id: object, data: dict[str, str]) -> tuple[int, str]:
    response = client.post(reverse("returns:plan_add", kwargs={"case_id": case_id}), data)
    return response.status_code, response.content.decode()


def test_i20_p06_xaf_is_converted_at_the_fixed_parity_half_up() -> None:
    assert to_euros(Decimal("100000"), Decimal("655.957")) == Decimal("152.45")
    assert to_euros(Decimal("0.05"), Decimal("10")) == Decimal("0.01")  # 0.005 rounds up, not to even


def test_i20_p06_the_legal_parities_are_known_without_a_typed_rate() -> None:
    from careplus.programmes.selectors import rate_on

    rates = {code: rate_on(code, datetime.date(2026, 1, 1), None) for code in ("XAF", "XOF", "KMF")}
    assert {code: rate.rate for code, rate in rates.items() if rate is not None} == {
        "XAF": Decimal("655.957"),
        "XOF": Decimal("655.957"),
        "KMF": Decimal("491.96775"),
    }


def test_i20_p06_xaf_plan_item_shows_the_euro_amount_then_saves_it(coordinator: User, signed_in: SignedIn) -> None:
    factories.make_programme()
    case = factories.make_returned_case()
    client = signed_in(coordinator)
    data = {**ITEM, "local_currency": "XAF", "local_amount": "100 000"}
    status, page = _add(client, case.pk, data)
    assert status == 200
    assert "152,45" in page  # shown before saving, French decimal comma
    assert "655,957" in page
    assert not PlanItem.objects.filter(case=case).exists()
    status, _page = _add(client, case.pk, {**data, "confirmed_amount": "152.45"})
    assert status == 302
    item = PlanItem.objects.get(case=case)
    assert item.planned_amount == Decimal("152.45")
    assert item.local_amount == Decimal("100000")
    assert item.exchange_rate == Decimal("655.957")
    assert item.rate_source == "parité fixe"
    assert item.rate_date == timezone.localdate()


def test_i20_p06_a_typed_euro_amount_that_disagrees_is_refused(coordinator: User, signed_in: SignedIn) -> None:
    factories.make_programme()
    case = factories.make_returned_case()
    data = {**ITEM, "local_currency": "XAF", "local_amount": "100000", "planned_amount": "100.00"}
    status, page = _add(signed_in(coordinator), case.pk, {**data, "confirmed_amount": "100.00"})
    assert status == 400
    assert "152,45" in page
    assert not PlanItem.objects.filter(case=case).exists()


def test_i20_p06_amounts_accept_the_french_decimal_comma(coordinator: User, signed_in: SignedIn) -> None:
    assert parse_amount("1 234,50") == Decimal("1234.50")
    assert parse_amount("1\u202f234,50") == Decimal("1234.50")
    assert parse_amount("1,234.50") == Decimal("1234.50")
    factories.make_programme()
    case = factories.make_returned_case()
    status, _page = _add(signed_in(coordinator), case.pk, {**ITEM, "planned_amount": "1 234,50"})
    assert status == 302
    assert PlanItem.objects.get(case=case).planned_amount == Decimal("1234.50")


def test_i20_p06_a_currency_without_a_rate_gets_a_field_message(coordinator: User, signed_in: SignedIn) -> None:
    factories.make_programme()
    case = factories.make_returned_case()
    data = {**ITEM, "local_currency": "NPR", "local_amount": "20000"}
    status, page = _add(signed_in(coordinator), case.pk, data)
    assert status == 400
    with translation.override("fr"):
        day = timezone.localdate().strftime("%d/%m/%Y")
    assert "NPR" in page
    assert day in page
    assert _fr("Reference exchange rates") in page
    assert not PlanItem.objects.filter(case=case).exists()
    status, _page = _add(signed_in(coordinator), case.pk, {**ITEM, "local_currency": "NPR"})
    assert status == 400
    assert not PlanItem.objects.filter(case=case).exists()


def test_i20_p06_the_programme_rate_in_force_that_day_is_used() -> None:
    programme = factories.make_programme()
    case = factories.make_returned_case()
    assert programme_of(case) is not None
    today = timezone.localdate()
    ReferenceRate.objects.create(
        programme=None, currency="NPR", valid_from=today - datetime.timedelta(days=40), rate=Decimal("140"), source="A"
    )
    ReferenceRate.objects.create(
        programme=programme_of(case),
        currency="NPR",
        valid_from=today - datetime.timedelta(days=3),
        rate=Decimal("150.5"),
        source="Taux mensuel du bailleur",
    )
    ReferenceRate.objects.create(
        programme=None, currency="NPR", valid_from=today + datetime.timedelta(days=1), rate=Decimal("1"), source="B"
    )
    form = PlanItemForm({**ITEM, "local_currency": "NPR", "local_amount": "20000"}, programme=programme_of(case))
    assert form.is_valid(), form.errors
    assert form.cleaned_data["planned_amount"] == Decimal("132.89")  # 20000 / 150.5 = 132.890...
    assert form.cleaned_data["rate_source"] == "Taux mensuel du bailleur"
    assert programme is not None


def test_i20_p06_the_api_computes_the_same_amount() -> None:
    factories.make_programme()
    office = factories.make_office()
    case = factories.make_returned_case(office=office)
    client = api_client(factories.make_user(Role.CASEWORKER, office=office))
    url = f"/api/v1/cases/{case.pk}/plan-items/"
    wrong = client.post(
        url, {**ITEM, "local_currency": "XAF", "local_amount": 100000, "planned_amount": "100.00"}, format="json"
    )
    assert wrong.status_code == 400
    assert "planned_amount" in wrong.json()["extra"]["fields"]
    assert not PlanItem.objects.filter(case=case).exists()
    response = client.post(url, {**ITEM, "local_currency": "XAF", "local_amount": "100 000,00"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["planned_amount"] == "152.45"
    assert response.json()["rate_source"] == "parité fixe"
    missing = client.post(url, {**ITEM, "local_currency": "TND", "local_amount": 500}, format="json")
    assert missing.status_code == 400
    assert "local_currency" in missing.json()["extra"]["fields"]


def test_i20_p06_delivery_cost_accepts_the_decimal_comma(coordinator: User, signed_in: SignedIn) -> None:
    factories.make_programme()
    case = factories.make_returned_case()
    item = PlanItem.objects.create(
        case=case,
        category="iga",
        delivery_mode="cash",
        planned_amount=Decimal("800"),
        status="approved",
        description="x",
        provider="y",
    )
    response = signed_in(coordinator).post(
        reverse("returns:plan_deliver", kwargs={"case_id": case.pk, "item_id": item.pk}),
        {"actual_cost": "790,50", "delivered_on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.actual_cost == Decimal("790.50")


def test_i20_p06_coordinators_keep_the_rates_and_changes_are_audited(
    coordinator: User, caseworker: User, signed_in: SignedIn
) -> None:
    programme = factories.make_programme()
    url = reverse("programmes:programme_rates", kwargs={"programme_id": programme.pk})
    outsider = signed_in(caseworker)
    assert outsider.get(url).status_code == 404
    post = {"currency": "NPR", "valid_from": "2026-01-01", "rate": "1", "source": "x"}
    assert outsider.post(url, post).status_code == 404
    assert not ReferenceRate.objects.exists()
    client = signed_in(coordinator)
    page = client.get(url).content.decode()
    assert "XAF" in page
    assert "655,957" in page
    assert "parité fixe" in page
    data = {"currency": "NPR", "valid_from": "2026-01-01", "rate": "150,5", "source": "Banque centrale du Népal"}
    assert client.post(url, data).status_code == 302
    rate = ReferenceRate.objects.get(programme=programme, currency="NPR")
    assert rate.rate == Decimal("150.5")
    assert AuditEvent.objects.filter(object_id=str(rate.pk)).exists()
    refused = client.post(url, {**data, "currency": "XAF", "rate": "600"})
    assert refused.status_code == 400
    assert not ReferenceRate.objects.filter(currency="XAF").exists()


def test_i20_p06_the_demo_has_rates_for_its_offices_currencies(coordinator: User, signed_in: SignedIn) -> None:
    """A new user on the demo data can record a plan item paid in rupees: the demo's rates are seeded."""
    from careplus.demo.programmes import DEMO_RATES, seed_programme

    seed_programme()
    assert set(DEMO_RATES) <= set(ReferenceRate.objects.values_list("currency", flat=True))
    case = factories.make_returned_case()
    client = signed_in(coordinator)
    data = {**ITEM, "local_currency": "NPR", "local_amount": "12 500"}
    status, page = _add(client, case.pk, data)
    assert status == 200
    assert "100,00" in page  # 12 500 NPR at 125 for 1 EUR, shown before saving
    assert "Taux fictif de démonstration" in page
