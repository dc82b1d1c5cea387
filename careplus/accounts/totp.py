"""Authenticator (TOTP) seeds sealed under the application's master keys, never stored in clear.

django-otp's `TOTPDevice` keeps its seed in `key` as hex and reads it only through
`bin_key`. Here the column holds `s1:` + base64url(nonce | AES-256-GCM(seed)), under a key
derived (HKDF) from a master key of `CAREPLUS_MASTER_KEYS` for this purpose only, with the
device's user as authenticated data: a seed copied from the database file is useless without
the master keys, and a sealed seed moved to another account does not open.

`install()` (called once by the accounts app) seals a clear seed whenever a device is saved
and makes `bin_key` open the sealed one; every caller (sign-in, enrolment, the demo command,
the tests' code generator) keeps using `TOTPDevice` unchanged. Sealing needs no row id, so a
device is sealed before its first insert. `reseal_all()` re-seals under the current master
key (run by `rotate_keys`).
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.db.models.signals import pre_save

from careplus.core import crypto

PREFIX = "s1:"
_INFO = b"careplus.totp-seed.v1"
# The column is 80 characters: nonce 12 + seed + tag 16 bytes, base64url, after the prefix.
MAX_SEED_BYTES = 24


def _seed_key(master: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(master)


def _aad(user_id: object) -> bytes:
    return b"otp_totp_totpdevice:key:" + str(user_id).encode()


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def seal_seed(seed: bytes, user_id: object, *, ring: crypto.Keyring | None = None) -> str:
    """Return the stored form of a seed, under the current master key."""
    if len(seed) > MAX_SEED_BYTES:
        raise ValueError("An authenticator seed is at most 24 bytes.")
    ring = ring or crypto.keyring()
    nonce = os.urandom(crypto.NONCE_BYTES)
    sealed = AESGCM(_seed_key(ring.key(ring.current_id))).encrypt(nonce, seed, _aad(user_id))
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def open_seed(stored: str, user_id: object, *, ring: crypto.Keyring | None = None) -> bytes:
    """Return the seed of a stored value; the current master key is tried first, then the older ones."""
    if not is_sealed(stored):
        raise crypto.DecryptionError("This authenticator seed is not sealed.")
    ring = ring or crypto.keyring()
    try:
        raw = base64.urlsafe_b64decode(stored[len(PREFIX) :])
    except (binascii.Error, ValueError) as error:
        raise crypto.DecryptionError("This authenticator seed is corrupted.") from error
    nonce, body = raw[: crypto.NONCE_BYTES], raw[crypto.NONCE_BYTES :]
    order = [ring.current_id] + [key_id for key_id in ring.keys if key_id != ring.current_id]
    for key_id in order:
        try:
            return AESGCM(_seed_key(ring.keys[key_id])).decrypt(nonce, body, _aad(user_id))
        except InvalidTag:
            continue
    raise crypto.DecryptionError("This authenticator seed does not open with the configured master keys.")


def _bin_key(device: TOTPDevice) -> bytes:
    return open_seed(device.key, device.user_id)


def _seal_before_save(sender: type[TOTPDevice], instance: TOTPDevice, **kwargs: Any) -> None:
    if not is_sealed(instance.key):
        instance.key = seal_seed(binascii.unhexlify(instance.key.encode()), instance.user_id)


def install() -> None:
    """Make django-otp's TOTP devices seal their seed on save and open it on use."""
    setattr(TOTPDevice, "bin_key", property(_bin_key))  # noqa: B010 - replaces django-otp's property
    pre_save.connect(_seal_before_save, sender=TOTPDevice, dispatch_uid="careplus_totp_seal_seed")


def reseal_all() -> int:
    """Seal every seed again under the current master key; return how many were re-sealed."""
    ring = crypto.keyring()
    count = 0
    for device in TOTPDevice.objects.only("pk", "key", "user_id").iterator():
        fresh = seal_seed(open_seed(device.key, device.user_id, ring=ring), device.user_id, ring=ring)
        TOTPDevice.objects.filter(pk=device.pk, key=device.key).update(key=fresh)
        count += 1
    return count
