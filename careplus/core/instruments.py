"""Access to versioned instruments (data, not code)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from careplus.core.models import Instrument


class InstrumentMissing(LookupError):
    """No active version of an instrument is loaded."""


def current(kind: str) -> Instrument:
    """Return the newest active version of an instrument."""
    instrument = Instrument.objects.filter(kind=kind, active=True).order_by("-created_at", "-id").first()
    if instrument is None:
        raise InstrumentMissing(kind)
    return instrument


def load_file(path: Path) -> dict[str, Any]:
    """Read an instrument file shipped with the code (loaded by a data migration)."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
