"""Access to versioned instruments (data, not code)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any, TypeAlias

from django.db.models import F
from django.utils import timezone

from careplus.core.models import Instrument

# An instrument's data, as shipped in its JSON file and stored on each version: nested objects and lists
# read by key where they are used. Not a recursive JSON type: `check_data`
# (careplus.instruments.services) checks the shape of every edit before it is saved, and the tests check the
# shipped files; an isinstance check at every read would repeat them.
InstrumentData: TypeAlias = dict[str, Any]


class InstrumentMissing(LookupError):
    """No active version of an instrument is loaded."""


def current(kind: str, *, on: datetime.date | None = None) -> Instrument:
    """Return the approved version of an instrument in force on a day (today by default), never a draft.

    The version in force is the approved one with the latest effective date on or before the day.
    """
    day = on or timezone.localdate()
    instrument = (
        Instrument.objects.filter(kind=kind, active=True, status=Instrument.Status.APPROVED, effective_from__lte=day)
        # Same effective date: the latest approval wins (the shipped versions have none: last, on every database).
        .order_by("-effective_from", F("decided_at").desc(nulls_last=True), "-created_at", "-id")
        .first()
    )
    if instrument is None:
        raise InstrumentMissing(kind)
    return instrument


def load_file(path: Path) -> InstrumentData:
    """Read an instrument file shipped with the code (loaded by a data migration)."""
    data: InstrumentData = json.loads(path.read_text(encoding="utf-8"))
    return data
