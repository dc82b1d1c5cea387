"""Encrypt the free text kept in clear beside encrypted neighbours (issue 19, point 13).

Departure airport, travel-leg places, plan-item provider and missed-visit reason: encrypted under
the file's data key, existing rows included (see `_sealing.py`). Backwards, the columns come back
empty: the clear text is not written out again.
"""

from __future__ import annotations

import careplus.core.fields
from django.db import migrations

from careplus.returns.migrations._sealing import moves


def _text(label: str, max_chars: int) -> careplus.core.fields.EncryptedTextField:
    return careplus.core.fields.EncryptedTextField(
        blank=True, key_field="case.data_key", max_chars=max_chars, null=True, verbose_name=label
    )


class Migration(migrations.Migration):
    dependencies = [
        ("returns", "0009_planitem_status_order"),
        ("core", "0001_data_keys"),
    ]

    operations = [
        *moves("returns", "Departure", "airport", "case__data_key", _text("departure airport", 100)),
        *moves("returns", "TravelLeg", "from_place", "case__data_key", _text("from", 100)),
        *moves("returns", "TravelLeg", "to_place", "case__data_key", _text("to", 100)),
        *moves("returns", "PlanItem", "provider", "case__data_key", _text("provider", 200)),
        *moves("returns", "Visit", "missed_reason", "case__data_key", _text("reason the visit was missed", 300)),
    ]
