"""Personas: one user per role, plus out-of-scope twins, signed in through a test client."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from django.test import Client

from careplus.access.roles import Role
from careplus.accounts.models import User
from tests import factories

# Playwright's sync API runs an event loop in the test thread; the ORM calls made by
# the tests themselves are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def coordinator(db: None) -> User:
    return factories.make_user(Role.COORDINATOR, email="coordinator@example.test")


@pytest.fixture
def caseworker(db: None) -> User:
    return factories.make_user(Role.CASEWORKER, email="caseworker@example.test")


@pytest.fixture
def partner(db: None) -> User:
    return factories.make_user(Role.PARTNER, email="partner@example.test")


@pytest.fixture
def trainer(db: None) -> User:
    return factories.make_user(Role.TRAINER, email="trainer@example.test")


@pytest.fixture
def auditor(db: None) -> User:
    return factories.make_user(Role.AUDITOR, email="auditor@example.test")


@pytest.fixture
def dpo(db: None) -> User:
    return factories.make_user(Role.DPO, email="dpo@example.test")


@pytest.fixture
def signed_in() -> Callable[[User], Client]:
    """Return a factory of clients signed in with both factors."""

    def _client(user: User) -> Client:
        client = Client()
        factories.sign_in(client, user)
        return client

    return _client


def _uses_transactional_db(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    transactional = bool(marker and marker.kwargs.get("transaction"))
    return transactional or bool(fixtures & {"transactional_db", "live_server"})


def _set_audit_maintenance(config: pytest.Config, unlocked: int) -> None:
    from pytest_django.plugin import blocking_manager_key

    from django.db import connection

    if connection.vendor != "sqlite":
        return  # PostgreSQL flushes with TRUNCATE, which the row triggers do not block
    with config.stash[blocking_manager_key].unblock(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_maintenance SET unlocked = %s WHERE id = 1", [unlocked])


# Set once a transactional test's database is really set up: only then is it flushed afterwards.
# A test skipped, failing before its database, or only planned (--setup-plan) has no test database
# yet, and the connection still names the configured one: nothing may be written to it.
_FLUSHED = pytest.StashKey[bool]()


@pytest.fixture(autouse=True)
def _transactional_database_set_up(request: pytest.FixtureRequest) -> None:
    if _uses_transactional_db(request.node):
        request.getfixturevalue("transactional_db")
        request.node.stash[_FLUSHED] = True


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """Let the test harness empty the append-only audit table after a transactional test."""
    flushed = item.stash.get(_FLUSHED, False)
    if flushed:
        _set_audit_maintenance(item.config, 1)
    yield
    if flushed and nextitem is not None:  # after the last test the database is gone
        _set_audit_maintenance(item.config, 0)
        _reload_shipped_instruments(item.config)


SHIPPED_INSTRUMENT_MIGRATIONS = [
    "careplus.referrals.migrations.0002_load_instruments",
    "careplus.returns.migrations.0002_load_rss",
    # Marks the versions just loaded approved, effective from today (issue 21, point 4).
    "careplus.core.migrations.0005_instrument_approval",
]


def _reload_shipped_instruments(config: pytest.Config) -> None:
    """Load again the instruments that data migrations ship, emptied by a transactional test's flush.

    Done after the flush rather than before the next transactional test: under pytest-xdist a
    worker runs the tests it is sent in any order, so the next test may be an ordinary one.
    """
    import importlib

    from pytest_django.plugin import blocking_manager_key

    from django.apps import apps

    with config.stash[blocking_manager_key].unblock():
        for name in SHIPPED_INSTRUMENT_MIGRATIONS:
            importlib.import_module(name).load(apps, None)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters live in the cache; every test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the default language (French), whatever an earlier command switched off.

    Management commands deactivate translations while they run; a test calling one must not leave
    the next test reading English.
    """
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield
