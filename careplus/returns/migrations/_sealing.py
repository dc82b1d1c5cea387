"""Frozen helpers of the migrations that encrypt free-text columns kept in clear (issue 19, point 13).

Not a migration (the name starts with "_", which Django's loader skips). The value layout is
the one of `careplus.core.crypto.encrypt` when these migrations were written, copied here so
that a later change to the live code cannot change what they write:

    version 1 (1) | data key id (16) | nonce (12) | AES-256-GCM(value), with authenticated
    data = that header + "table:column:pk"

Each column is moved in four steps: a new encrypted column is added beside the clear one,
every non-empty clear value is encrypted into it under its owner's data key (an owner whose key
was destroyed, an erased file, gets the tombstone: nothing survives), the clear column is dropped
and the new one takes its name. Empty values become NULL (read as empty). Nothing is rebuilt on
SQLite (ADD, DROP and RENAME COLUMN), so the triggers of the tables stay in place.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from django.db import migrations

TOMBSTONE = b"\x00"
_NONCE = 12
_BATCH = 2000


def _keyring() -> tuple[str, dict[str, bytes]]:
    from careplus.core import crypto  # the configured master keys, however they are given

    ring = crypto.keyring()
    return ring.current_id, dict(ring.keys)


class _DataKeys:
    """Unwraps each owner's data key once."""

    def __init__(self, apps: Any) -> None:
        self.model = apps.get_model("core", "DataKey")
        self.cache: dict[uuid.UUID, bytes | None] = {}
        self.ring: dict[str, bytes] | None = None

    def material(self, key_id: uuid.UUID) -> bytes | None:
        if key_id not in self.cache:
            row = self.model.objects.filter(pk=key_id).values_list("master_key_id", "wrapped").first()
            if row is None or row[1] is None:
                self.cache[key_id] = None  # destroyed: the owner was erased
            else:
                if self.ring is None:
                    self.ring = _keyring()[1]
                master_id, wrapped = str(row[0]), bytes(row[1])
                aad = b"datakey:" + key_id.bytes + b":" + master_id.encode()
                self.cache[key_id] = AESGCM(self.ring[master_id]).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], aad)
        return self.cache[key_id]


def seal(value: str, *, key: bytes, key_id: uuid.UUID, table: str, column: str, pk: object) -> bytes:
    nonce = os.urandom(_NONCE)
    header = bytes([1]) + key_id.bytes + nonce
    aad = header + f"{table}:{column}:{pk}".encode()
    return header + AESGCM(key).encrypt(nonce, value.encode("utf-8"), aad)


def encrypt_column(
    apps: Any, *, app: str, model: str, clear: str, sealed: str, key_path: str
) -> None:
    """Encrypt the non-empty values of `clear` into `sealed`, bound to the final column name `clear`."""
    model_class = apps.get_model(app, model)
    table = model_class._meta.db_table
    keys = _DataKeys(apps)
    rows = model_class.objects.exclude(**{clear: ""}).order_by("pk").values_list("pk", clear, key_path)
    last: Any = None
    while True:
        page = list((rows.filter(pk__gt=last) if last is not None else rows)[:_BATCH])
        if not page:
            return
        for pk, value, key_id in page:
            material = keys.material(key_id)
            stored = (
                TOMBSTONE
                if material is None
                else seal(value, key=material, key_id=key_id, table=table, column=clear, pk=pk)
            )
            model_class.objects.filter(pk=pk).update(**{sealed: stored})
        last = page[-1][0]


def moves(app: str, model: str, name: str, key_path: str, field: Any) -> list[Any]:
    """The four operations that replace the clear column `name` by the encrypted `field`."""
    temporary = f"{name}_sealed"

    def forwards(apps: Any, schema_editor: Any) -> None:
        encrypt_column(apps, app=app, model=model, clear=name, sealed=temporary, key_path=key_path)
        if schema_editor.connection.vendor == "postgresql":
            # Fire the deferred checks of these updates now: PostgreSQL refuses to alter a table
            # with pending trigger events in the same transaction.
            schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    return [
        migrations.AddField(model_name=model.lower(), name=temporary, field=field),
        migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False),
        migrations.RemoveField(model_name=model.lower(), name=name),
        migrations.RenameField(model_name=model.lower(), old_name=temporary, new_name=name),
    ]
