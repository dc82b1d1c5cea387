"""The hash chain: how an event is serialised and sealed with an HMAC kept outside the DB."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings

GENESIS = "0" * 64
SEP = "\x1f"
_CONTROL = dict.fromkeys(range(32))

# Column order used by the MAC and by verification.
COLUMNS = (
    "seq",
    "ts",
    "actor_id",
    "actor_label",
    "roles",
    "action",
    "object_type",
    "object_id",
    "fields",
    "ip",
    "request_id",
    "outcome",
    "prev_hash",
    "hash",
)


def clean(value: object) -> str:
    """Return text without control characters, so the separator cannot be forged."""
    return str(value).translate(_CONTROL)


def audit_key() -> bytes:
    key: str = settings.CAREPLUS_AUDIT_KEY
    return key.encode()


def seal(values: Sequence[object], key: bytes) -> str:
    """Return the HMAC-SHA256 (hex) of an event's values, previous hash included."""
    message = SEP.join(str(v) for v in values).encode()
    return hmac.digest(key, message, "sha256").hex()


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    first_broken: int | None = None
    reason: str = ""


class Sealer:
    """HMAC-SHA256 with the key's inner and outer pads hashed once (RFC 2104), for verifying many events."""

    def __init__(self, key: bytes) -> None:
        block = hashlib.sha256().block_size
        padded = (hashlib.sha256(key).digest() if len(key) > block else key).ljust(block, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def hexdigest(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def verify_messages(rows: Iterable[Sequence[object]], *, key: bytes, head: tuple[int, str] | None) -> Verdict:
    """Check sequence, links and MACs of (seq, prev_hash, hash, message) rows sorted by seq.

    `message` is the event's first 13 COLUMNS joined by SEP, as `seal` joins them.
    """
    expected_seq = 1
    prev: object = GENESIS
    mac = Sealer(key).hexdigest
    for seq, prev_hash, digest, message in rows:
        if seq != expected_seq and int(str(seq)) != expected_seq:
            found = int(str(seq))
            missing = expected_seq if found > expected_seq else found
            return Verdict(False, expected_seq - 1, missing, "sequence gap or reorder")
        if prev_hash != prev:
            return Verdict(False, expected_seq - 1, expected_seq, "link to the previous event broken")
        if mac(str(message).encode()) != digest:
            return Verdict(False, expected_seq - 1, expected_seq, "event content does not match its seal")
        prev = digest
        expected_seq += 1
    checked = expected_seq - 1
    if head is not None and (head[0] != checked or (checked and head[1] != prev)):
        return Verdict(False, checked, checked + 1, "events missing at the end of the chain")
    return Verdict(True, checked)
