"""Personal API tokens: created after a fresh second factor, shown once, stored hashed, revocable."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.urls import reverse
from django.utils import timezone

from careplus.access.roles import Role
from careplus.accounts import services as account_services
from careplus.accounts.models import ApiToken
from careplus.audit.models import AuditEvent
from tests import factories
from tests.api.helpers import api_client, token_for

pytestmark = pytest.mark.django_db
ME = "/api/v1/me/"


def test_a_token_is_created_only_with_a_fresh_second_factor_and_shown_once(signed_in: Any) -> None:
    user = factories.make_user(Role.CASEWORKER)
    client = signed_in(user)
    url = reverse("accounts:api_tokens")
    refused = client.post(url, {"name": "Système du bureau", "days": "90", "code": "000000"})
    assert refused.status_code == 400
    assert "This code is not valid" in refused.content.decode() or "Ce code n" in refused.content.decode()
    assert not ApiToken.objects.filter(user=user).exists()

    TOTPDevice.objects.filter(user=user).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    created = client.post(url, {"name": "Système du bureau", "days": "90", "code": factories.totp_code(user)})
    assert created.status_code == 200
    token = ApiToken.objects.get(user=user)
    raw = created.context["created"]
    assert raw.startswith("cpt_")
    assert raw in created.content.decode()
    assert token.digest == account_services.api_token_digest(raw)
    assert raw not in token.digest
    assert token.expires_at - token.created_at == datetime.timedelta(days=90)
    assert raw not in client.get(url).content.decode()  # never shown again
    assert api_client(token=raw).get(ME).json()["email"] == user.email


def test_a_revoked_token_gets_401_at_once(signed_in: Any) -> None:
    user = factories.make_user(Role.PARTNER)
    raw = token_for(user)
    client = api_client(token=raw)
    assert client.get(ME).status_code == 200
    token = ApiToken.objects.get(user=user)
    signed_in(user).post(reverse("accounts:api_token_revoke", kwargs={"token_id": token.pk}))
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_or_a_deactivated_user_gets_401() -> None:
    user = factories.make_user(Role.PARTNER)
    raw = token_for(user)
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert api_client(token=raw).get(ME).status_code == 401
    other = factories.make_user(Role.PARTNER)
    raw_other = token_for(other)
    other.is_active = False
    other.save()
    assert api_client(token=raw_other).get(ME).status_code == 401


def test_a_forged_token_gets_401_and_is_audited() -> None:
    before = AuditEvent.objects.count()
    response = api_client(token="cpt_notarealtoken").get(ME)
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message", "extra"}
    assert AuditEvent.objects.filter(action="login_failed", object_type="accounts.apitoken").count() == 1
    assert AuditEvent.objects.count() == before + 1


def test_no_credentials_and_a_password_only_session_get_401(client: Any) -> None:
    assert api_client().get(ME).status_code == 401
    user = factories.make_user(Role.COORDINATOR)
    factories.sign_in(client, user, verified=False)
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_another_users_token_cannot_be_revoked(signed_in: Any) -> None:
    owner = factories.make_user(Role.PARTNER)
    raw = token_for(owner)
    token = ApiToken.objects.get(user=owner)
    intruder = factories.make_user(Role.PARTNER)
    response = signed_in(intruder).post(reverse("accounts:api_token_revoke", kwargs={"token_id": token.pk}))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert api_client(token=raw).get(ME).status_code == 200


def test_every_api_read_is_audited_under_the_tokens_user() -> None:
    user = factories.make_user(Role.COORDINATOR)
    client = api_client(user)
    client.get("/api/v1/cases/")
    event = AuditEvent.objects.order_by("-seq").first()
    assert event is not None
    assert (event.action, event.object_type, event.actor_id) == ("view", "cases.case", str(user.pk))


def test_token_lifetime_is_bounded() -> None:
    user = factories.make_user(Role.PARTNER)
    with pytest.raises(Exception, match="365"):
        account_services.api_token_create(user=user, name="x", days=400)


def test_unknown_api_urls_answer_json_and_pages_keep_their_html(client: Any) -> None:
    response = api_client(factories.make_user(Role.PARTNER)).get("/api/v1/cases/not-a-uuid/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"
    page = client.get("/nulle-part/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


def test_options_is_not_served_by_the_api() -> None:
    response = api_client(factories.make_user(Role.COORDINATOR)).options("/api/v1/cases/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
