"""One client address for the lockout, the rate limits and the audit; request ids made here."""

from __future__ import annotations

import logging

import pytest

from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from careplus.accounts.models import User
from careplus.audit.choices import AuditAction
from careplus.audit.models import AuditEvent
from careplus.core.network import client_ip
from tests import factories

PROXY = "127.0.0.1"
BEHIND_PROXY = {"CAREPLUS_TRUST_X_FORWARDED_FOR": True, "CAREPLUS_TRUSTED_PROXY_COUNT": 1}
LOGIN = reverse("accounts:login")


def _through_proxy(client_address: str, spoofed: str = "") -> Client:
    """A client reaching the app through the proxy, which appends the address it saw."""
    forwarded = f"{spoofed}, {client_address}" if spoofed else client_address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


@pytest.mark.parametrize(
    ("trust", "hops", "forwarded", "expected"),
    [
        (False, 1, "203.0.113.5", PROXY),  # no proxy configured: the header is the client's word
        (True, 1, "203.0.113.5", "203.0.113.5"),
        (True, 1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the leftmost entry is written by the client
        (True, 2, "6.6.6.6, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (True, 3, "203.0.113.5", PROXY),  # fewer entries than proxies: one was skipped, the header may be forged
        (True, 3, "6.6.6.6, 203.0.113.5", PROXY),
        (True, 1, "not-an-address", PROXY),
        (True, 1, "", PROXY),
    ],
)
def test_p10_client_address_counts_trusted_proxies_from_the_right(
    trust: bool, hops: int, forwarded: str, expected: str
) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(CAREPLUS_TRUST_X_FORWARDED_FOR=trust, CAREPLUS_TRUSTED_PROXY_COUNT=hops):
        assert client_ip(request) == expected


@override_settings(**BEHIND_PROXY)
def test_p10_two_clients_behind_one_proxy_do_not_share_a_lockout(coordinator: User) -> None:
    attacker = _through_proxy("203.0.113.66", spoofed="198.51.100.1")
    for _attempt in range(6):
        attacker.post(LOGIN, {"username": coordinator.email, "password": "wrong-password-000"})
    assert attacker.post(LOGIN, {"username": coordinator.email, "password": factories.PASSWORD}).status_code == 429
    victim = _through_proxy("192.0.2.20")
    response = victim.post(LOGIN, {"username": coordinator.email, "password": factories.PASSWORD})
    assert response.status_code == 302  # on to the second factor, not locked out
    failures = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert set(failures.values_list("ip", flat=True)) == {"203.0.113.66"}
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN).get().ip == "192.0.2.20"


@override_settings(**BEHIND_PROXY)
def test_p10_registration_rate_limit_counts_each_client_behind_the_proxy(db: None) -> None:
    from careplus.trainings.views import REGISTRATIONS_PER_IP

    session = factories.make_training(registration_open=True)
    url = reverse("trainings:registration", kwargs={"token": session.registration_token})
    first = _through_proxy("203.0.113.7")
    for _attempt in range(REGISTRATIONS_PER_IP):
        first.post(url, {})
    assert first.post(url, {}).status_code == 429
    assert _through_proxy("203.0.113.8").post(url, {}).status_code == 400  # another client is not throttled


def test_p19_a_client_chosen_request_id_never_enters_the_audit_chain(coordinator: User) -> None:
    chosen = "attacker-chosen-id-0001"
    response = Client(HTTP_X_REQUEST_ID=chosen).post(LOGIN, {"username": coordinator.email, "password": "wrong-pass"})
    event = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).get()
    assert event.request_id != chosen
    assert len(event.request_id) == 32
    assert response["X-Request-ID"] == event.request_id


@override_settings(**BEHIND_PROXY)
def test_p19_a_trusted_proxy_request_id_is_logged_apart_from_the_chain(
    coordinator: User, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="careplus.request")
    proxy_id = "nginx-0123456789abcdef"
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="192.0.2.30", HTTP_X_REQUEST_ID=proxy_id)
    client.post(LOGIN, {"username": coordinator.email, "password": "wrong-pass"})
    event = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).get()
    assert event.request_id != proxy_id
    assert f"request {event.request_id} proxy-request-id {proxy_id}" in caplog.text
