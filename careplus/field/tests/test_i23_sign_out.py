"""Issue 23: signing out erases the field app's data in this browser (Clear-Site-Data)."""

from __future__ import annotations

import pytest

from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from tests import factories

pytestmark = pytest.mark.django_db


def test_signing_out_tells_the_browser_to_erase_this_sites_storage(client: Client) -> None:
    factories.sign_in(client, factories.make_user(Role.CASEWORKER))

    response = client.post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"storage"'
    assert client.get(reverse("field:state")).status_code == 401
