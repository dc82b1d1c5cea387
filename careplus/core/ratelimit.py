"""Counting requests against a limit that every worker shares, without a race.

Each request takes the next free numbered slot of its key in the current fixed window with the
cache's `add`, which only one caller wins (an INSERT on a unique key in the database cache that
production uses), so parallel requests in several workers can never all read the same count and
pass together. Keys hold no personal data: callers pass a keyed hash of an address.
"""

from __future__ import annotations

import time

from django.core.cache import cache


def take_slot(key: str, *, limit: int, window: int, now: float | None = None) -> bool:
    """Count one request under `key`; False (nothing counted) once `limit` were counted in this window."""
    at = time.time() if now is None else now
    base = f"ratelimit:{key}:{int(at // window) * window}"
    hint = cache.get(base)
    for index in range(hint if isinstance(hint, int) else 0, limit):
        if cache.add(f"{base}:{index}", 1, window + 1):
            cache.set(base, index + 1, window + 1)
            return True
    return False
