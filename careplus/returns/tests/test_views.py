"""Return pages: bad input gets French field messages and changes nothing; scope is enforced."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_django import DjangoAssertNumQueries

from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.returns.models import Departure, PlanItem, Visit
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {
                "category": "iga",
                "description": "x",
                "provider": "P",
                "delivery_mode": "in_kind",
                "planned_amount": "-5",
            },
            "supérieure ou égale à",
        ),
        (
            {
                "category": "iga",
                "description": "x",
                "provider": "P",
                "delivery_mode": "in_kind",
                "planned_amount": "abc",
            },
            "Saisissez un nombre.",
        ),
        (
            {
                "category": "iga",
                "description": "x",
                "provider": "P",
                "delivery_mode": "in_kind",
                "planned_amount": "1.234",
            },
            "2 chiffres après la virgule",
        ),
        (
            {
                "category": "nope",
                "description": "x",
                "provider": "P",
                "delivery_mode": "in_kind",
                "planned_amount": "10",
            },
            "Sélectionnez un choix valide",
        ),
    ],
)
def test_bad_plan_item_input(coordinator: User, signed_in: SignedIn, data: dict[str, str], message: str) -> None:
    case = factories.make_returned_case()
    response = signed_in(coordinator).post(reverse("returns:plan_add", kwargs={"case_id": case.pk}), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PlanItem.objects.filter(case=case).exists()


def test_departure_form_refuses_arrival_before_departure(coordinator: User, signed_in: SignedIn) -> None:
    case = factories.make_case()
    response = signed_in(coordinator).post(
        reverse("returns:departure_edit", kwargs={"case_id": case.pk}),
        {"actual_departure_on": "2018-03-20", "arrival_on": "2018-03-10", "airport": "CDG"},
    )
    assert response.status_code == 400
    assert "La date d&#x27;arrivée ne peut pas précéder la date de départ." in response.content.decode()
    assert not Departure.objects.filter(case=case).exists()


def test_visit_after_twelve_months_is_refused_with_a_message(coordinator: User, signed_in: SignedIn) -> None:
    case = factories.make_returned_case()
    response = signed_in(coordinator).post(
        reverse("returns:visit_add", kwargs={"case_id": case.pk}), {"planned_on": "2019-05-21"}
    )
    assert response.status_code == 400
    assert "plus de 12 mois après l&#x27;arrivée" in response.content.decode()
    assert Visit.objects.filter(case=case).count() == 4


def test_p21_scheduling_a_visit_on_a_file_without_a_departure_is_a_clear_400(
    coordinator: User, signed_in: SignedIn
) -> None:
    case = factories.make_case()
    assert not Departure.objects.filter(case=case).exists()
    response = signed_in(coordinator).post(
        reverse("returns:visit_add", kwargs={"case_id": case.pk}), {"planned_on": "2019-05-21"}
    )
    assert response.status_code == 400
    assert "La date d&#x27;arrivée est nécessaire pour planifier le suivi." in response.content.decode()
    assert not Visit.objects.filter(case=case).exists()


def test_visit_form_shows_the_questionnaire_and_refuses_future_dates(coordinator: User, signed_in: SignedIn) -> None:
    case = factories.make_returned_case()
    visit = Visit.objects.filter(case=case).first()
    assert visit is not None
    url = reverse("returns:visit_record", kwargs={"case_id": case.pk, "visit_id": visit.pk})
    client = signed_in(coordinator)
    page = client.get(url).content.decode()
    assert "Satisfaction à l&#x27;égard de la situation économique actuelle" in page
    bad = client.post(url, {"done_on": "2999-01-01", "mode": "phone", "progress": "x"})
    assert bad.status_code == 400
    assert "Cette date ne peut pas être dans le futur." in bad.content.decode()
    visit.refresh_from_db()
    assert visit.status == "planned"


def test_other_office_gets_404_on_the_return_pages(signed_in: SignedIn) -> None:
    case = factories.make_returned_case(office=factories.make_office("CMR", country="CM"))
    outsider = factories.make_user(Role.CASEWORKER, office=factories.make_office("NPL"))
    client = signed_in(outsider)
    assert client.get(reverse("returns:overview", kwargs={"case_id": case.pk})).status_code == 404
    visit = Visit.objects.filter(case=case).first()
    assert visit is not None
    assert (
        client.get(reverse("returns:visit_record", kwargs={"case_id": case.pk, "visit_id": visit.pk})).status_code
        == 404
    )


def test_overview_query_count_is_bounded(
    coordinator: User, signed_in: SignedIn, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    case = factories.make_returned_case()
    client = signed_in(coordinator)
    url = reverse("returns:overview", kwargs={"case_id": case.pk})
    with django_assert_max_num_queries(30):
        assert client.get(url).status_code == 200
