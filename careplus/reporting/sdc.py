"""Statistical disclosure control for published breakdowns.

Totals stay exact. In a breakdown, a cell from 1 to k-1 is hidden (primary suppression); when a
single cell of a breakdown is hidden, the smallest other non-zero cell is hidden too (secondary
suppression), so no hidden cell equals the total minus the visible ones. A breakdown whose only
cell is small is withheld altogether.
"""

from __future__ import annotations

from collections.abc import Mapping


def suppress(cells: Mapping[str, int], k: int) -> dict[str, int | None]:
    """Return the breakdown with risky cells replaced by None (shown as "< k")."""
    hidden = {key for key, value in cells.items() if 0 < value < k}
    if len(hidden) == 1:
        candidates = sorted((value, key) for key, value in cells.items() if key not in hidden)
        nonzero = [key for value, key in candidates if value > 0]
        zero = [key for value, key in candidates if value == 0]
        if nonzero or zero:
            hidden.add((nonzero or zero)[0])
        else:
            return {}  # a single small cell equals the total: the breakdown is withheld
    return {key: (None if key in hidden else value) for key, value in cells.items()}


def recoverable(cells: Mapping[str, int | None], total: int) -> bool:
    """Tell whether a hidden cell can be recomputed from the total and the visible cells."""
    hidden = [key for key, value in cells.items() if value is None]
    return len(hidden) == 1 and total is not None
