"""Issue 21 point 3: programme settings (ceiling, targets, budget by category, currencies), audited old → new."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.audit.models import AuditEvent
from careplus.audit.services import record_event, verify_chain
from careplus.core.errors import RuleViolation, StaleObject
from careplus.programmes.models import Programme, ProgrammeBudgetLine, ReferenceRate
from careplus.programmes.selectors import budget_by_category
from careplus.programmes.services import programme_save, reference_rate_save
from careplus.returns.models import PlanItem
from tests import factories

pytestmark = pytest.mark.django_db

DATA = {
    "name": "CARE+ Dakar",
    "funder": "FAMI",
    "co_funders": "",
    "starts_on": "2026-01-01",
    "ends_on": "2027-12-31",
    "target_beneficiaries": "40",
    "target_trainings": "6",
    "target_professionals": "120",
    "budget": "300000.00",
    "ceiling_per_beneficiary": "2500.00",
    "currencies": "xof, NPR",
    "budget_medical": "20000",
    "budget_housing": "15000,50",
}


def _has(page: str, text: str) -> bool:
    """Whether the page shows the text, whatever kind of space groups the digits."""
    return text in page.replace("\xa0", " ").replace("\u202f", " ")


def _events(programme: Programme) -> Any:
    return AuditEvent.objects.filter(object_type="programmes.programme", object_id=str(programme.pk))


def test_i21_p03_coordinator_sets_budget_by_category_and_currencies(signed_in: Callable[[User], Client]) -> None:
    client = signed_in(factories.make_user(Role.COORDINATOR))
    assert client.post(reverse("programmes:programme_create"), DATA).status_code == 302
    programme = Programme.objects.get(name="CARE+ Dakar")
    assert programme.currencies == ["NPR", "XOF"]
    assert dict(programme.budget_lines.values_list("category", "amount")) == {
        "housing": Decimal("15000.50"),
        "medical": Decimal("20000.00"),
    }
    url = reverse("programmes:programme_edit", kwargs={"programme_id": programme.pk})
    edit = {**DATA, "ceiling_per_beneficiary": "3000", "budget_medical": "", "budget_iga": "5000"}
    assert client.post(url, {**edit, "version": programme.version}).status_code == 302
    programme.refresh_from_db()
    assert programme.ceiling_per_beneficiary == Decimal("3000.00")
    assert dict(programme.budget_lines.values_list("category", "amount")) == {
        "housing": Decimal("15000.50"),
        "iga": Decimal("5000.00"),
    }
    # The page shows the change history with old → new values, in French.
    page = client.get(url).content.decode()
    assert 'id="history"' in page
    assert _has(page, "<td>2 500</td><td>3 000</td>")


def test_i21_p03_changes_audited_with_old_and_new_values() -> None:
    actor = factories.make_user(Role.COORDINATOR)
    programme = factories.make_programme(ceiling_per_beneficiary=Decimal("2000.00"))
    programme_save(
        actor=actor,
        programme=programme,
        values={"ceiling_per_beneficiary": Decimal("2500"), "target_beneficiaries": 15, "currencies": ["TND"]},
        expected_version=programme.version,
        budget_lines={"legal": Decimal("1000"), "medical": Decimal("0")},
    )
    event = _events(programme).get()
    assert event.action == "change"
    assert event.actor_id == str(actor.pk)
    assert sorted(event.changes) == [
        ("budget_line.legal", "", "1000"),
        ("ceiling_per_beneficiary", "2000", "2500"),
        ("currencies", "", "TND"),
    ]  # the unchanged target is not listed
    assert verify_chain().ok


def test_i21_p03_change_values_with_commas_and_arrows_round_trip() -> None:
    programme = factories.make_programme(co_funders="A, B")
    programme_save(
        actor=factories.make_user(Role.COORDINATOR),
        programme=programme,
        values={"co_funders": "C → D, 100 %"},
        expected_version=programme.version,
    )
    assert _events(programme).get().changes == [("co_funders", "A, B", "C → D, 100 %")]
    assert verify_chain().ok


def test_i21_p03_plain_events_are_unchanged() -> None:
    event = record_event(action="change", object_type="x.y", object_id="1", fields=["role:dpo", "is_active"])
    assert event.fields == "is_active,role:dpo"
    assert event.changes == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"budget": "-5"}, "supérieure ou égale à 0"),
        ({"budget_medical": "-1"}, "supérieure ou égale à 0"),
        ({"currencies": "XOF, XFO"}, "XFO"),
        ({"budget": "1000", "budget_medical": "900", "budget_housing": "", "budget_legal": "200"}, "1 100,00"),
        ({"ceiling_per_beneficiary": "beaucoup"}, "Saisissez un nombre."),
    ],
)
def test_i21_p03_bad_input_changes_nothing(
    signed_in: Callable[[User], Client], changes: dict[str, str], message: str
) -> None:
    programme = factories.make_programme(budget=Decimal("5000"))
    ProgrammeBudgetLine.objects.create(programme=programme, category="medical", amount=Decimal("100"))
    client = signed_in(factories.make_user(Role.COORDINATOR))
    url = reverse("programmes:programme_edit", kwargs={"programme_id": programme.pk})
    before = AuditEvent.objects.count()
    response = client.post(url, {**DATA, "version": programme.version, **changes})
    assert response.status_code == 400
    page = response.content.decode()
    assert _has(page, message)
    programme.refresh_from_db()
    assert programme.version == 1
    assert programme.currencies == []
    assert dict(programme.budget_lines.values_list("category", "amount")) == {"medical": Decimal("100.00")}
    assert AuditEvent.objects.filter(object_type="programmes.programme").count() == 0
    assert AuditEvent.objects.count() - before < 3  # only reads and sign-in, no change


def test_i21_p03_service_refuses_unknown_currency_and_stale_edit() -> None:
    actor = factories.make_user(Role.COORDINATOR)
    programme = factories.make_programme()
    with pytest.raises(RuleViolation):
        programme_save(actor=actor, programme=programme, values={"currencies": ["ABC"]}, expected_version=1)
    with pytest.raises(StaleObject):
        programme_save(actor=actor, programme=programme, values={"budget": Decimal("1")}, expected_version=7)
    with pytest.raises(RuleViolation):
        programme_save(
            actor=actor, programme=programme, values={}, expected_version=1, budget_lines={"bribes": Decimal("1")}
        )
    programme.refresh_from_db()
    assert programme.version == 1
    assert not programme.budget_lines.exists()
    with pytest.raises(RuleViolation):
        reference_rate_save(
            actor=actor,
            programme=programme,
            currency="ABC",
            valid_from=datetime.date(2026, 1, 1),
            rate=Decimal("10"),
            source="x",
        )
    assert not ReferenceRate.objects.exists()
    assert not _events(programme).exists()


def test_i21_p03_rate_change_audited_old_to_new_and_in_history(signed_in: Callable[[User], Client]) -> None:
    actor = factories.make_user(Role.COORDINATOR)
    programme = factories.make_programme()
    day = datetime.date(2026, 3, 1)
    rate = reference_rate_save(
        actor=actor, programme=programme, currency="NPR", valid_from=day, rate=Decimal("140"), source="BCE"
    )
    reference_rate_save(
        actor=actor, programme=programme, currency="NPR", valid_from=day, rate=Decimal("145.5"), source="BCE"
    )
    last = AuditEvent.objects.filter(object_type="programmes.referencerate", object_id=str(rate.pk)).first()
    assert last is not None
    assert last.changes == [("rate", "140", "145.5")]
    page = signed_in(actor).get(reverse("programmes:programme_edit", kwargs={"programme_id": programme.pk}))
    assert "Taux de référence NPR" in page.content.decode() or "Reference rate NPR" in page.content.decode()
    assert "145,5" in page.content.decode()


def test_i21_p03_rate_form_refuses_unknown_currency(signed_in: Callable[[User], Client]) -> None:
    programme = factories.make_programme()
    client = signed_in(factories.make_user(Role.COORDINATOR))
    response = client.post(
        reverse("programmes:programme_rates", kwargs={"programme_id": programme.pk}),
        {"currency": "QQQ", "valid_from": "01/03/2026", "rate": "10", "source": "BCE"},
    )
    assert response.status_code == 400
    assert "QQQ" in response.content.decode()
    assert not ReferenceRate.objects.exists()


def test_i21_p03_budget_by_category_beside_the_plans() -> None:
    programme = factories.make_programme()
    ProgrammeBudgetLine.objects.create(programme=programme, category="medical", amount=Decimal("1000"))
    case = factories.make_returned_case()
    case.programme = programme
    case.save(update_fields=["programme"])
    common = {"case": case, "description": "x", "provider": "y", "delivery_mode": "cash"}
    PlanItem.objects.create(**common, category="medical", planned_amount=Decimal("600"), status="approved")
    PlanItem.objects.create(
        **common, category="medical", planned_amount=Decimal("500"), status="delivered", actual_cost=Decimal("450")
    )
    PlanItem.objects.create(**common, category="housing", planned_amount=Decimal("300"), status="cancelled")
    rows = {row.category: row for row in budget_by_category(programme)}
    assert set(rows) == {"medical"}
    assert rows["medical"].budget == Decimal("1000.00")
    assert rows["medical"].planned == Decimal("600.00")
    assert rows["medical"].delivered == Decimal("450.00")
    assert rows["medical"].over_budget
