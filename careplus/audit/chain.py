"""The hash chain: how an event is serialised and sealed with an HMAC kept outside the DB."""

from __future__ import annotations

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


def verify_rows(rows: Iterable[Sequence[object]], *, key: bytes, head: tuple[int, str] | None) -> Verdict:
    """Check sequence, links and MACs of rows in COLUMNS order, sorted by seq."""
    expected_seq = 1
    prev = GENESIS
    digest = hmac.digest
    for row in rows:
        seq = int(str(row[0]))
        if seq != expected_seq:
            missing = expected_seq if seq > expected_seq else seq
            return Verdict(False, expected_seq - 1, missing, "sequence gap or reorder")
        if row[12] != prev:
            return Verdict(False, expected_seq - 1, seq, "link to the previous event broken")
        message = SEP.join([str(v) for v in row[:13]]).encode()
        if digest(key, message, "sha256").hex() != row[13]:
            return Verdict(False, expected_seq - 1, seq, "event content does not match its seal")
        prev = str(row[13])
        expected_seq += 1
    checked = expected_seq - 1
    if head is not None and (head[0] != checked or (checked and head[1] != prev)):
        return Verdict(False, checked, checked + 1, "events missing at the end of the chain")
    return Verdict(True, checked)
