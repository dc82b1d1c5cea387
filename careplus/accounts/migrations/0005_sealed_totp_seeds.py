"""Seal every authenticator (TOTP) seed under the master keys (issue 19, point 14).

Each clear hex seed of `otp_totp_totpdevice.key` becomes `s1:` + base64url(nonce | AES-256-GCM),
as `accounts.totp.seal_seed` writes it; the format is copied here so that a later change to the
live code cannot change what this migration wrote. People keep their authenticator app.
Backwards, the seeds are opened and written back in clear.
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

from django.db import migrations

_PREFIX = "s1:"
_INFO = b"careplus.totp-seed.v1"
_NONCE = 12
_MAX_SEED_BYTES = 24


def _key(master: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(master)


def _aad(user_id: object) -> bytes:
    return b"otp_totp_totpdevice:key:" + str(user_id).encode()


def _ring() -> tuple[str, dict[str, bytes]]:
    from careplus.core import crypto  # the configured master keys, however they are given

    ring = crypto.keyring()
    return ring.current_id, dict(ring.keys)


def seal_seeds(apps: Any, schema_editor: Any) -> None:
    device_model = apps.get_model("otp_totp", "TOTPDevice")
    rows = list(device_model.objects.exclude(key__startswith=_PREFIX).values_list("pk", "key", "user_id"))
    if not rows:
        return
    current, keys = _ring()
    aead = AESGCM(_key(keys[current]))
    for pk, key, user_id in rows:
        seed = binascii.unhexlify(key.encode())
        if len(seed) > _MAX_SEED_BYTES:  # sealed, it would not fit the 80-character column
            raise RuntimeError(
                f"Authenticator device {pk} has a {len(seed)}-byte seed; CARE+ seals seeds of at most "
                f"{_MAX_SEED_BYTES} bytes. Reset that person's second factor, then migrate again."
            )
        nonce = os.urandom(_NONCE)
        sealed = aead.encrypt(nonce, seed, _aad(user_id))
        stored = _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        device_model.objects.filter(pk=pk).update(key=stored)


def open_seeds(apps: Any, schema_editor: Any) -> None:
    device_model = apps.get_model("otp_totp", "TOTPDevice")
    rows = list(device_model.objects.filter(key__startswith=_PREFIX).values_list("pk", "key", "user_id"))
    if not rows:
        return
    current, keys = _ring()
    for pk, stored, user_id in rows:
        raw = base64.urlsafe_b64decode(stored[len(_PREFIX) :])
        for key_id in [current, *keys]:
            try:
                seed = AESGCM(_key(keys[key_id])).decrypt(raw[:_NONCE], raw[_NONCE:], _aad(user_id))
            except InvalidTag:
                continue
            device_model.objects.filter(pk=pk).update(key=binascii.hexlify(seed).decode("ascii"))
            break


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_hashed_session_keys"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(seal_seeds, open_seeds)]
