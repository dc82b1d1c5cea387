"""Reporting: demo figures, disclosure control, donor files, k-anonymous dataset, access."""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import random
from collections import Counter
from collections.abc import Callable
from typing import Any, cast

import pypdfium2
import pytest
from openpyxl import load_workbook

from django.core.management import call_command
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.cases import services as case_services
from careplus.cases.models import Case
from careplus.demo.programmes import DEMO_PROGRAMME
from careplus.programmes.models import Programme
from careplus.reporting import anonymise, figures, periods, sdc
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


@pytest.fixture
def demo() -> Programme:
    call_command("seed_demo", stdout=io.StringIO())
    return Programme.objects.get(name=DEMO_PROGRAMME)


def totals(programme: Programme, period: periods.Period) -> dict[str, Any]:
    return {block.key: (block.total, block.target) for block in figures.compute(programme, period)}


def test_demo_figures_from_the_launch_to_the_end_of_august_2018(demo: Programme) -> None:
    period = periods.resolve(demo, "all", None, datetime.date(2018, 8, 31))
    result = totals(demo, period)
    assert result["professionals"][0] == 41
    assert result["trainings"] == (2, 5)
    assert result["referrals"][0] == 6
    assert result["beneficiaries"] == (2, 15)


def test_demo_figures_of_the_first_semester_2018(demo: Programme) -> None:
    result = totals(demo, periods.resolve(demo, "2018-S1"))
    assert result["professionals"][0] == 41
    assert result["trainings"][0] == 2


@pytest.mark.parametrize("seed", range(30))
def test_suppressed_breakdowns_hide_small_cells_and_cannot_be_recomputed(seed: int) -> None:
    rng = random.Random(seed)
    cells = {f"c{i}": rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 14, 30]) for i in range(rng.randint(1, 7))}
    shown = sdc.suppress(cells, 5)
    if not shown:  # withheld: a single cell, and it is small
        assert len(cells) == 1
        assert 0 < next(iter(cells.values())) < 5
        return
    assert set(shown) == set(cells)
    assert all(value is None or value == 0 or value >= 5 for value in shown.values())
    assert not sdc.recoverable(shown, sum(cells.values()))
    assert all(shown[key] in (None, value) for key, value in cells.items())


def test_auditor_sees_suppressed_cells_coordinator_sees_exact(demo: Programme, signed_in: SignedIn) -> None:
    auditor = factories.make_user(Role.AUDITOR)
    coordinator = User.objects.get(email="coordination@demo.careplus.test")
    url = reverse("reporting:dashboard") + f"?programme={demo.pk}&end=2018-08-31"
    audited = signed_in(auditor).get(url).content.decode()
    exact = signed_in(coordinator).get(url).content.decode()
    assert "&lt; 5" in audited
    assert "Népal" in exact or "NP" in exact
    assert "41" in audited  # totals are exact for everyone
    assert "41" in exact


def test_published_blocks_never_show_one_to_four(demo: Programme) -> None:
    blocks = figures.disclose(figures.compute(demo, periods.resolve(demo, "all")), k=5)
    for block in blocks:
        if block.kind == "count":
            values = [v for _label, v in block.rows]
            assert all(v is None or v == 0 or v >= 5 for v in values), block.key
            counts = {label: None if v is None else int(v) for label, v in block.rows}
            assert not sdc.recoverable(counts, int(block.total or 0))


def test_xlsx_figures_equal_the_dashboard(demo: Programme, signed_in: SignedIn) -> None:
    coordinator = User.objects.get(email="coordination@demo.careplus.test")
    response = signed_in(coordinator).get(reverse("reporting:donor_xlsx") + f"?programme={demo.pk}&end=2018-08-31")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Composante I", "Composante II"]
    values = [cell for row in book["Composante II"].iter_rows(values_only=True) for cell in row if cell is not None]
    assert 41 in values
    assert 2 in values
    first = [cell for row in book["Composante I"].iter_rows(values_only=True) for cell in row if cell is not None]
    assert 6 in first
    assert 15 in first
    assert all(not (isinstance(v, str) and v.startswith("=")) for v in first)
    assert "< 5" in first  # the small breakdown cells are suppressed in every export
    published = figures.disclose(
        figures.compute(demo, periods.resolve(demo, "all", None, datetime.date(2018, 8, 31))), k=5
    )
    for block in published:
        for _label, value in block.rows:
            if value is not None and block.kind == "count":
                assert value in first + values


def test_pdf_report_renders_the_indicator_table(demo: Programme, signed_in: SignedIn) -> None:
    coordinator = User.objects.get(email="coordination@demo.careplus.test")
    response = signed_in(coordinator).get(reverse("reporting:donor_pdf") + f"?programme={demo.pk}&period=2018-S1")
    document = pypdfium2.PdfDocument(response.content)
    image = document[0].render(scale=1).to_pil()
    assert image.width > 400
    text = " ".join(document[0].get_textpage().get_text_range().split())
    assert "Tableau des indicateurs" in text
    assert "Professionnels formés" in text
    assert "41" in text


@pytest.mark.parametrize("k", [2, 3, 5, 11])
def test_dataset_is_k_anonymous_on_its_quasi_identifiers(k: int) -> None:
    programme = factories.make_programme()
    rng = random.Random(k)
    for index in range(60):
        case = case_services.case_open(
            actor=None,
            given_names="X",
            family_name=f"Y{index}",
            date_of_birth=datetime.date(rng.randint(1975, 2003), 1, 1),
            sex=rng.choice("fmu"),
            nationality=rng.choice(["NP", "CM", "TN", "NG"]),
            country_of_return="NP",
            opened_on=datetime.date(rng.choice([2018, 2019]), 3, 1),
            programme=programme,
        )
        assert case.pk
    summary, rows = anonymise.export_rows(programme, k)
    published = list(rows)
    assert len(published) == summary.rows
    assert summary.rows + summary.suppressed == 60
    positions = [anonymise.COLUMNS.index(c) for c in anonymise.QUASI_IDENTIFIERS]
    groups = Counter(tuple(row[i] for i in positions) for row in published)
    assert all(count >= k for count in groups.values())


def test_dataset_rows_carry_each_case_in_two_queries_whatever_the_number_of_cases(
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    call_command("generate_synthetic", cases=120, seed=3, workers=1, verbosity=0)
    programme = Programme.objects.get(name="Programme synthétique")
    cases = Case.objects.filter(programme=programme).select_related("referral")
    with django_assert_max_num_queries(2):
        summary, rows = anonymise.export_rows(programme, 2)
        published = list(rows)
    assert summary.rows == len(published)
    assert summary.rows + summary.suppressed == cases.count()
    expected: Counter[tuple[Any, ...]] = Counter()
    for case in cases:
        key = anonymise.quasi_identifiers(
            (case.opened_on.year, case.sex, case.birth_year, case.is_minor, case.nationality), summary.level
        )
        forms = case.referral.forms_of_exploitation if hasattr(case, "referral") else []
        expected[(*key, *anonymise.exploitation_columns(forms))] += 1
    positions = [anonymise.COLUMNS.index(c) for c in anonymise.QUASI_IDENTIFIERS]
    flags = list(range(anonymise.COLUMNS.index("isForcedLabour"), len(anonymise.COLUMNS)))
    got = Counter(tuple(row[i] for i in positions + flags) for row in published)
    assert got, summary
    assert all(expected[key] == count for key, count in got.items())
    assert sum(got.values()) == summary.rows


def test_dataset_rows_come_grouped_so_their_order_tells_nothing_of_the_files() -> None:
    """Rows come sorted by what they publish, one per case: their order is not the order files were opened in."""
    call_command("generate_synthetic", cases=150, seed=5, workers=1, verbosity=0)
    programme = Programme.objects.get(name="Programme synthétique")
    summary, rows = anonymise.export_rows(programme, 2)
    published = list(rows)
    assert len(published) == summary.rows > 0
    runs = [row for row, _run in itertools.groupby(published)]
    assert len(runs) < len(published), "no row stands for two cases: the test data proves nothing"
    assert runs == sorted(set(runs)), "rows are not in the order of their published values"


def test_dataset_download_has_no_personal_data(demo: Programme, signed_in: SignedIn) -> None:
    coordinator = User.objects.get(email="coordination@demo.careplus.test")
    response = signed_in(coordinator).get(reverse("reporting:dataset_csv"))
    body = cast(StreamingHttpResponse, response).getvalue().decode()
    assert body.startswith("# k=11")
    reader = csv.reader(io.StringIO(body.split("\n", 1)[1].lstrip("\ufeff")))
    header = next(reader)
    assert header == list(anonymise.COLUMNS)
    assert "Tamang" not in body
    assert "Ngono" not in body
    assert "département" not in header


def test_auditor_gets_404_on_every_case_page(demo: Programme, signed_in: SignedIn) -> None:
    client = signed_in(factories.make_user(Role.AUDITOR))
    urls = list(
        itertools.chain.from_iterable(
            (
                reverse("cases:case_detail", kwargs={"case_id": c.pk}),
                reverse("returns:overview", kwargs={"case_id": c.pk}),
            )
            for c in Case.objects.all()
        )
    )
    assert urls
    assert {client.get(url).status_code for url in urls} == {404}


def test_bad_dashboard_parameters_fall_back_without_error(demo: Programme, signed_in: SignedIn) -> None:
    client = signed_in(User.objects.get(email="coordination@demo.careplus.test"))
    for query in (
        "?programme=not-a-uuid",
        "?period=9999-S9",
        "?programme=00000000-0000-0000-0000-000000000000",
    ):
        response = client.get(reverse("reporting:dashboard") + query)
        assert response.status_code == 200
    assert client.get(reverse("reporting:dataset_csv") + "?k=abc").status_code == 200


def test_a_download_token_comes_back_as_a_cookie_and_a_forged_one_does_not(
    demo: Programme, signed_in: SignedIn
) -> None:
    client = signed_in(User.objects.get(email="coordination@demo.careplus.test"))
    url = reverse("reporting:donor_xlsx")
    response = client.get(url, {"programme": str(demo.pk), "download_token": "abc123XYZ789"})
    assert response.status_code == 200
    assert response.cookies["careplus_download"].value == "abc123XYZ789"
    forged = client.get(url, {"programme": str(demo.pk), "download_token": "x; Path=/; HttpOnly"})
    assert "careplus_download" not in forged.cookies


def test_period_choices_are_labelled_in_the_language_of_each_request() -> None:
    """The periods are computed once per programme dates and language: a French page never shows English."""
    from django.utils import translation

    programme = Programme(name="P", starts_on=datetime.date(2018, 1, 1), ends_on=datetime.date(2019, 6, 30))
    with translation.override("fr"):
        french = periods.choices(programme)
    with translation.override("en"):
        english = periods.choices(programme)
    with translation.override("fr"):
        again = periods.choices(programme)
    assert [p.label for p in french][:3] == ["Toute la durée du programme", "1er semestre 2018", "2nd semestre 2018"]
    assert [p.label for p in english][:2] == ["Whole programme period", "First semester 2018"]
    assert again == french
    assert [p.key for p in french][-1] == "2019-06"
    french.clear()  # a caller's list is its own
    assert periods.choices(programme) == again
