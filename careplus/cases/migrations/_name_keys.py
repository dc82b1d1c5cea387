"""Frozen helpers of the migrations that recompute the name indexes (issue 20, point 5).

Not a migration (the name starts with "_", which Django's loader skips). The person and name
indexes of files and referrals are keyed hashes of a normalised name; the normalisation changed
(spaces, hyphens and apostrophes no longer count; the marks of non-Latin scripts are kept, but
for the optional Arabic harakat, Hebrew niqqud and Greek accents), so every index is computed
again from the encrypted names. Backwards, the indexes are computed again the way the code before
the change did, so that it finds duplicates again.

Both normalisations, the index and the value layout are copied here as they were when this was
written, so that a later change to the live code cannot change what these migrations write. Only
the master keys are read from the live code (`_master_keys`), because they are configuration.

An erased row (no index, tombstoned names) or one whose data key was destroyed is left as it is.
A row whose data key or names fail authentication (tampered or damaged) is left as it is too, and
counted in one warning line; a master key missing from the configuration stops the migration.
"""

from __future__ import annotations

import hashlib
import hmac
import sys
import unicodedata
import uuid
from collections.abc import Callable
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

TOMBSTONE = b"\x00"
_NONCE = 12
_HEADER = 1 + 16 + _NONCE
_BATCH = 1000


# --- The normalisation from this migration on ---------------------------------------------------

_NOT_LETTERS = frozenset("\u02b9\u02bb\u02bc\u02bd\ua78c\u0640")
_SCRIPTS_WITHOUT_MARKS = ("LATIN ", "GREEK ")
_OPTIONAL_MARKS = frozenset(
    [chr(code) for code in range(0x064B, 0x0653)]
    + ["\u0670"]
    + [chr(code) for code in range(0x0591, 0x05BE)]
    + ["\u05bf", "\u05c1", "\u05c2", "\u05c4", "\u05c5", "\u05c7"]
)
_ALEF = "\u0627"
_ALEF_MARKS = frozenset("\u0653\u0654\u0655")
_FOLDED = {"\u0671": _ALEF}


def _mark_kept(mark: str, base: str) -> bool:
    if not base or mark in _OPTIONAL_MARKS:
        return False
    if base == _ALEF:
        return mark not in _ALEF_MARKS
    return not unicodedata.name(base, "").startswith(_SCRIPTS_WITHOUT_MARKS)


def _normalise(value: str) -> str:
    kept: list[str] = []
    base = ""
    for char in unicodedata.normalize("NFKD", value.casefold()):
        category = unicodedata.category(char)
        if category.startswith("M"):
            if _mark_kept(char, base):
                kept.append(char)
            continue
        letter = _FOLDED.get(char, char)
        base = letter if category[0] in "LN" and letter not in _NOT_LETTERS else ""
        kept.append(base or " ")
    return " ".join(unicodedata.normalize("NFC", "".join(kept)).split())


def _index(value: str, purpose: str) -> str:
    key: str = settings.CAREPLUS_INDEX_KEY
    message = f"{purpose}\x1f{_normalise(value)}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def person_index(family_name: str, given_names: str, birth: str) -> str:
    name = "".join(_normalise(f"{family_name} {given_names}").split())
    return _index(f"{name} {birth}", "person")


def name_index(family_name: str, given_names: str) -> str:
    return _index("".join(_normalise(f"{family_name} {given_names}").split()), "name")


# --- The normalisation before this migration (what the previous code computes) -----------------


def _normalise_before(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    letters = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    cleaned = "".join(ch if ch.isalnum() else " " for ch in letters)
    return " ".join(cleaned.split())


def _index_before(value: str, purpose: str) -> str:
    key: str = settings.CAREPLUS_INDEX_KEY
    message = f"{purpose}\x1f{_normalise_before(value)}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def person_index_before(family_name: str, given_names: str, birth: str) -> str:
    return _index_before(f"{family_name} {given_names} {birth}", "person")


def name_index_before(family_name: str, given_names: str) -> str:
    return _index_before(f"{family_name} {given_names}", "name")


# --- Reading the names -------------------------------------------------------------------------


def _master_keys() -> dict[str, bytes]:
    """The configured master keys by id, however they are given (environment or key file)."""
    from careplus.core import crypto

    return dict(crypto.keyring().keys)


class _Damaged(Exception):
    """A data key or a value failed authentication: the row is left as it is."""


class _DataKeys:
    """Unwraps each owner's data key once (None when it was destroyed)."""

    def __init__(self, apps: Any) -> None:
        self.model = apps.get_model("core", "DataKey")
        self.cache: dict[uuid.UUID, bytes | _Damaged | None] = {}
        self.ring: dict[str, bytes] | None = None

    def _master_key(self, master_id: str) -> bytes:
        if self.ring is None:
            self.ring = _master_keys()
        if master_id not in self.ring:
            raise ImproperlyConfigured(
                f"Master key {master_id!r} is not configured, but data keys are wrapped with it: the name "
                "indexes cannot be recomputed. Run this migration with every master key configured "
                "(CAREPLUS_MASTER_KEYS or CAREPLUS_MASTER_KEY_FILE), the former ones included."
            )
        return self.ring[master_id]

    def _unwrap(self, key_id: uuid.UUID) -> bytes | _Damaged | None:
        row = self.model.objects.filter(pk=key_id).values_list("master_key_id", "wrapped").first()
        if row is None or row[1] is None:
            return None
        master_id, wrapped = str(row[0]), bytes(row[1])
        aad = b"datakey:" + key_id.bytes + b":" + master_id.encode()
        try:
            return AESGCM(self._master_key(master_id)).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], aad)
        except InvalidTag:
            return _Damaged()

    def material(self, key_id: uuid.UUID) -> bytes | None:
        """The data key; None when destroyed; raises _Damaged when it fails authentication."""
        if key_id not in self.cache:
            self.cache[key_id] = self._unwrap(key_id)
        found = self.cache[key_id]
        if isinstance(found, _Damaged):
            raise found
        return found


def _open(sealed: Any, *, key: bytes, table: str, column: str, pk: object) -> str | None:
    if sealed is None:
        return ""
    blob = bytes(sealed)
    if blob == TOMBSTONE:
        return None
    header, body = blob[:_HEADER], blob[_HEADER:]
    aad = header + f"{table}:{column}:{pk}".encode()
    try:
        return AESGCM(key).decrypt(header[17:], body, aad).decode("utf-8")
    except InvalidTag as error:
        raise _Damaged from error


Indexes = Callable[[str, str, str], tuple[str, str]]


def _recompute(apps: Any, app: str, model: str, indexes: Indexes) -> int:
    """Write `indexes(family, given, birth)` as (person_index, name_index) of every row with its names.

    Return the number of rows left unchanged because they failed authentication.
    """
    model_class = apps.get_model(app, model)
    table = model_class._meta.db_table
    keys = _DataKeys(apps)
    rows = (
        model_class.objects.exclude(person_index="")
        .order_by("pk")
        .values_list("pk", "data_key_id", "family_name", "given_names", "date_of_birth")
    )
    damaged = 0
    last: Any = None
    while True:
        page = list((rows.filter(pk__gt=last) if last is not None else rows)[:_BATCH])
        if not page:
            break
        for pk, key_id, family_sealed, given_sealed, birth_sealed in page:
            try:
                material = keys.material(key_id)
                if material is None:
                    continue
                opened = [
                    _open(sealed, key=material, table=table, column=column, pk=pk)
                    for sealed, column in (
                        (family_sealed, "family_name"),
                        (given_sealed, "given_names"),
                        (birth_sealed, "date_of_birth"),
                    )
                ]
            except _Damaged:
                damaged += 1
                continue
            if any(value is None for value in opened):
                continue
            family, given, birth = (str(value) for value in opened)
            person, name = indexes(family, given, birth)
            model_class.objects.filter(pk=pk).update(person_index=person, name_index=name)
        last = page[-1][0]
    if damaged:
        # Counts only: no reference, key or name, so the line can go to any log.
        print(
            f"Warning: {damaged} {app}.{model} row(s) could not be decrypted (damaged or tampered): "
            "their name indexes were left unchanged.",
            file=sys.stderr,
        )
    return damaged


def reindex(apps: Any, app: str, model: str) -> int:
    """Recompute person_index and name_index of every row that still has its names."""
    return _recompute(apps, app, model, lambda f, g, b: (person_index(f, g, b), name_index(f, g)))


def reindex_before(apps: Any, app: str, model: str) -> int:
    """Recompute the indexes as the code before this migration computes them (migrating backwards)."""
    return _recompute(apps, app, model, lambda f, g, b: (person_index_before(f, g, b), name_index_before(f, g)))
