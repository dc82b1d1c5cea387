"""Envelope encryption: AES-256-GCM values under per-owner data keys wrapped by master keys.

Layout of an encrypted value (bytes):
    version (1) | data key id (16) | nonce (12) | ciphertext + tag
The authenticated data binds the value to its table, column, primary key and data key, so a
ciphertext moved to another row or column fails to decrypt.
"""

from __future__ import annotations

import base64
import contextvars
import hashlib
import hmac
import os
import unicodedata
import uuid
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = 1
NONCE_BYTES = 12
KEY_BYTES = 32
_HEADER = 1 + 16 + NONCE_BYTES


class DecryptionError(Exception):
    """A value or a wrapped key failed authentication (tampered, moved or wrong key)."""


class KeyDestroyed(Exception):
    """The data key was destroyed (crypto-shredding): the value is gone for good."""


@dataclass(frozen=True)
class Keyring:
    """Master keys by id; the first is the one new data keys are wrapped with."""

    current_id: str
    keys: dict[str, bytes]

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError as missing:
            raise DecryptionError(f"Master key {key_id!r} is not configured.") from missing


def _decode_key(text: str) -> bytes:
    text = text.strip()
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured("Each master key must be 32 bytes, base64-encoded.")
    return raw


def parse_keyring(spec: str) -> Keyring:
    """Parse ``id:base64key[,id:base64key...]`` (current key first)."""
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for item in spec.replace("\n", ",").split(","):
        if not item.strip():
            continue
        key_id, sep, material = item.strip().partition(":")
        if not sep or not key_id:
            raise ImproperlyConfigured("Master keys are written as id:base64key.")
        keys[key_id] = _decode_key(material)
        order.append(key_id)
    if not order:
        raise ImproperlyConfigured("No master key is configured.")
    return Keyring(current_id=order[0], keys=keys)


@cache
def _keyring_for(spec: str) -> Keyring:
    return parse_keyring(spec)


def keyring() -> Keyring:
    """Return the master keys from settings (environment or key file), never the database."""
    spec: str = getattr(settings, "CAREPLUS_MASTER_KEYS", "") or ""
    path = getattr(settings, "CAREPLUS_MASTER_KEY_FILE", "") or ""
    if path:
        spec = _key_file(path, os.stat(path).st_mtime_ns)
    return _keyring_for(spec)


@cache
def _key_file(path: str, modified_ns: int) -> str:
    """The key file's text, read once per version of the file (not at every unwrap)."""
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap_key(data_key: bytes, *, key_id: uuid.UUID, ring: Keyring | None = None) -> tuple[str, bytes]:
    """Encrypt a data key under the current master key; return (master key id, wrapped)."""
    ring = ring or keyring()
    nonce = os.urandom(NONCE_BYTES)
    aad = b"datakey:" + key_id.bytes + b":" + ring.current_id.encode()
    wrapped = nonce + AESGCM(ring.key(ring.current_id)).encrypt(nonce, data_key, aad)
    return ring.current_id, wrapped


def unwrap_key(wrapped: bytes, *, key_id: uuid.UUID, master_key_id: str, ring: Keyring | None = None) -> bytes:
    """Decrypt a wrapped data key."""
    ring = ring or keyring()
    aad = b"datakey:" + key_id.bytes + b":" + master_key_id.encode()
    try:
        return AESGCM(ring.key(master_key_id)).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
    except InvalidTag as error:
        raise DecryptionError("A data key failed authentication.") from error


def value_aad(table: str, column: str, pk: object) -> bytes:
    return f"{table}:{column}:{pk}".encode()


def encrypt(plaintext: bytes, *, key: bytes, key_id: uuid.UUID, aad: bytes) -> bytes:
    """Encrypt bytes with a fresh random nonce."""
    nonce = os.urandom(NONCE_BYTES)
    header = bytes([VERSION]) + key_id.bytes + nonce
    return header + AESGCM(key).encrypt(nonce, plaintext, header + aad)


def ciphertext_key_id(blob: bytes) -> uuid.UUID:
    """Return the id of the data key a value was written with."""
    if len(blob) < _HEADER or blob[0] != VERSION:
        raise DecryptionError("Not an encrypted value.")
    return uuid.UUID(bytes=bytes(blob[1:17]))


def decrypt(blob: bytes, *, key: bytes, aad: bytes) -> bytes:
    """Decrypt and authenticate a value."""
    blob = bytes(blob)
    ciphertext_key_id(blob)
    header, body = blob[:_HEADER], blob[_HEADER:]
    try:
        return AESGCM(key).decrypt(header[17:], body, header + aad)
    except InvalidTag as error:
        raise DecryptionError("An encrypted value failed authentication.") from error


# --- Per-request cache of unwrapped data keys -----------------------------------------

_unwrapped: contextvars.ContextVar[dict[uuid.UUID, bytes] | None] = contextvars.ContextVar(
    "careplus_unwrapped_keys", default=None
)


def cached_key(key_id: uuid.UUID) -> bytes | None:
    keys = _unwrapped.get()
    return None if keys is None else keys.get(key_id)


def remember_key(key_id: uuid.UUID, key: bytes) -> None:
    keys = _unwrapped.get()
    if keys is None:
        keys = {}
        _unwrapped.set(keys)
    keys[key_id] = key


def forget_key(key_id: uuid.UUID) -> None:
    """Drop one unwrapped data key (after it was destroyed)."""
    keys = _unwrapped.get()
    if keys is not None:
        keys.pop(key_id, None)


def forget_keys() -> None:
    """Drop every unwrapped data key (end of a request or command)."""
    _unwrapped.set(None)


# --- Blind index -------------------------------------------------------------------------


# Letters by their Unicode category that names use as punctuation: apostrophes written as
# modifier letters (U+02BC in N-apostrophe-Diaye, U+02BB) and the Arabic tatweel, which only stretches a word.
_NOT_LETTERS = frozenset("\u02b9\u02bb\u02bc\u02bd\ua78c\u0640")
# Scripts whose letters lose every accent (é → e, Greek tonos): the same name is written with or without them.
_SCRIPTS_WITHOUT_MARKS = ("LATIN ", "GREEK ")
# Marks that are optional vocalisation, written in one copy of a name and not in another, never a letter:
# Arabic harakat (fathatan … sukun, U+064B to U+0652) and superscript alef (U+0670); Hebrew cantillation
# (U+0591 to U+05AF) and points (niqqud, dagesh, rafe, shin and sin dots, U+05B0 to U+05C7). The Arabic
# madda and hamza (U+0653 to U+0655) are kept: on waw and yeh they make letters of their own (ؤ, ئ).
_OPTIONAL_MARKS = frozenset(
    [chr(code) for code in range(0x064B, 0x0653)]
    + ["\u0670"]
    + [chr(code) for code in range(0x0591, 0x05BE)]
    + ["\u05bf", "\u05c1", "\u05c2", "\u05c4", "\u05c5", "\u05c7"]
)
# Alef with madda, hamza above or below (آ أ إ) and alef wasla (ٱ) are folded to the bare alef: typists
# commonly leave the hamza off (أحمد, احمد), so the same name would otherwise give two keys.
_ALEF = "\u0627"
_ALEF_MARKS = frozenset("\u0653\u0654\u0655")
_FOLDED = {"\u0671": _ALEF}


def _mark_kept(mark: str, base: str) -> bool:
    """Whether a combining mark is part of the name, given the letter or digit it follows."""
    if not base or mark in _OPTIONAL_MARKS:
        return False
    if base == _ALEF:
        return mark not in _ALEF_MARKS
    return not unicodedata.name(base, "").startswith(_SCRIPTS_WITHOUT_MARKS)


def normalise_for_index(value: str) -> str:
    """Fold case, optional accents and vowel points, punctuation and spacing so equal names index equally.

    Latin and Greek letters lose their accents (é → e, Μαρία → μαρια). Arabic harakat and Hebrew
    niqqud are optional and dropped (مُحَمَّد → محمد), and the hamza or madda on an alef too
    (أحمد → احمد); every letter is kept. The other marks are part of the name and kept:
    Devanagari vowel signs (सीता ≠ सिता), viramas and nuktas, the hamza of ؤ and ئ, the breve of й…
    Anything that is neither a letter, a mark nor a digit separates words.
    """
    kept: list[str] = []
    base = ""  # the letter or digit the next marks belong to; empty after a separator
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


def match_key(value: str) -> str:
    """The normalised value without word breaks: N'Diaye, N Diaye and Ndiaye give one key."""
    return "".join(normalise_for_index(value).split())


def blind_index(value: str, *, purpose: str) -> str:
    """Return a keyed HMAC-SHA256 of a normalised value, for exact-match lookups."""
    key: str = settings.CAREPLUS_INDEX_KEY
    message = f"{purpose}\x1f{normalise_for_index(value)}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()
