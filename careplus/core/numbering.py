"""Sequential numbers shown to people (DOS-2018-0002), allocated inside the caller's transaction."""

from __future__ import annotations

from django.db import transaction

from careplus.core.models import Counter


def next_number(name: str) -> int:
    """Return the next value of a named counter, without gaps between committed numbers."""
    with transaction.atomic():
        Counter.objects.get_or_create(name=name)
        counter = Counter.objects.select_for_update().get(name=name)
        counter.value += 1
        counter.save(update_fields=["value"])
        return counter.value


def next_reference(prefix: str, year: int, *, width: int = 4) -> str:
    """Return the next reference of a kind for a year, e.g. ORI-2018-0006 or CARE-2018-003."""
    return f"{prefix}-{year}-{next_number(f'{prefix}-{year}'):0{width}d}"


def reserve_numbers(name: str, count: int) -> int:
    """Reserve `count` consecutive values of a named counter at once; return the first."""
    with transaction.atomic():
        Counter.objects.get_or_create(name=name)
        counter = Counter.objects.select_for_update().get(name=name)
        first = counter.value + 1
        counter.value += count
        counter.save(update_fields=["value"])
        return first
