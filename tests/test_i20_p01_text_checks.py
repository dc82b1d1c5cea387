"""Issue 20, point 1: fields that once took any text now refuse control and bidi characters, with nothing saved.

These fields were not listed anywhere: they are checked because every form and serializer of the project is
(tests/architecture/test_text_checks.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest

from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.cases.models import Consent
from careplus.returns.models import Departure, TravelLeg, Visit
from tests import factories
from tests.api.helpers import api_client

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def test_i20_p01_a_departure_airport_with_a_bidi_control_is_refused_and_nothing_saved(
    coordinator: User, signed_in: SignedIn
) -> None:
    case = factories.make_case()
    client = signed_in(coordinator)
    url = reverse("returns:departure_edit", kwargs={"case_id": case.pk})
    response = client.post(url, {"actual_departure_on": "2018-03-20", "airport": "CDG\u202egpj.exe"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Retirez le caractère invisible de sens d&#x27;écriture (U+202E) de ce texte." in page
    assert not Departure.objects.filter(case=case).exists()
    assert client.post(url, {"actual_departure_on": "2018-03-20", "airport": "Paris-CDG"}).status_code == 302
    assert Departure.objects.get(case=case).airport == "Paris-CDG"


def test_i20_p01_a_travel_leg_place_with_an_escape_character_is_refused_and_nothing_saved(
    coordinator: User, signed_in: SignedIn
) -> None:
    case = factories.make_case()
    url = reverse("returns:leg_add", kwargs={"case_id": case.pk})
    data = {"travel_on": "2018-03-20", "from_place": "Paris", "to_place": "Kathmandu\x1b[31m"}
    response = signed_in(coordinator).post(url, data)
    assert response.status_code == 400
    assert "Retirez le caractère de contrôle (U+001B) de ce texte." in response.content.decode()
    assert not TravelLeg.objects.filter(case=case).exists()


def test_i20_p01_a_visit_progress_keeps_its_lines_but_not_a_bidi_control_through_the_api() -> None:
    office = factories.make_office()
    case = factories.make_returned_case(office=office)
    visit = Visit.objects.filter(case=case).order_by("planned_on").first()
    assert visit is not None
    client = api_client(factories.make_user(Role.CASEWORKER, office=office), language="fr")
    url = f"/api/v1/cases/{case.pk}/visits/{visit.pk}/"
    etag = client.get(url)["ETag"]
    body = {"done_on": "2018-06-20", "mode": "in_person", "answers": {"eco_satisfaction": "satisfied"}}
    refused = client.post(
        f"{url}record/", {**body, "progress": "Boutique \u202eouverte"}, format="json", HTTP_IF_MATCH=etag
    )
    assert refused.status_code == 400
    assert "U+202E" in refused.json()["extra"]["fields"]["progress"][0]
    visit.refresh_from_db()
    assert visit.status == "planned"
    done = client.post(
        f"{url}record/", {**body, "progress": "Boutique ouverte.\nStock acheté."}, format="json", HTTP_IF_MATCH=etag
    )
    assert done.status_code == 200, done.json()
    visit.refresh_from_db()
    assert visit.progress == "Boutique ouverte.\nStock acheté."


def test_i20_p01_a_transition_reason_with_a_control_character_is_refused_through_the_api() -> None:
    case = factories.make_case()
    Consent.objects.create(
        case=case, scope="data_processing", given_on=datetime.date(2018, 4, 2), recorded_by=factories.system_user()
    )
    client = api_client(factories.make_user(Role.COORDINATOR), language="fr")
    url = f"/api/v1/cases/{case.pk}/transitions/"
    refused = client.post(
        url, {"target": "pre_departure", "reason": "ok\x07"}, format="json", HTTP_IF_MATCH=f'"{case.version}"'
    )
    assert refused.status_code == 400
    assert "U+0007" in refused.json()["extra"]["fields"]["reason"][0]
    before = case.version
    case.refresh_from_db()
    assert (case.status, case.version) == ("open", before)
