"""Programme screens: coordinators create and edit; bad input changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.programmes.models import Programme
from tests import factories

pytestmark = pytest.mark.django_db

DATA = {
    "name": "CARE+ 2020",
    "funder": "FAMI",
    "co_funders": "",
    "starts_on": "2020-01-01",
    "ends_on": "2021-06-30",
    "target_beneficiaries": "20",
    "target_trainings": "6",
    "target_professionals": "120",
    "budget": "300000.00",
    "ceiling_per_beneficiary": "2500.00",
}


def test_coordinator_creates_and_edits_a_programme(signed_in: Callable[[User], Client]) -> None:
    client = signed_in(factories.make_user(Role.COORDINATOR))
    assert client.post(reverse("programmes:programme_create"), DATA).status_code == 302
    programme = Programme.objects.get(name="CARE+ 2020")
    assert programme.ceiling_per_beneficiary == Decimal("2500.00")
    url = reverse("programmes:programme_edit", kwargs={"programme_id": programme.pk})
    client.post(url, {**DATA, "target_trainings": "8", "version": programme.version})
    programme.refresh_from_db()
    assert programme.target_trainings == 8
    stale = client.post(url, {**DATA, "target_trainings": "9", "version": 1})
    assert stale.status_code == 400
    programme.refresh_from_db()
    assert programme.target_trainings == 8


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_on": "2019-01-01"}, "La fin de la période précède son début."),
        ({"budget": "-1"}, "supérieure ou égale à 0"),
        ({"name": ""}, "Ce champ est obligatoire."),
        ({"target_trainings": "deux"}, "Saisissez un nombre entier."),
    ],
)
def test_bad_input_changes_nothing(signed_in: Callable[[User], Client], changes: dict[str, str], message: str) -> None:
    client = signed_in(factories.make_user(Role.COORDINATOR))
    response = client.post(reverse("programmes:programme_create"), {**DATA, **changes})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Programme.objects.filter(name="CARE+ 2020").exists()


def test_duplicate_name_is_refused(signed_in: Callable[[User], Client]) -> None:
    client = signed_in(factories.make_user(Role.COORDINATOR))
    client.post(reverse("programmes:programme_create"), DATA)
    response = client.post(reverse("programmes:programme_create"), DATA)
    assert "Un programme porte déjà ce nom." in response.content.decode()
    assert Programme.objects.filter(name="CARE+ 2020").count() == 1
