"""Authenticator seeds are sealed under the master keys; the database holds no usable seed."""

from __future__ import annotations

import base64
import binascii
import importlib

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings

from careplus.accounts import services, totp
from careplus.accounts.models import User
from careplus.core import crypto
from tests import factories

pytestmark = pytest.mark.django_db
LOGIN = "/connexion/"
VERIFY = "/connexion/code/"


def _stored(device: TOTPDevice) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM otp_totp_totpdevice WHERE id = %s", [device.pk])
        return str(cursor.fetchone()[0])


def _code_from(seed: bytes, device: TOTPDevice) -> str:
    return f"{TOTP(seed, device.step, device.t0, device.digits, device.drift).token():0{device.digits}d}"


def test_p14_the_stored_seed_is_sealed_and_a_seed_read_from_the_database_gives_no_code(coordinator: User) -> None:
    device = TOTPDevice.objects.get(user=coordinator, confirmed=True)
    stored = _stored(device)
    assert stored.startswith("s1:")
    assert binascii.hexlify(device.bin_key).decode() not in stored
    # An attacker with the database file has only the sealed value: nothing hex-decodes to the seed.
    with pytest.raises(binascii.Error):
        binascii.unhexlify(stored)
    # The application still signs in with the authenticator's code.
    client = Client()
    client.post(LOGIN, {"username": coordinator.email, "password": factories.PASSWORD})
    response = client.post(VERIFY, {"token": _code_from(device.bin_key, device)})
    assert response.status_code == 302
    assert not response["Location"].startswith(LOGIN)


def test_p14_enrolment_seals_the_seed_and_the_qr_secret_still_works() -> None:
    user = factories.make_user(with_totp=False)
    device = services.totp_device_for_enrolment(user=user)
    assert _stored(device).startswith("s1:")
    assert services.totp_confirm(user=user, device=device, token=_code_from(device.bin_key, device))
    assert _stored(TOTPDevice.objects.get(user=user, confirmed=True)).startswith("s1:")


def test_p14_a_sealed_seed_moved_to_another_account_does_not_open(coordinator: User) -> None:
    other = factories.make_user()
    mine = TOTPDevice.objects.get(user=coordinator, confirmed=True)
    theirs = TOTPDevice.objects.get(user=other, confirmed=True)
    TOTPDevice.objects.filter(pk=theirs.pk).update(key=_stored(mine))
    theirs.refresh_from_db()
    with pytest.raises(crypto.DecryptionError):
        theirs.bin_key  # noqa: B018 - reading it is the test


def test_p14_the_migration_seals_clear_seeds_and_people_keep_their_authenticator(coordinator: User) -> None:
    device = TOTPDevice.objects.get(user=coordinator, confirmed=True)
    seed = device.bin_key
    TOTPDevice.objects.filter(pk=device.pk).update(key=binascii.hexlify(seed).decode())  # as before
    migration = importlib.import_module("careplus.accounts.migrations.0005_sealed_totp_seeds")
    migration.seal_seeds(apps, None)
    device.refresh_from_db()
    assert _stored(device).startswith("s1:")
    assert device.bin_key == seed
    migration.open_seeds(apps, None)
    assert _stored(device) == binascii.hexlify(seed).decode()


def test_p14_rotating_the_master_key_reseals_the_seeds(coordinator: User) -> None:
    device = TOTPDevice.objects.get(user=coordinator, confirmed=True)
    seed, before = device.bin_key, _stored(device)
    old = crypto.keyring()
    new_key = "bmV3LWtleS1mb3ItdGhlLXRvdHAtc2VlZC10ZXN0cyE="  # 32 bytes, base64
    spec = f"new:{new_key}," + ",".join(
        f"{key_id}:{base64.urlsafe_b64encode(key).decode()}" for key_id, key in old.keys.items()
    )
    with override_settings(CAREPLUS_MASTER_KEYS=spec, CAREPLUS_MASTER_KEY_FILE=""):
        call_command("rotate_keys")
        device.refresh_from_db()
        assert _stored(device) != before
        assert device.bin_key == seed
        only_new = crypto.parse_keyring(f"new:{new_key}")
        assert totp.open_seed(_stored(device), coordinator.pk, ring=only_new) == seed
