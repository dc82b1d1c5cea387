"""The hash chain: how an event is serialised and sealed with an HMAC kept outside the DB."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from django.conf import settings

GENESIS = "0" * 64
SEP = "\x1f"
# Domain labels: a head's or a checkpoint's MAC can never be taken for an event's (whose message
# starts with its sequence number) nor for each other.
HEAD_DOMAIN = "careplus-audit-head"
CHECKPOINT_KIND = "careplus-audit-checkpoint"
SEGMENT_DOMAIN = "careplus-audit-segment"
_CONTROL = dict.fromkeys(range(32))
# The chain's head is signed and stored as a checkpoint (AuditCheckpoint) at every multiple of
# this sequence number, in the transaction that appends the event: the routine check verifies
# from the last one, and the full check verifies the segments between them side by side.
CHECKPOINT_EVERY = 10_000

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


def head_seal(seq: int, digest: str, ts: int, key: bytes) -> str:
    """Return the MAC of the chain head (last sequence number, last event's hash, time of the advance).

    The sequence number is also the number of events: verification counts them from 1 without gap.
    """
    return seal([HEAD_DOMAIN, int(seq), digest, int(ts)], key)


def head_is_sealed(seq: int, digest: str, ts: int, mac: str, key: bytes) -> bool:
    return hmac.compare_digest(head_seal(seq, digest, ts, key), str(mac))


_CHECKPOINT_RE = re.compile(r"\{[^{}]*\"kind\": \"" + CHECKPOINT_KIND + r"\"[^{}]*\}")


class CheckpointError(ValueError):
    """A checkpoint could not be read."""


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at one moment, signed with the audit key, kept outside the database.

    A later database whose chain does not reach `seq` with this `hash` was cut, wiped or rewritten.
    """

    seq: int
    hash: str
    ts: int
    mac: str

    @staticmethod
    def _mac(seq: int, digest: str, ts: int, key: bytes) -> str:
        return seal([CHECKPOINT_KIND, int(seq), digest, int(ts)], key)

    @classmethod
    def make(cls, seq: int, digest: str, key: bytes, *, ts: int | None = None) -> Checkpoint:
        at = time.time_ns() // 1000 if ts is None else ts
        return cls(seq=int(seq), hash=digest, ts=at, mac=cls._mac(seq, digest, at, key))

    def is_signed(self, key: bytes) -> bool:
        return hmac.compare_digest(self._mac(self.seq, self.hash, self.ts, key), self.mac)

    def as_dict(self) -> dict[str, object]:
        return {"kind": CHECKPOINT_KIND, **asdict(self)}

    def to_json(self) -> str:
        """One line (`"kind"` first) that `parse` finds again in a file, a backup header or a log."""
        return json.dumps(self.as_dict())

    @classmethod
    def from_dict(cls, data: object) -> Checkpoint:
        if not isinstance(data, dict) or data.get("kind") != CHECKPOINT_KIND:
            raise CheckpointError("not an audit checkpoint")
        try:
            return cls(seq=int(data["seq"]), hash=str(data["hash"]), ts=int(data["ts"]), mac=str(data["mac"]))
        except (KeyError, TypeError, ValueError) as error:
            raise CheckpointError("incomplete audit checkpoint") from error

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Return the furthest checkpoint written in `text` (a checkpoint file or an application log).

        The furthest, not the last written: an older genuine line appended after a later one must
        not hide a cut between them. Every checkpoint is then verified with its signature.
        """
        matches = _CHECKPOINT_RE.findall(text)
        if not matches:
            raise CheckpointError("no audit checkpoint found")
        try:
            found = [cls.from_dict(json.loads(match)) for match in matches]
        except json.JSONDecodeError as error:
            raise CheckpointError("unreadable audit checkpoint") from error
        return max(found, key=lambda checkpoint: (checkpoint.seq, checkpoint.ts))


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    first_broken: int | None = None
    reason: str = ""
    # The last event trusted without being re-verified (a stored checkpoint's): 0 for a full check.
    start: int = 0

    @property
    def verified(self) -> int:
        """How many events this check verified."""
        return self.checked - self.start


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


def segment_digest(rows: Sequence[str]) -> str | None:
    """The SHA-256 (hex) of a segment's events: their rows, each all its COLUMNS joined by SEP,
    joined by newlines in sequence order. None if a row holds a newline itself: the rows could
    then not be told apart, and such a segment is never sealed.

    The database computes the same digest from the rows it stores (`services._stored_digest`),
    with their number: the same digest over as many rows, none holding a newline when sealed,
    means the same rows.
    """
    return joined_digest("\n".join(rows).encode(), len(rows))


def joined_digest(text: bytes, rows: int) -> str | None:
    """`segment_digest` of `rows` rows already joined by newlines into `text` (UTF-8)."""
    if rows < 1 or text.count(b"\n") != rows - 1:
        return None
    return hashlib.sha256(text).hexdigest()


def segment_seal(after: int, upto: int, digest: str, key: bytes) -> str:
    """The MAC of the events after the checkpoint `after` up to the checkpoint `upto`, given their
    `segment_digest`: made once they were verified one by one, so that a later full check verifies
    them together, with one MAC."""
    return seal([SEGMENT_DOMAIN, int(after), int(upto), digest], key)


def verify_messages(
    rows: Iterable[Sequence[object]],
    *,
    key: bytes,
    head: tuple[int, str] | None,
    after: tuple[int, str] = (0, GENESIS),
) -> Verdict:
    """Check sequence, links and MACs of (seq, hash, message) rows sorted by seq.

    `message` is the event's first 13 COLUMNS joined by SEP, as `seal` joins them; its last field
    is the event's `prev_hash`, so the link holds when the message ends with the hash of the event
    before (64 hex digits, like every `prev_hash` sealed). A message that merely ends so, its last
    field longer, is not the message sealed: its seal fails. The rows start right `after` an event
    already trusted (its sequence number and hash): the genesis by default, or a signed
    checkpoint. `checked` counts from the start of the chain.
    """
    expected_seq = after[0] + 1
    prev: str = after[1]
    mac = Sealer(key).hexdigest
    for seq, digest, message in rows:
        if seq != expected_seq and int(str(seq)) != expected_seq:
            found = int(str(seq))
            missing = expected_seq if found > expected_seq else found
            return Verdict(False, expected_seq - 1, missing, "sequence gap or reorder")
        text = str(message)
        if not text.endswith(prev):
            return Verdict(False, expected_seq - 1, expected_seq, "link to the previous event broken")
        if mac(text.encode()) != digest:
            return Verdict(False, expected_seq - 1, expected_seq, "event content does not match its seal")
        prev = str(digest)
        expected_seq += 1
    checked = expected_seq - 1
    return Verdict(True, checked) if head is None else _against_head(head, checked, prev)


def _against_head(head: tuple[int, str], checked: int, last_hash: str) -> Verdict:
    if head[0] > checked:
        return Verdict(False, checked, checked + 1, "events missing at the end of the chain")
    if head[0] < checked:
        return Verdict(False, checked, head[0] + 1, "events beyond the chain head")
    if checked and head[1] != last_hash:
        return Verdict(False, checked, checked, "the last event does not match the chain head")
    return Verdict(True, checked)
