"""Key management: rotation of the master key that wraps the data keys."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.core import crypto
from careplus.core.models import DataKey


def rotate_data_keys(*, batch: int = 500) -> tuple[int, int]:
    """Re-wrap the live data keys not yet under the current master key; return (rotated, live)."""
    ring = crypto.keyring()
    live = DataKey.objects.filter(wrapped__isnull=False)
    total = live.count()
    rotated = 0
    while True:
        with transaction.atomic():
            keys = list(live.exclude(master_key_id=ring.current_id).select_for_update().order_by("pk")[:batch])
            if not keys:
                break
            for data_key in keys:
                material = crypto.unwrap_key(
                    bytes(data_key.wrapped or b""),
                    key_id=data_key.pk,
                    master_key_id=data_key.master_key_id,
                    ring=ring,
                )
                data_key.master_key_id, data_key.wrapped = crypto.wrap_key(material, key_id=data_key.pk, ring=ring)
                data_key.rotated_at = timezone.now()
            DataKey.objects.bulk_update(keys, ["master_key_id", "wrapped", "rotated_at"])
            rotated += len(keys)
    record_event(
        action=AuditAction.KEY_ROTATION,
        object_type="core.datakey",
        object_id=ring.current_id,
        actor=None,
    )
    return rotated, total
