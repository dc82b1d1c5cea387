"""`core.links.slug_link` gives the address `reverse` gives, for every section of a case file."""

from __future__ import annotations

import uuid

import pytest

from django.urls import reverse

from careplus.cases.slugs import SECTION_SLUGS
from careplus.core.links import slug_link


def test_every_section_address_is_the_one_reverse_gives() -> None:
    case_id = uuid.uuid4()
    link = slug_link("cases:case_section", "section", case_id=case_id)
    for slug in SECTION_SLUGS.values():
        assert link(slug) == reverse("cases:case_section", kwargs={"case_id": case_id, "section": slug})


@pytest.mark.parametrize("bad", ["", "a/b", "évaluation", "../admin", "a b"])
def test_what_is_not_a_slug_is_refused_not_written_into_an_address(bad: str) -> None:
    link = slug_link("cases:case_section", "section", case_id=uuid.uuid4())
    with pytest.raises(ValueError, match="Not a slug"):
        link(bad)
