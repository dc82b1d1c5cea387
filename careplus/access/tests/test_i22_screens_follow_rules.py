"""The pages offer exactly what the services accept (issue 22, point 1): both ask `careplus.access.rules`."""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Callable
from decimal import Decimal

import pytest

from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from careplus.access import rules
from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.cases import selectors, workflow
from careplus.cases import services as case_services
from careplus.cases.choices import CaseStatus
from careplus.cases.models import BestInterestsDetermination, Case, RiskAssessment
from careplus.core.errors import RuleViolation
from careplus.returns import services as return_services
from careplus.returns.choices import ItemStatus
from careplus.returns.models import PlanItem, Visit
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def _item(case: Case, coordinator: User, status: str) -> PlanItem:
    item = return_services.plan_item_add(
        actor=coordinator,
        case=case,
        description=f"Article {status}",
        category="iga",
        provider="Fournisseur",
        delivery_mode="in_kind",
        planned_amount=Decimal("10"),
    )
    PlanItem.objects.filter(pk=item.pk).update(status=status)
    item.refresh_from_db()
    return item


def test_the_plan_rows_offer_what_the_services_accept(coordinator: User, caseworker: User, signed_in: SignedIn) -> None:
    case = factories.make_returned_case(office=caseworker.role_grants.get().office)
    items = {status: _item(case, coordinator, status) for status in ItemStatus.values}
    url = reverse("returns:overview", kwargs={"case_id": case.pk})

    def offered(user: User) -> dict[str, set[str]]:
        page = signed_in(user).get(url).content.decode()
        return {
            action: {
                status
                for status, item in items.items()
                if reverse(f"returns:plan_{action}", kwargs={"case_id": case.pk, "item_id": item.pk}) in page
            }
            for action in ("approve", "deliver", "cancel")
        }

    assert offered(coordinator) == {"approve": {"planned"}, "deliver": {"approved"}, "cancel": {"planned", "approved"}}
    assert offered(caseworker) == {"approve": set(), "deliver": {"approved"}, "cancel": {"planned", "approved"}}
    # What is not offered is refused by the service, with its message, and nothing changes.
    with translation.override("en"):
        with pytest.raises(RuleViolation, match="Only a planned item can be approved"):
            return_services.plan_item_approve(
                actor=coordinator, item=items["approved"], expected_version=items["approved"].version
            )
        with pytest.raises(RuleViolation, match="You may not approve this item"):
            return_services.plan_item_approve(
                actor=caseworker, item=items["planned"], expected_version=items["planned"].version
            )
        with pytest.raises(RuleViolation, match="cannot be cancelled"):
            return_services.plan_item_cancel(actor=coordinator, item=items["delivered"])
    assert {item.status for item in PlanItem.objects.filter(case=case)} == set(ItemStatus.values)


def test_overdue_and_recordable_visits_are_decided_by_the_view(coordinator: User, signed_in: SignedIn) -> None:
    case = factories.make_returned_case(arrival_on=timezone.localdate() - datetime.timedelta(days=200))
    visits = list(Visit.objects.filter(case=case).order_by("planned_on"))
    past = [v for v in visits if v.planned_on < timezone.localdate()]
    assert past, "the factory plans visits from the arrival on"
    page = signed_in(coordinator).get(reverse("returns:overview", kwargs={"case_id": case.pk})).content.decode()
    assert page.count('badge badge--fail">') == len(past)  # one "overdue" badge per planned visit gone by
    for visit in visits:
        record = reverse("returns:visit_record", kwargs={"case_id": case.pk, "visit_id": visit.pk})
        assert record in page


def test_the_author_of_a_bid_is_not_offered_to_approve_it(signed_in: SignedIn) -> None:
    author = factories.make_user(Role.COORDINATOR)
    other = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(is_minor=True)
    case_services.section_save(
        actor=author,
        case=case,
        model=BestInterestsDetermination,
        values={"participants": "Panel", "reasoning": "Retour souhaité", "return_in_best_interests": True},
        expected_version=None,
        label="bid",
    )
    url = reverse("cases:case_detail", kwargs={"case_id": case.pk})
    approve = reverse("cases:bid_approve", kwargs={"case_id": case.pk})
    assert approve not in signed_in(author).get(url).content.decode()
    assert approve in signed_in(other).get(url).content.decode()
    with pytest.raises(RuleViolation):
        case_services.bid_approve(actor=author, case=case)
    case_services.bid_approve(actor=other, case=case)
    assert approve not in signed_in(other).get(url).content.decode()  # approved: nothing left to offer


def test_a_decided_referral_offers_no_screening(coordinator: User, partner: User, signed_in: SignedIn) -> None:
    organisation = partner.role_grants.get().organisation
    referral = factories.make_referral(actor=partner, organisation=organisation)
    url = reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk})
    screening = reverse("referrals:referral_screening", kwargs={"referral_id": referral.pk})
    assert screening in signed_in(partner).get(url).content.decode()
    assert screening in signed_in(coordinator).get(url).content.decode()
    type(referral).objects.filter(pk=referral.pk).update(status="withdrawn")
    assert screening not in signed_in(partner).get(url).content.decode()
    assert screening not in signed_in(coordinator).get(url).content.decode()


def test_who_approves_a_plan_item_is_one_function(
    coordinator: User, signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changing `rules.may_approve_plan_item` changes both the button and the service, nothing else needed."""
    case = factories.make_returned_case()
    item = _item(case, coordinator, ItemStatus.PLANNED)
    url = reverse("returns:overview", kwargs={"case_id": case.pk})
    approve = reverse("returns:plan_approve", kwargs={"case_id": case.pk, "item_id": item.pk})
    assert approve in signed_in(coordinator).get(url).content.decode()
    # Say: not by the file's own caseworker, the coordinator here.
    monkeypatch.setattr(rules, "may_approve_plan_item", lambda user, item: item.case.caseworker_id != user.pk)
    type(case).objects.filter(pk=case.pk).update(caseworker=coordinator)
    assert approve not in signed_in(coordinator).get(url).content.decode()
    with translation.override("en"), pytest.raises(RuleViolation, match="You may not approve this item"):
        return_services.plan_item_approve(actor=coordinator, item=item, expected_version=item.version)
    item.refresh_from_db()
    assert item.status == ItemStatus.PLANNED


def _risk_row(client: Client, case: Case) -> str:
    """The risk assessment's row of the summary, as the page reads it (French, tags dropped), then the
    addresses its forms post to."""
    page = client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk})).content.decode()
    start = page.index('<tr id="risque">')
    row = page[start : page.index("</tr>", start)]
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())
    return " ".join([text, *re.findall(r'<form method="post" action="([^"]+)"', row)])


def test_the_summary_says_which_risk_awaits_its_approval(
    coordinator: User, caseworker: User, signed_in: SignedIn
) -> None:
    """The rating's label, and the approval a high risk awaits, come from the rules, not the template."""
    case = factories.make_case(office=caseworker.role_grants.get().office)
    approve = reverse("cases:risk_approve", kwargs={"case_id": case.pk})
    values = {"ratings": {"re_trafficking": "low"}, "overall": "medium", "mitigation": "Hébergement sûr."}
    risk = case_services.section_save(
        actor=caseworker, case=case, model=RiskAssessment, values=values, expected_version=None, label="r"
    )
    row = _risk_row(signed_in(coordinator), case)
    assert "Moyen" in row
    assert "approbation" not in row
    assert "approuvé" not in row
    assert "Approuver" not in row
    assert approve not in row
    case_services.section_save(
        actor=caseworker,
        case=case,
        model=RiskAssessment,
        values={**values, "overall": "high"},
        expected_version=risk.version,
        label="r",
    )
    assert "Élevé — en attente d'approbation par la coordination" in _risk_row(signed_in(caseworker), case)
    assert "Approuver" not in _risk_row(signed_in(caseworker), case)  # a caseworker may not approve
    row = _risk_row(signed_in(coordinator), case)
    assert "Approuver le risque élevé" in row
    assert approve in row
    case_services.risk_approve(actor=coordinator, case=case)
    row = _risk_row(signed_in(coordinator), case)
    assert "Élevé — approuvé" in row
    assert "en attente" not in row
    assert "Approuver" not in row


def test_which_risk_needs_an_approval_is_one_function(
    coordinator: User, signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Changing `workflow.risk_needs_approval` changes the summary, the service and the departure checklist."""
    case = factories.make_case()
    values = {"ratings": {"re_trafficking": "low"}, "overall": "medium", "mitigation": "Hébergement sûr."}
    case_services.section_save(
        actor=coordinator, case=case, model=RiskAssessment, values=values, expected_version=None, label="r"
    )
    assert not rules.approval_needed(RiskAssessment, case.risk_assessment)
    monkeypatch.setattr(workflow, "risk_needs_approval", lambda overall: overall in {"medium", "high"})
    assert "Moyen — en attente d'approbation par la coordination" in _risk_row(signed_in(coordinator), case)
    with translation.override("en"):
        missing = workflow.missing_requirements(selectors.case_facts(case), CaseStatus.READY_TO_DEPART)
    assert "The overall risk is high: a coordinator must approve the risk assessment." in missing
    case_services.risk_approve(actor=coordinator, case=case)
    assert "Moyen — approuvé" in _risk_row(signed_in(coordinator), case)


def test_approval_needed_reads_the_model_and_the_rating() -> None:
    class Record:
        def __init__(self, overall: str) -> None:
            self.overall = overall

    assert rules.approval_needed(RiskAssessment, Record("high"))
    assert not rules.approval_needed(RiskAssessment, Record("medium"))
    assert not rules.approval_needed(RiskAssessment, None)
    assert rules.approval_needed(BestInterestsDetermination, Record(""))  # every one
    assert not rules.approval_needed(Case, Record("high"))  # the other records need none
