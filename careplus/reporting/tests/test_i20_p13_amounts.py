"""Issue 20, points 13 and 6: the dashboard writes amounts as French does (`1 234,50 €`), and the donor
report states every amount's currency with its ISO code (EUR)."""

from __future__ import annotations

import datetime
import html
import io
import re
from collections.abc import Callable
from decimal import Decimal

import pypdfium2
import pytest
from openpyxl import load_workbook

from django.test import Client
from django.urls import reverse
from django.utils import translation

from careplus.accounts.models import User
from careplus.cases.models import Case
from careplus.programmes.models import Programme
from careplus.reporting.templatetags.report_figures import figure, report_figure
from careplus.returns.choices import ItemStatus
from careplus.returns.models import PlanItem
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]
GROUP = "[\u00a0\u202f]"  # French groups thousands with a (narrow) non-breaking space


def _programme_with_spending() -> Programme:
    programme = factories.make_programme(budget=Decimal("300000.00"))
    case = factories.make_returned_case()
    Case.objects.filter(pk=case.pk).update(programme=programme, opened_on=datetime.date(2018, 4, 1))
    for category, cost in (("iga", "1234.50"), ("housing", "2000.25")):
        item = PlanItem(
            case=case,
            category=category,
            delivery_mode="cash",
            planned_amount=Decimal(cost),
            actual_cost=Decimal(cost),
            status=ItemStatus.DELIVERED,
            delivered_on=datetime.date(2018, 6, 15),
        )
        item.description, item.provider = "Aide", "Fournisseur fictif"
        item.save()
    return programme


def _query(programme: Programme) -> str:
    return f"?programme={programme.pk}&start=2018-01-01&end=2018-12-31"


def test_i20_p13_dashboard_amounts_read_as_french_writes_them(coordinator: User, signed_in: SignedIn) -> None:
    programme = _programme_with_spending()
    response = signed_in(coordinator).get(reverse("reporting:dashboard") + _query(programme))
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    spent = page[page.index('id="bloc-spent"') :]
    spent = spent[: spent.index("</section>")]
    assert re.search(rf"3{GROUP}234,75\u00a0€", spent), spent  # the total
    assert re.search(rf"300{GROUP}000,00\u00a0€", spent)  # the target: the programme's budget
    assert re.search(rf"1{GROUP}234,50\u00a0€", spent)  # a category
    assert re.search(rf"2{GROUP}000,25\u00a0€", spent)
    for raw in ("3234.75", "1234.50", "300000.00", "1234,50"):
        assert raw not in spent


def test_i20_p13_donor_report_states_the_currency_of_its_amounts(coordinator: User, signed_in: SignedIn) -> None:
    programme = _programme_with_spending()
    client = signed_in(coordinator)
    pdf = client.get(reverse("reporting:donor_pdf") + _query(programme))
    assert pdf.status_code == 200
    document = pypdfium2.PdfDocument(pdf.content)
    text = " ".join(" ".join(document[index].get_textpage().get_text_range().split()) for index in range(len(document)))
    assert "3 234,75 EUR" in text  # indicator table: delivered
    assert "300 000,00 EUR" in text  # and the budget it is measured against
    assert "1 234,50 EUR" in text  # a category
    assert "1234.50" not in text
    xlsx = client.get(reverse("reporting:donor_xlsx") + _query(programme))
    sheet = load_workbook(io.BytesIO(xlsx.content))["Composante I"]
    amounts = {cell.value: cell.number_format for row in sheet.iter_rows() for cell in row if cell.value is not None}
    assert "EUR" in amounts[1234.5]  # still a number the donor can add up, marked in euros
    assert "EUR" in amounts[300000]


def test_the_scores_block_counts_its_visits_as_a_count_and_writes_its_averages_with_two_decimals() -> None:
    with translation.override("fr"):
        for write in (figure, report_figure):
            assert write(1_182_727, "score") == "1\u00a0182\u00a0727"  # visits done, not "1 182 727,00"
            assert write(Decimal("0.49"), "score") == "0,49"
            assert write(None, "score") == "—"
            assert write(1234, "count") == "1\u00a0234"
