"""Issue 19: no request parameter weakens disclosure control (p05); extreme dates answer 400 (p21)."""

from __future__ import annotations

import csv
import datetime
import io
import random
from collections.abc import Callable
from typing import cast

import pytest

from django.http import StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.audit.models import AuditEvent
from careplus.cases import services as case_services
from careplus.programmes.models import Programme
from careplus.reporting import anonymise
from tests import factories
from tests.api.helpers import api_client

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def _programme_with_cases(count: int = 40) -> Programme:
    programme = factories.make_programme()
    rng = random.Random(19)
    for index in range(count):
        case_services.case_open(
            actor=None,
            given_names="X",
            family_name=f"Y{index}",
            date_of_birth=datetime.date(rng.randint(1975, 2003), 1, 1),
            sex=rng.choice("fm"),
            nationality=rng.choice(["NP", "CM", "TN", "NG"]),
            country_of_return="NP",
            opened_on=datetime.date(rng.choice([2018, 2019]), 3, 1),
            programme=programme,
        )
    return programme


def _dataset(client: Client, programme: Programme, query: str = "") -> tuple[str, list[list[str]]]:
    response = client.get(reverse("reporting:dataset_csv") + f"?programme={programme.pk}{query}")
    assert response.status_code == 200
    head, body = cast(StreamingHttpResponse, response).getvalue().decode().split("\n", 1)
    return head, list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))[1:]


def test_p05_dataset_k_is_the_programmes_whatever_the_query_asks(signed_in: SignedIn) -> None:
    programme = _programme_with_cases()
    weaker, _rows = anonymise.export_rows(programme, 2)
    stronger, _rows = anonymise.export_rows(programme, 11)
    assert weaker.rows > stronger.rows  # k=2 would publish rows that k=11 suppresses
    client = signed_in(factories.make_user(Role.COORDINATOR))
    plain_head, plain_rows = _dataset(client, programme)
    for query in ("&k=2", "&k=1", "&k=0", "&k=-5", "&k=abc", "&level=0", "&k=2&k=3"):
        head, rows = _dataset(client, programme, query)
        assert head.startswith("# k=11;"), query
        assert (head, rows) == (plain_head, plain_rows), query
    assert len(plain_rows) == stronger.rows


def test_p05_each_export_audits_the_thresholds_it_applied(signed_in: SignedIn) -> None:
    programme = _programme_with_cases(12)
    client = signed_in(factories.make_user(Role.AUDITOR))
    for name in ("dataset_csv", "donor_xlsx"):
        response: HttpResponseBase = client.get(reverse(f"reporting:{name}") + f"?programme={programme.pk}&k=2")
        assert response.status_code == 200
        if isinstance(response, StreamingHttpResponse):
            response.getvalue()  # the event is written before the rows stream
    dataset = AuditEvent.objects.filter(object_type="reporting.dataset").latest("seq")
    assert "k=11" in dataset.field_names
    assert any(name.startswith("level=") for name in dataset.field_names)
    xlsx = AuditEvent.objects.filter(object_type="reporting.donor_xlsx").latest("seq")
    assert xlsx.field_names == ["k=5"]
    client.get(reverse("reporting:dashboard") + f"?programme={programme.pk}&k=1")
    assert AuditEvent.objects.filter(object_type="reporting.dashboard").latest("seq").field_names == ["k=5"]
    body = api_client(factories.make_user(Role.AUDITOR)).get(f"/api/v1/programmes/{programme.pk}/indicators/?k=1")
    assert body.json()["k"] == 5
    api_event = AuditEvent.objects.filter(object_type="reporting.indicators").latest("seq")
    assert api_event.action == "export"
    assert api_event.field_names == ["k=5"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=0001-01-01&end=9999-12-31", "start"),
        ("end=9999-12-31", "end"),
        ("start=0001-01-01", "start"),
        ("start=2019-01-01&end=2018-01-01", "end"),
        ("start=31-12-2018&end=x", "start"),
    ],
)
def test_p21_extreme_or_reversed_dates_answer_400_with_a_field_message(
    signed_in: SignedIn, query: str, field: str
) -> None:
    programme = factories.make_programme()
    client = signed_in(factories.make_user(Role.COORDINATOR))
    before = AuditEvent.objects.filter(action="export").count()
    for name in ("dashboard", "donor_xlsx", "donor_pdf", "dataset_csv"):
        response = client.get(reverse(f"reporting:{name}") + f"?programme={programme.pk}&{query}")
        assert response.status_code == 400, name
        assert response["Content-Type"].startswith("text/html")
        page = response.content.decode()
        assert f'id="id_{field}_error" role="alert"' in page, name
        assert 'class="kpi"' not in page
    assert AuditEvent.objects.filter(action="export").count() == before  # nothing exported


def test_p21_the_message_names_the_accepted_dates(signed_in: SignedIn) -> None:
    client = signed_in(factories.make_user(Role.COORDINATOR))
    factories.make_programme()
    page = client.get(reverse("reporting:dashboard") + "?start=0001-01-01&end=9999-12-31").content.decode()
    assert "01/01/1900" in page
    assert "31/12/2100" in page
    assert 'value="0001-01-01"' in page  # what was typed stays in the field


def test_p21_api_indicators_refuse_extreme_dates_with_a_field_message() -> None:
    programme = factories.make_programme()
    client = api_client(factories.make_user(Role.COORDINATOR))
    response = client.get(f"/api/v1/programmes/{programme.pk}/indicators/?start=0001-01-01&end=9999-12-31")
    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"start", "end"}
