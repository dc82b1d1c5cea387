"""Search by case number, referral reference or exact name, within what the user may see.

Names are matched through their keyed blind index: no record is decrypted to search.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from django.db.models import QuerySet

from careplus.access.policy import Actor, can
from careplus.access.roles import Action
from careplus.access.scopes import cases_visible_to, referrals_visible_to
from careplus.cases.models import Case
from careplus.cases.services import name_search_indexes
from careplus.referrals.models import Referral

if TYPE_CHECKING:
    from _typeshed import SupportsRichComparison

Row = TypeVar("Row", Case, Referral)

REFERENCE = re.compile(r"^\s*(CARE|ORI)-\d{4}-\d{3,4}\s*$", re.IGNORECASE)
LIMIT = 50
NAME_MATCHES = 1000
# A full name as the forms allow it: family name (100) and given names (100) with a space.
QUERY_MAX_LENGTH = 201


@dataclass(frozen=True)
class Results:
    cases: list[Case]
    referrals: list[Referral]
    by_name: bool


def search(*, actor: Actor, query: str) -> Results:
    """Return the cases and referrals matching the query in the actor's scope."""
    query = query.strip()[:QUERY_MAX_LENGTH]
    cases = cases_visible_to(actor).select_related("office", "data_key")
    referrals = referrals_visible_to(actor).select_related("organisation", "data_key")
    if not query:
        return Results([], [], by_name=False)
    if REFERENCE.match(query):
        reference = query.upper()
        return Results(
            list(cases.filter(reference=reference)), list(referrals.filter(reference=reference)), by_name=False
        )
    if not (can(actor, Action.CASES_VIEW) or can(actor, Action.REFERRALS_READ_PERSON)):
        return Results([], [], by_name=True)  # partners search their references only
    indexes = name_search_indexes(query)
    # Each list's own order: cases newest opened first (then by number), referrals newest first.
    found_cases = _by_name(cases, indexes, key=lambda case: (-case.opened_on.toordinal(), case.reference))
    found_referrals = (
        _by_name(referrals, indexes, key=lambda referral: (referral.received_on, referral.reference), reverse=True)
        if can(actor, Action.REFERRALS_READ_PERSON)
        else []
    )
    return Results(found_cases, found_referrals, by_name=True)


def _by_name(
    queryset: QuerySet[Row], indexes: set[str], *, key: Callable[[Row], SupportsRichComparison], reverse: bool = False
) -> list[Row]:
    """The rows whose name matches, in the list's order, at most LIMIT.

    The matches are taken through the name index and ordered here: asking the database for the
    first rows in the list's order lets it walk the whole list when it expects many namesakes.
    A name is shared by few people; past NAME_MATCHES of them, the rest are not listed.
    """
    matches = list(queryset.filter(name_index__in=indexes).order_by()[:NAME_MATCHES])
    return sorted(matches, key=key, reverse=reverse)[:LIMIT]
