"""Issue 23: the field app's shell, its state at each contact, its service worker and manifest."""

from __future__ import annotations

import json
from typing import Any

import pytest
from PIL import Image

from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from django.utils import translation

from careplus.access.roles import Role
from careplus.audit.models import AuditEvent
from careplus.field.texts import ui_texts
from careplus.field.views import SHELL_STATIC
from tests import factories

pytestmark = pytest.mark.django_db

EDITORS = {Role.CASEWORKER, Role.COORDINATOR}


def _client(role: Role, *, verified: bool = True) -> tuple[Client, Any]:
    office = factories.shared_office() if role == Role.CASEWORKER else None
    organisation = factories.shared_organisation() if role == Role.PARTNER else None
    user = factories.make_user(role, office=office, organisation=organisation)
    client = Client()
    factories.sign_in(client, user, verified=verified)
    return client, user


@pytest.mark.parametrize("role", list(Role))
def test_shell_answers_200_to_case_editors_and_404_to_other_roles(role: Role) -> None:
    client, _user = _client(role)
    response = client.get(reverse("field:app"))
    assert response.status_code == (200 if role in EDITORS else 404)


def test_shell_sends_anonymous_and_password_only_sessions_to_sign_in() -> None:
    assert Client().get(reverse("field:app"))["Location"] == "/connexion/?next=%2Fterrain%2F"
    client, _user = _client(Role.CASEWORKER, verified=False)
    response = client.get(reverse("field:app"))
    assert response.status_code == 302
    assert response["Location"].startswith("/connexion/code/")


def test_shell_holds_the_container_texts_manifest_and_module_but_no_personal_data() -> None:
    client, user = _client(Role.CASEWORKER)
    case = factories.make_case(office=factories.shared_office(), family_name="Tamang", given_names="Maya")
    response = client.get(reverse("field:app"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "<h1>Visits without a connection</h1>" in html
    assert 'id="field-app"' in html
    assert 'data-api="/api/v1/"' in html
    assert f'data-state-url="{reverse("field:state")}"' in html
    assert f'<link rel="manifest" href="{reverse("field:manifest")}">' in html
    assert '<script type="module" src="/static/field/app.js"' in html
    assert "<noscript>" in html
    # No personal data: not the case's, not even the signed-in user's name (the page is cached offline).
    for secret in ("Tamang", "Maya", case.reference, user.full_name, user.email):
        assert secret not in html
    assert "no-store" in response["Cache-Control"]


def test_shell_has_no_inline_script() -> None:
    client, _user = _client(Role.COORDINATOR)
    html = client.get(reverse("field:app")).content.decode()
    for tag in html.split("<script")[1:]:
        opening, _sep, rest = tag.partition(">")
        body = rest.split("</script>")[0].strip()
        if 'type="application/json"' in opening:
            continue  # a data block, never executed
        assert "src=" in opening, f"inline script: <script{opening}>"
        assert body == "", f"inline script: <script{opening}>{body[:60]}"


def _texts(html: str) -> dict[str, str]:
    opening = '<script id="field-texts" type="application/json">'
    start = html.index(opening) + len(opening)
    texts: dict[str, str] = json.loads(html[start : html.index("</script>", start)])
    return texts


def test_texts_data_block_is_json_in_the_users_language() -> None:
    client, _user = _client(Role.CASEWORKER)
    html = client.get(reverse("field:app"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    texts = _texts(html)
    assert texts["sync_now"] == "Synchronise now"
    with translation.override("en"):
        assert texts == ui_texts()


def test_shell_is_in_french_by_default() -> None:
    client, _user = _client(Role.CASEWORKER)
    html = client.get(reverse("field:app")).content.decode()
    assert "<h1>Visites hors connexion</h1>" in html
    assert _texts(html)["sync_now"] == "Synchroniser maintenant"


def test_state_gives_the_user_id_and_a_csrf_token_never_cached() -> None:
    client, user = _client(Role.CASEWORKER)
    response = client.get(reverse("field:state"))
    assert response.status_code == 200
    body = response.json()
    assert body["signed_in"] is True
    assert body["user_id"] == str(user.pk)
    assert len(body["csrf_token"]) == 64
    assert set(body) == {"user_id", "csrf_token", "signed_in"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("verified", [None, False], ids=["anonymous", "password_only"])
def test_state_answers_401_json_not_a_redirect_once_the_session_has_ended(verified: bool | None) -> None:
    client = Client() if verified is None else _client(Role.CASEWORKER, verified=False)[0]
    response = client.get(reverse("field:state"))
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"signed_in": False}
    assert "no-store" in response["Cache-Control"]


def test_state_after_sign_out_answers_401() -> None:
    client, _user = _client(Role.CASEWORKER)
    assert client.get(reverse("field:state")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("field:state")).json() == {"signed_in": False}


def test_state_refuses_a_role_that_may_not_edit_case_files_and_records_it() -> None:
    client, _user = _client(Role.AUDITOR)
    before = AuditEvent.objects.count()
    assert client.get(reverse("field:state")).status_code == 404
    assert AuditEvent.objects.count() == before + 1


@pytest.mark.parametrize("name", ["field:state", "field:service_worker", "field:manifest", "field:app"])
def test_only_get_is_accepted(name: str) -> None:
    client, _user = _client(Role.CASEWORKER)
    assert client.post(reverse(name)).status_code == 405


def test_service_worker_is_public_with_its_scope_header_and_revalidated() -> None:
    response = Client().get(reverse("field:service_worker"))
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == "text/javascript"
    assert response["Service-Worker-Allowed"] == "/terrain/"
    assert response["Cache-Control"] == "no-cache"
    text = response.content.decode()
    config = json.loads(text.split("\n", 1)[0].removeprefix("self.CAREPLUS_FIELD = ").removesuffix(";"))
    assert config["shell"] == "/terrain/"
    assert "/terrain/" in config["precache"]
    assert "/terrain/manifest.webmanifest" in config["precache"]
    assert {f"/static/{name}" for name in SHELL_STATIC} <= set(config["precache"])
    # Nothing personal or per-session is ever precached.
    assert not [url for url in config["precache"] if url.startswith(("/api/", "/terrain/etat/"))]
    assert "skipWaiting" in text
    assert "clients.claim" in text


def test_service_worker_version_changes_with_a_precached_file(settings: Any, tmp_path: Any) -> None:
    first = Client().get(reverse("field:service_worker")).content.decode().split("\n", 1)[0]
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "careplus.css").write_text("body { color: red; }")
    settings.STATICFILES_DIRS = [tmp_path, *settings.STATICFILES_DIRS]
    second = Client().get(reverse("field:service_worker")).content.decode().split("\n", 1)[0]
    assert (
        json.loads(first.split(" = ", 1)[1].rstrip(";"))["version"]
        != json.loads(second.split(" = ", 1)[1].rstrip(";"))["version"]
    )


def test_manifest_is_public_and_installable() -> None:
    response = Client().get(reverse("field:manifest"))
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == "application/manifest+json"
    data = json.loads(response.content)
    assert data["name"] == "CARE+ terrain"
    assert data["start_url"] == "/terrain/"
    assert data["scope"] == "/terrain/"
    assert data["display"] == "standalone"
    assert data["theme_color"] == "#0b4f8a"
    assert data["background_color"] == "#f5f7fa"
    assert [(icon["sizes"], icon["type"]) for icon in data["icons"]] == [
        ("192x192", "image/png"),
        ("512x512", "image/png"),
    ]
    for icon in data["icons"]:
        assert icon["src"].startswith("/static/field/icons/")


@pytest.mark.parametrize("size", [192, 512])
def test_icons_are_png_files_of_their_declared_size(size: int) -> None:
    path = finders.find(f"field/icons/icon-{size}.png")
    assert isinstance(path, str)
    with Image.open(path) as image:
        assert (image.format, image.size) == ("PNG", (size, size))
