"""Bogus bearer tokens: throttled per client address, stored as a keyed hash (issue 19, point 20)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from rest_framework.test import APIClient

from django.core.cache import cache
from django.core.management import call_command
from django.test import RequestFactory, override_settings

from careplus.access.roles import Role
from careplus.api.throttles import FailedTokenLimit
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.models import AuditEvent
from tests import factories
from tests.api.helpers import token_for

pytestmark = pytest.mark.django_db
ME = "/api/v1/me/"
DB_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "careplus_cache"}}


def _client(token: str, address: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")
    return client


def _failed() -> list[AuditEvent]:
    attempts = [AuditAction.LOGIN_FAILED, AuditAction.LOGIN_LOCKED]
    return list(AuditEvent.objects.filter(object_type="accounts.apitoken", action__in=attempts).order_by("seq"))


@pytest.fixture(autouse=True)
def _one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 60 attempts fall in one counting window, whatever the time the test starts."""
    monkeypatch.setattr("careplus.api.throttles.time", SimpleNamespace(time=lambda: 1210.0))


def _sixty_bogus_tokens_from_one_address() -> None:
    attacker = _client("", "203.0.113.7")
    statuses = []
    for index in range(60):
        attacker.credentials(
            HTTP_AUTHORIZATION=f"Bearer cpt_bogus{index:04d}xxxxxxxxxxxxxxxx", REMOTE_ADDR="203.0.113.7"
        )
        response = attacker.get(ME)
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert response["Retry-After"] == "50"
            assert response.json()["code"] == "throttled"
    assert statuses == [401] * 20 + [429] * 40
    events = _failed()
    assert [e.action for e in events] == [AuditAction.LOGIN_FAILED] * 20 + [AuditAction.LOGIN_LOCKED]
    assert events[-1].outcome == AuditOutcome.DENIED
    assert {e.ip for e in events} == {"203.0.113.7"}


def test_p20_bogus_tokens_are_throttled_per_client_address() -> None:
    user = factories.make_user(Role.PARTNER)
    raw = token_for(user)
    _sixty_bogus_tokens_from_one_address()
    # The blocked address is refused even with a good token; another address is not affected.
    assert _client(raw, "203.0.113.7").get(ME).status_code == 429
    assert _client("cpt_someoneelse", "198.51.100.4").get(ME).status_code == 401
    assert _client(raw, "198.51.100.4").get(ME).status_code == 200


@override_settings(CACHES=DB_CACHE)
def test_p20_the_count_lives_in_the_shared_database_cache() -> None:
    call_command("createcachetable", verbosity=0)
    _sixty_bogus_tokens_from_one_address()


@override_settings(CACHES=DB_CACHE)
def test_p20_workers_with_a_stale_count_do_not_lose_failures() -> None:
    call_command("createcachetable", verbosity=0)
    request = RequestFactory().get(ME, REMOTE_ADDR="203.0.113.9")
    # Each worker builds its own limiter, as each process does; the window is 1200-1260 s.
    first, second = FailedTokenLimit(request, now=1200.0), FailedTokenLimit(request, now=1200.5)
    for _index in range(9):
        first.note_failure()
    cache.set(first.key, 0)  # a worker's late write of an old count
    for _index in range(10):
        second.note_failure()
    assert second.wait() is None  # 19 failures: under the limit
    FailedTokenLimit(request, now=1201.0).note_failure()
    assert FailedTokenLimit(request, now=1202.0).wait() == 58  # the 20th: blocked to the window's end
    assert FailedTokenLimit(request, now=1260.0).wait() is None  # the next minute starts afresh


def test_p20_a_bogus_token_is_stored_as_a_keyed_hash_not_its_characters() -> None:
    secretish = "cpt_Zq8wLmN3pR5tV7xY9aBcDeFgHiJkLmNoPqRsTuVwXy"
    _client(secretish, "192.0.2.10").get(ME)
    _client(secretish, "192.0.2.11").get(ME)
    _client(secretish[:-1] + "z", "192.0.2.12").get(ME)
    first, again, other = _failed()
    assert re.fullmatch(r"hmac:[0-9a-f]{32}", first.object_id)
    assert first.object_id == again.object_id  # repeats of one token can be followed
    assert other.object_id != first.object_id
    for event in (first, other):
        stored = " ".join([event.object_id, event.fields, event.actor_label, event.request_id])
        assert not any(secretish[i : i + 6] in stored for i in range(4, len(secretish) - 6))
