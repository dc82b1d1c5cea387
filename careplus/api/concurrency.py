"""ETags from record versions; writes need If-Match (428 without it, 412 when stale)."""

from __future__ import annotations

from typing import Protocol

from rest_framework.request import Request
from rest_framework.response import Response

from careplus.api.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    return f'"{version}"'


def _tags(header: str) -> set[str]:
    tags = set()
    for part in header.split(","):
        tag = part.strip()
        tags.add(tag.removeprefix("W/"))
    return tags


def expected_version(request: Request, current: int, *, exact: bool = False) -> int:
    """Return the version the client read, or refuse the write: 428 without If-Match, 412 if stale.

    `exact`: the write must name the version it read (`If-Match: *` answers 428), where overwriting
    whatever is stored would drop someone's values (the merge after a conflict).
    """
    header = request.headers.get("If-Match", "").strip()
    if not header:
        raise PreconditionRequired()
    tags = _tags(header)
    if exact and "*" in tags:
        raise PreconditionRequired()
    if "*" not in tags and etag(current) not in tags:
        raise PreconditionFailed()
    return current


class _Versioned(Protocol):
    version: int


def tagged(response: Response, obj: _Versioned) -> Response:
    """Add the record's ETag to a response."""
    response["ETag"] = etag(obj.version)
    return response
