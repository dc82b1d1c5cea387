"""Addresses of many rows of one kind, reversed once.

`reverse` walks the URL resolver each time (tens of microseconds); a list or an inbox of a
hundred rows pointing at the same view with different ids reverses it once, with a placeholder
id, and puts each row's id in its place.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.urls import reverse

_PLACEHOLDER = uuid.UUID(int=0)


def uuid_link(view: str, kwarg: str) -> Callable[[uuid.UUID | str], str]:
    """Return a function giving `reverse(view, kwargs={kwarg: id})` for any UUID id."""
    before, _mark, after = reverse(view, kwargs={kwarg: _PLACEHOLDER}).partition(str(_PLACEHOLDER))

    def link(value: uuid.UUID | str) -> str:
        return f"{before}{uuid.UUID(str(value))}{after}"

    return link


_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_SLUG_PLACEHOLDER = "slug-placeholder"


def slug_link(view: str, kwarg: str, **fixed: object) -> Callable[[str], str]:
    """Return a function giving `reverse(view, kwargs={**fixed, kwarg: slug})` for any slug (the
    `<slug:…>` converter's letters, digits, hyphens and underscores, which need no quoting)."""
    before, _mark, after = reverse(view, kwargs={**fixed, kwarg: _SLUG_PLACEHOLDER}).partition(_SLUG_PLACEHOLDER)

    def link(slug: str) -> str:
        if not _SLUG.fullmatch(slug):
            raise ValueError(f"Not a slug: {slug!r}")
        return f"{before}{slug}{after}"

    return link
