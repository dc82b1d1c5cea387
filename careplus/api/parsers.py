"""The API's JSON parser: a body nested beyond any real payload is refused with a 400, never a 500."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from django.utils.translation import gettext_lazy as _

# No request body of the API nests deeper than a few levels (an object of lists of objects).
MAX_DEPTH = 32


def _depth_exceeds(value: object, limit: int) -> bool:
    """Tell whether a parsed value nests deeper than `limit`, without recursing."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[object]
        if isinstance(item, Mapping):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with a nesting limit (Python's decoder raises RecursionError near 1,000 levels)."""

    def parse(  # DRF's signature
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:  # DRF's signature: the parsed JSON value
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as error:
            raise ParseError(_("The request body is nested too deeply.")) from error
        if _depth_exceeds(data, MAX_DEPTH):
            raise ParseError(_("The request body is nested too deeply."))
        return data
