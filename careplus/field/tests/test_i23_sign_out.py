"""Issue 23: signing out erases the field app's data in this browser (Clear-Site-Data); the shell the
service worker keeps carries nothing of a file."""

from __future__ import annotations

import pytest

from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import Client, RequestFactory
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


def test_the_shell_kept_offline_shows_no_flash_message(rf: RequestFactory) -> None:
    from careplus.field import views

    request = rf.get("/terrain/")
    user = factories.make_user(Role.CASEWORKER)
    setattr(user, "is_verified", lambda: True)  # noqa: B010 - what django-otp's middleware adds
    request.user = user
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    setattr(request, "_messages", FallbackStorage(request))  # noqa: B010 - what MessageMiddleware sets
    messages.success(request, "Visite de CARE-2026-001 enregistrée")

    response = views.app(request)

    assert b"CARE-2026-001" not in response.content
    assert [str(m) for m in messages.get_messages(request)] == ["Visite de CARE-2026-001 enregistrée"]  # kept for later
