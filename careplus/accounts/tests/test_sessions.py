"""Sessions: the database keeps a hash of each session key, never a key usable as a cookie."""

from __future__ import annotations

import importlib
import secrets

import pytest

from django.apps import apps
from django.db import connection
from django.test import Client
from django.utils import timezone

from careplus.accounts.models import User, UserSession
from careplus.accounts.sessions import SessionStore, session_digest
from tests import factories

pytestmark = pytest.mark.django_db
HOME = "/"
LOGIN = "/connexion/"


def _stored_keys() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT session_key FROM accounts_usersession")
        return [row[0] for row in cursor.fetchall()]


def test_p15_the_database_holds_no_session_key_and_a_stored_value_is_no_cookie(coordinator: User) -> None:
    client = Client()
    factories.sign_in(client, coordinator)
    assert client.get(HOME).status_code == 200
    cookie = client.cookies["sessionid"].value
    stored = _stored_keys()
    assert cookie not in stored
    assert session_digest(cookie) in stored

    # Someone who read the database file (or a backup) replays every value found there.
    for value in stored:
        thief = Client()
        thief.cookies["sessionid"] = value
        response = thief.get(HOME)
        assert response.status_code == 302
        assert response["Location"].startswith(LOGIN)
    # The real cookie still works.
    assert client.get(HOME).status_code == 200


def test_p15_logout_and_deletion_find_the_session_by_its_hash(coordinator: User) -> None:
    store = SessionStore()
    store["_auth_user_id"] = str(coordinator.pk)
    store.create()
    key = store.session_key
    assert key is not None
    row = UserSession.objects.get(session_key=session_digest(key))
    assert row.user_id == coordinator.pk
    assert SessionStore().exists(key)
    assert not SessionStore().exists(session_digest(key))
    assert SessionStore(key).load()["_auth_user_id"] == str(coordinator.pk)
    assert SessionStore(session_digest(key)).load() == {}
    SessionStore(key).delete()
    assert not UserSession.objects.exists()


def test_p15_the_migration_hashes_the_keys_of_open_sessions_so_they_keep_working(coordinator: User) -> None:
    client = Client()
    factories.sign_in(client, coordinator)
    cookie = client.cookies["sessionid"].value
    # A session as stored before the migration: the key in clear.
    UserSession.objects.filter(session_key=session_digest(cookie)).update(session_key=cookie)
    legacy = secrets.token_hex(16)
    UserSession.objects.create(session_key=legacy, session_data="", expire_date=timezone.now(), user_id=None)
    migration = importlib.import_module("careplus.accounts.migrations.0004_hashed_session_keys")
    migration.hash_session_keys(apps, None)
    assert sorted(_stored_keys()) == sorted([session_digest(cookie), session_digest(legacy)])
    assert client.get(HOME).status_code == 200
