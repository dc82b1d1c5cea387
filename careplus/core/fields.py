"""Model fields whose values are encrypted at rest under the owning record's data key.

The database column holds ciphertext; the model attribute holds the plain value. The key is
found through ``key_field`` (a dotted path from the instance to a DataKey, e.g. "data_key" or
"case.data_key"). Once that key is destroyed the attribute reads as ERASED.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.lookups import Lookup
from django.utils.translation import gettext_lazy as _

from careplus.core import crypto

if TYPE_CHECKING:
    from careplus.core.models import DataKey


class _Erased:
    """What an encrypted attribute reads as after crypto-shredding."""

    _instance: _Erased | None = None

    def __new__(cls) -> _Erased:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __str__(self) -> str:
        return str(_("[erased]"))

    def __repr__(self) -> str:
        return "ERASED"

    def __bool__(self) -> bool:
        return False


ERASED = _Erased()


class Sealed(bytes):
    """Ciphertext read from the database, not yet decrypted."""


# What an erased value is overwritten with: no ciphertext survives crypto-shredding.
TOMBSTONE = b"\x00"


class _Opened:
    """A decrypted value together with the ciphertext it came from (saved as is)."""

    __slots__ = ("sealed", "value")

    def __init__(self, sealed: Sealed, value: object) -> None:
        self.sealed = sealed
        self.value = value


class _Plain:
    """A value set by the application, to encrypt at the next save."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


def resolve_data_key(instance: models.Model, path: str) -> DataKey:
    """Follow a dotted path from the instance to its DataKey."""
    obj: object = instance
    for part in path.split("."):
        obj = getattr(obj, part)
        if obj is None:
            raise crypto.DecryptionError(f"{type(instance).__name__} has no data key at {path}.")
    return cast("DataKey", obj)  # the path names a DataKey relation (`key_field`)


class _EncryptedDescriptor:
    def __init__(self, field: EncryptedField) -> None:
        self.field = field

    def __get__(self, instance: models.Model | None, owner: type | None = None) -> object:
        if instance is None:
            return self
        name = self.field.attname
        if name not in instance.__dict__:
            instance.refresh_from_db(fields=[name])
        state = instance.__dict__[name]
        if state is None:
            return None
        if isinstance(state, _Plain | _Opened):
            return state.value
        if state == TOMBSTONE:
            return ERASED
        try:
            value = self.field.open(instance, state)
        except crypto.KeyDestroyed:
            return ERASED
        instance.__dict__[name] = _Opened(state, value)
        return value

    def __set__(self, instance: models.Model, value: object) -> None:
        name = self.field.attname
        if value is None or isinstance(value, Sealed):
            instance.__dict__[name] = value
        elif value is ERASED:
            instance.__dict__[name] = Sealed(TOMBSTONE)
        else:
            instance.__dict__[name] = _Plain(self.field.to_python_value(value))


class EncryptedField(models.BinaryField):  # type: ignore[type-arg]  # generic only in the stubs
    """Base of the encrypted field types; subclasses say how a value becomes bytes."""

    def __init__(self, *args: Any, key_field: str = "data_key", **kwargs: Any) -> None:
        self.key_field = key_field
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:  # Django's signature
        name, path, args, kwargs = super().deconstruct()
        kwargs["key_field"] = self.key_field
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        setattr(cls, self.attname, _EncryptedDescriptor(self))

    # Conversion between plain values and bytes, per type.
    def to_python_value(self, value: object) -> object:
        return value

    def to_bytes(self, value: object) -> bytes:
        raise NotImplementedError

    def from_bytes(self, raw: bytes) -> object:
        raise NotImplementedError

    # Database round trip.
    def from_db_value(self, value: object, expression: object, connection: BaseDatabaseWrapper) -> Sealed | None:
        # A binary column reads as bytes or memoryview, depending on the database driver.
        return None if value is None else Sealed(bytes(cast("bytes | memoryview", value)))

    def aad(self, instance: models.Model) -> bytes:
        return crypto.value_aad(instance._meta.db_table, self.column, instance.pk)

    def open(self, instance: models.Model, sealed: bytes) -> object:
        return self._open(sealed, resolve_data_key(instance, self.key_field), self.aad(instance))

    def open_column(self, pk: object, sealed: bytes | None, data_key: DataKey) -> object:
        """Open a value read as a bare column (`values()`), as the attribute would read it.

        For lists that read a few columns of many rows without building their model instances:
        `pk` is the row's primary key (the value is bound to it), `data_key` the DataKey that
        `key_field` leads to. None stays None; an erased value or a destroyed key reads as ERASED.
        """
        if sealed is None:
            return None
        if sealed == TOMBSTONE:
            return ERASED
        try:
            return self._open(sealed, data_key, crypto.value_aad(self.model._meta.db_table, self.column, pk))
        except crypto.KeyDestroyed:
            return ERASED

    def _open(self, sealed: bytes, data_key: DataKey, aad: bytes) -> object:
        if crypto.ciphertext_key_id(sealed) != data_key.pk:
            raise crypto.DecryptionError("This value was written under another data key.")
        return self.from_bytes(crypto.decrypt(sealed, key=data_key.material(), aad=aad))

    def seal(self, instance: models.Model, value: object) -> bytes:
        data_key = resolve_data_key(instance, self.key_field)
        return crypto.encrypt(
            self.to_bytes(value),
            key=data_key.material(),
            key_id=data_key.pk,
            aad=self.aad(instance),
        )

    def pre_save(self, model_instance: models.Model, add: bool) -> bytes | None:
        state = model_instance.__dict__.get(self.attname)
        if state is None:
            return None
        if isinstance(state, _Opened):
            return bytes(state.sealed)
        if isinstance(state, Sealed):
            return bytes(state)
        if model_instance.pk is None:
            # The value is bound to its row's primary key: one given by the database on insert
            # would not be known yet, and the value could never be opened again.
            raise ValueError(f"{type(model_instance).__name__}.{self.name} is encrypted before its row has an id.")
        sealed = Sealed(self.seal(model_instance, state.value))
        model_instance.__dict__[self.attname] = _Opened(sealed, state.value)
        return bytes(sealed)

    def reseal(self, instance: models.Model) -> None:
        """Encrypt the current value again (after the owner's data key changed)."""
        value = getattr(instance, self.attname)
        instance.__dict__[self.attname] = None if value is None else _Plain(value)

    def value_to_string(self, obj: models.Model) -> str:
        raise TypeError("Encrypted fields are not serialised in clear.")

    def get_lookup(self, lookup_name: str) -> type[Lookup[Any]] | None:  # Django's signature
        if lookup_name != "isnull":
            raise TypeError("Encrypted fields cannot be searched; use a blind index.")
        return super().get_lookup(lookup_name)


class EncryptedTextField(EncryptedField):
    description = _("Encrypted text")

    def __init__(self, *args: Any, max_chars: int | None = None, **kwargs: Any) -> None:
        self.max_chars = max_chars
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:  # Django's signature
        name, path, args, kwargs = super().deconstruct()
        if self.max_chars is not None:
            kwargs["max_chars"] = self.max_chars
        return name, path, args, kwargs

    def to_python_value(self, value: object) -> str:
        return str(value)

    def to_bytes(self, value: object) -> bytes:
        return str(value).encode("utf-8")

    def from_bytes(self, raw: bytes) -> str:
        return raw.decode("utf-8")


class EncryptedDateField(EncryptedField):
    description = _("Encrypted date")

    def to_python_value(self, value: object) -> datetime.date:
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        return datetime.date.fromisoformat(str(value))

    def to_bytes(self, value: object) -> bytes:
        return self.to_python_value(value).isoformat().encode()

    def from_bytes(self, raw: bytes) -> datetime.date:
        return datetime.date.fromisoformat(raw.decode())


class EncryptedJSONField(EncryptedField):
    description = _("Encrypted JSON")

    def to_bytes(self, value: object) -> bytes:
        return json.dumps(value, sort_keys=True, ensure_ascii=False).encode("utf-8")

    def from_bytes(self, raw: bytes) -> object:  # a JSON value
        return json.loads(raw.decode("utf-8"))


class EncryptedBytesField(EncryptedField):
    description = _("Encrypted file contents")

    def to_python_value(self, value: object) -> bytes:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TypeError(f"{self.name} holds bytes, not {type(value).__name__}.")
        return bytes(value)

    def to_bytes(self, value: object) -> bytes:
        return self.to_python_value(value)

    def from_bytes(self, raw: bytes) -> bytes:
        return bytes(raw)


def encrypted_fields(model: type[models.Model]) -> list[EncryptedField]:
    """Return the encrypted fields of a model."""
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]


def tombstones(model: type[models.Model]) -> dict[str, bytes]:
    """Return the update that overwrites every encrypted column of a model with a tombstone."""
    return {f.attname: TOMBSTONE for f in encrypted_fields(model)}
