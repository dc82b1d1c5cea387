"""Plan items, visits, assessments, trainings and indicators over the API."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal

import pytest

from django.test import Client, override_settings
from django.utils import timezone

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.cases.models import RiskAssessment
from careplus.returns.models import PlanItem, Visit
from careplus.trainings.models import Participation, TrainingSession
from tests import factories
from tests.api.helpers import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def programme() -> None:
    factories.make_programme()


def _plan_body() -> dict[str, object]:
    return {
        "category": "iga",
        "description": "Petit commerce de tissus",
        "provider": "Microfinance fictive",
        "delivery_mode": "in_kind",
        "planned_amount": "800.00",
    }


def test_a_plan_item_is_planned_approved_and_delivered_through_the_services() -> None:
    office = factories.make_office()
    case = factories.make_returned_case(office=office)
    caseworker = api_client(factories.make_user(Role.CASEWORKER, office=office))
    coordinator = api_client(factories.make_user(Role.COORDINATOR))
    base = f"/api/v1/cases/{case.pk}/plan-items/"
    created = caseworker.post(
        base, {**_plan_body(), "status": "delivered", "approved_at": "2018-01-01T00:00:00Z"}, format="json"
    )
    assert created.status_code == 201, created.json()
    item = created.json()
    assert item["status"] == "planned"
    assert item["approved_at"] is None
    assert item["planned_amount"] == "800.00"
    url = f"{base}{item['id']}/"
    assert caseworker.post(f"{url}approve/", HTTP_IF_MATCH=created["ETag"]).status_code == 404  # not a role of theirs
    assert coordinator.post(f"{url}approve/").status_code == 428
    approved = coordinator.post(f"{url}approve/", HTTP_IF_MATCH=created["ETag"])
    assert approved.status_code == 200
    assert approved.json()["status"] == "approved"
    stale = caseworker.post(
        f"{url}deliver/",
        {"actual_cost": "790.00", "delivered_on": "2018-07-01"},
        format="json",
        HTTP_IF_MATCH=created["ETag"],
    )
    assert stale.status_code == 412
    assert PlanItem.objects.get(pk=item["id"]).status == "approved"
    delivered = caseworker.post(
        f"{url}deliver/",
        {"actual_cost": "790.00", "delivered_on": "2018-07-01"},
        format="json",
        HTTP_IF_MATCH=approved["ETag"],
    )
    assert delivered.status_code == 200, delivered.json()
    assert PlanItem.objects.get(pk=item["id"]).actual_cost == Decimal("790.00")


def test_a_plan_item_with_half_a_local_payment_is_refused_with_the_forms_message() -> None:
    office = factories.make_office()
    case = factories.make_returned_case(office=office)
    client = api_client(factories.make_user(Role.CASEWORKER, office=office))
    response = client.post(
        f"/api/v1/cases/{case.pk}/plan-items/", {**_plan_body(), "local_currency": "NPR"}, format="json"
    )
    assert response.status_code == 400
    assert "local_currency" in response.json()["extra"]["fields"]
    assert not PlanItem.objects.filter(case=case).exists()


def test_a_visit_is_recorded_with_its_questionnaire_and_scored() -> None:
    office = factories.make_office()
    case = factories.make_returned_case(office=office)
    visit = Visit.objects.filter(case=case).order_by("planned_on").first()
    assert visit is not None
    client = api_client(factories.make_user(Role.CASEWORKER, office=office))
    url = f"/api/v1/cases/{case.pk}/visits/{visit.pk}/"
    etag = client.get(url)["ETag"]
    body = {
        "done_on": "2018-06-20",
        "mode": "in_person",
        "progress": "Le commerce a ouvert.",
        "answers": {"eco_satisfaction": "satisfied", "eco_food": "never"},
    }
    unknown = client.post(f"{url}record/", {**body, "answers": {"bogus": "x"}}, format="json", HTTP_IF_MATCH=etag)
    assert unknown.status_code == 400
    assert "answers" in unknown.json()["extra"]["fields"]
    bad_option = client.post(
        f"{url}record/", {**body, "answers": {"eco_food": "sometimes-ish"}}, format="json", HTTP_IF_MATCH=etag
    )
    assert bad_option.status_code == 400
    assert "q_eco_food" in bad_option.json()["extra"]["fields"]
    done = client.post(f"{url}record/", body, format="json", HTTP_IF_MATCH=etag)
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "done"
    assert done.json()["scores"]
    again = client.post(f"{url}record/", body, format="json", HTTP_IF_MATCH=done["ETag"])
    assert again.status_code == 400
    assert again.json()["code"] == "rule_violation"


def test_an_assessment_is_created_with_if_none_match_and_read_back() -> None:
    from careplus.cases.choices import NEED_CATEGORIES

    office = factories.make_office()
    case = factories.make_case(office=office)
    client = api_client(factories.make_user(Role.CASEWORKER, office=office))
    url = f"/api/v1/cases/{case.pk}/assessments/besoins/"
    assert client.get(url).status_code == 404
    listing = {row["section"]: row for row in client.get(f"/api/v1/cases/{case.pk}/assessments/").json()}
    assert listing["besoins"]["recorded"] is False
    assert "juridique" not in listing
    assert "interet-superieur" not in listing
    values = {f"need_{name}": "high" for name, _label in NEED_CATEGORIES} | {"notes": "Logement d'abord"}
    assert client.put(url, {"values": values}, format="json").status_code == 428
    incomplete = client.put(url, {"values": {"notes": "x"}}, format="json", HTTP_IF_NONE_MATCH="*")
    assert incomplete.status_code == 400
    assert set(incomplete.json()["extra"]["fields"]) == {f"need_{name}" for name, _label in NEED_CATEGORIES}
    created = client.put(url, {"values": values}, format="json", HTTP_IF_NONE_MATCH="*")
    assert created.status_code == 200, created.json()
    read = client.get(url).json()
    assert read["values"]["notes"] == "Logement d'abord"
    assert read["version"] == 1
    assert client.get(f"/api/v1/cases/{case.pk}/assessments/juridique/").status_code == 404


def test_a_high_risk_saved_over_the_api_drops_the_approval_like_the_page() -> None:
    office = factories.make_office()
    case = factories.make_case(office=office)
    client = api_client(factories.make_user(Role.COORDINATOR))
    url = f"/api/v1/cases/{case.pk}/assessments/risque/"
    from careplus.cases.choices import RISK_FACTORS

    values = {f"factor_{name}": "low" for name, _label in RISK_FACTORS}
    values.update({"overall": "low", "mitigation": "Aucune mesure particulière"})
    created = client.put(url, {"values": values}, format="json", HTTP_IF_NONE_MATCH="*")
    assert created.status_code == 200, created.json()
    assert created.json()["values"]["overall"] == "low"
    again = client.put(url, {"values": values}, format="json", HTTP_IF_NONE_MATCH="*")
    assert again.status_code == 412
    stale = client.put(url, {"values": {**values, "overall": "high"}}, format="json", HTTP_IF_MATCH='"7"')
    assert stale.status_code == 412
    assert RiskAssessment.objects.get(case=case).overall == "low"
    high = client.put(url, {"values": {**values, "overall": "high"}}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert high.status_code == 200
    risk = RiskAssessment.objects.get(case=case)
    assert (risk.overall, risk.approved_by_id, risk.version) == ("high", None, 2)


TRAININGS = "/api/v1/trainings/"


def _training_body() -> dict[str, object]:
    return {
        "title": "Identifier les victimes",
        "city": "Lyon",
        "venue": "Salle fictive",
        "held_on": "2018-04-26",
        "capacity": 30,
        "modules": ["I", "II"],
    }


def test_a_trainer_creates_and_edits_a_session_with_if_match() -> None:
    trainer = api_client(factories.make_user(Role.TRAINER))
    created = trainer.post(
        TRAININGS,
        {**_training_body(), "registration_token": "forged", "registration_open": False, "version": 9},
        format="json",
    )
    assert created.status_code == 201, created.json()
    session = TrainingSession.objects.get(pk=created.json()["id"])
    assert (session.registration_token != "forged", session.registration_open, session.version) == (True, True, 1)
    url = f"{TRAININGS}{session.pk}/"
    assert trainer.patch(url, {"city": "Bordeaux"}, format="json").status_code == 428
    assert trainer.patch(url, {"city": "Bordeaux"}, format="json", HTTP_IF_MATCH='"2"').status_code == 412
    session.refresh_from_db()
    assert session.city == "Lyon"
    changed = trainer.patch(
        url, {"city": "Bordeaux", "programme_id": "x"}, format="json", HTTP_IF_MATCH=created["ETag"]
    )
    assert changed.status_code == 200
    assert changed.json()["city"] == "Bordeaux"
    assert changed.json()["title"] == "Identifier les victimes"
    assert changed["ETag"] == '"2"'
    invalid = trainer.patch(url, {"capacity": 0}, format="json", HTTP_IF_MATCH='"2"')
    assert invalid.status_code == 400
    assert api_client(factories.make_user(Role.PARTNER)).get(url).status_code == 404


def test_participants_are_added_all_or_none() -> None:
    session = factories.make_training(capacity=3)
    client = api_client(factories.make_user(Role.TRAINER))
    url = f"{TRAININGS}{session.pk}/participants/"
    good = {
        "full_name": "Camille Martin",
        "email": "camille@example.test",
        "organisation": "Gendarmerie de Lyon",
        "organisation_type": "gendarmerie",
    }
    bad = {**good, "email": "not-an-email", "full_name": "=HYPERLINK()"}
    refused = client.post(url, {"participants": [good, bad]}, format="json")
    assert refused.status_code == 400
    assert list(refused.json()["extra"]["fields"]) == ["participants.1"]
    assert not Participation.objects.filter(session=session).exists()
    added = client.post(url, {"participants": [good]}, format="json")
    assert added.status_code == 201
    assert added.json() == {"added": 1}
    assert [row["email"] for row in client.get(url).json()] == ["camille@example.test"]


def test_indicators_are_exact_for_coordinators_and_suppressed_for_auditors() -> None:
    programme_id = factories.make_programme(name="P2").pk
    for index in range(3):
        factories.make_training(programme_id=programme_id, city="Lyon", title=f"S{index}")
    url = f"/api/v1/programmes/{programme_id}/indicators/"
    exact = api_client(factories.make_user(Role.COORDINATOR)).get(url).json()
    suppressed = api_client(factories.make_user(Role.AUDITOR)).get(url).json()
    assert exact["exact"] is True
    assert suppressed["exact"] is False
    exact_cells = [row["value"] for block in exact["blocks"] if block["kind"] == "count" for row in block["rows"]]
    shown_cells = [row["value"] for block in suppressed["blocks"] if block["kind"] == "count" for row in block["rows"]]
    assert 3 in exact_cells
    assert all(not isinstance(value, int) or value == 0 or value >= 5 for value in shown_cells)
    assert api_client(factories.make_user(Role.CASEWORKER)).get(url).status_code == 404


@override_settings(CAREPLUS_API_RATES={"token": "1000/hour", "list": "1000/minute", "export": "2/hour"})
def test_exports_are_rate_limited_with_retry_after() -> None:
    programme_id = factories.make_programme(name="P3").pk
    client = api_client(factories.make_user(Role.AUDITOR))
    url = f"/api/v1/programmes/{programme_id}/indicators/"
    assert [client.get(url).status_code for _ in range(2)] == [200, 200]
    limited = client.get(url)
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0
    assert limited.json()["code"] == "throttled"
    assert limited.json()["extra"]["retry_after_seconds"] > 0


@override_settings(CAREPLUS_API_RATES={"token": "3/hour", "list": "1000/minute", "export": "5/hour"})
def test_a_token_is_rate_limited() -> None:
    client = api_client(factories.make_user(Role.PARTNER))
    statuses = [client.get("/api/v1/me/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


@override_settings(CAREPLUS_API_RATES={"token": "1000/hour", "list": "2/minute", "export": "5/hour"})
def test_listing_is_rate_limited() -> None:
    client = api_client(factories.make_user(Role.COORDINATOR))
    statuses = [client.get("/api/v1/cases/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert client.get("/api/v1/me/").status_code == 200  # not a listing


def test_schema_and_docs_are_served_locally_to_signed_in_users(signed_in: Callable[[User], Client]) -> None:
    user = factories.make_user(Role.CASEWORKER)
    client = signed_in(user)
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.")
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert "<style>" not in html
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()
    assert api_client().get("/api/v1/schema/").status_code == 401


def test_dates_in_the_future_are_refused_for_visits() -> None:
    office = factories.make_office()
    case = factories.make_returned_case(office=office)
    visit = Visit.objects.filter(case=case).first()
    assert visit is not None
    client = api_client(factories.make_user(Role.CASEWORKER, office=office))
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = client.post(
        f"/api/v1/cases/{case.pk}/visits/{visit.pk}/record/",
        {"done_on": future, "mode": "in_person", "progress": "x"},
        format="json",
        HTTP_IF_MATCH=f'"{visit.version}"',
    )
    assert response.status_code == 400
    assert "done_on" in response.json()["extra"]["fields"]
