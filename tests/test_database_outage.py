"""REL-DB-OUTAGE at the application's edge: a database error becomes a plain 503, never a stack trace."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest

from django.db.utils import OperationalError
from django.test import Client

from careplus.access.roles import Role
from tests import factories


@pytest.mark.django_db
def test_pages_and_api_answer_503_while_the_database_is_down_then_recover(signed_in: Any) -> None:
    user = factories.make_user(Role.COORDINATOR)
    client: Client = signed_in(user)
    assert client.get("/dossiers/").status_code == 200
    client.raise_request_exception = False
    with mock.patch(
        "django.db.backends.utils.CursorWrapper.execute", side_effect=OperationalError("connection refused")
    ):
        page = client.get("/dossiers/")
        api = client.get("/api/v1/cases/")
    assert page.status_code == 503
    assert page["Retry-After"] == "30"
    body = page.content.decode()
    assert "Service momentanément indisponible" in body
    assert "Traceback" not in body
    assert "OperationalError" not in body
    assert api.status_code == 503
    assert api.json()["code"] == "unavailable"
    assert client.get("/dossiers/").status_code == 200  # back without restarting anything
