"""English names in code, French words in URLs (issue 22, point 4): one table maps one to the other."""

from __future__ import annotations

import ast
from pathlib import Path

from careplus.cases import slugs
from careplus.cases.models import SECTION_MODELS
from careplus.cases.sections import SECTIONS

BASE = Path(__file__).resolve().parents[3]


def test_every_tab_and_section_has_one_word_in_the_address_and_a_template() -> None:
    from careplus.cases.views import TABS

    assert set(slugs.TAB_SLUGS) == set(TABS)
    assert set(slugs.SECTION_SLUGS) == set(SECTIONS) == set(SECTION_MODELS)
    assert len(set(slugs.TAB_SLUGS.values())) == len(slugs.TAB_SLUGS)
    assert len(set(slugs.SECTION_SLUGS.values())) == len(slugs.SECTION_SLUGS)
    for key in TABS:
        assert (BASE / "templates" / "cases" / "tabs" / f"{key}.html").exists(), key


def test_the_addresses_stay_french() -> None:
    case_id = "0b8a5a4e-7a8c-4a53-a1a4-0d0a4b6d7c11"
    assert slugs.case_tab_url(case_id) == f"/dossiers/{case_id}/"
    assert slugs.case_tab_url(case_id, "consents", "bureaux") == f"/dossiers/{case_id}/?onglet=consentements#bureaux"
    assert slugs.case_tab_url(case_id, "access") == f"/dossiers/{case_id}/?onglet=acces"
    assert slugs.tab_key(None) == "summary"
    assert slugs.tab_key("historique") == "history"
    assert slugs.tab_key("history") is None  # the English key is not an address
    assert slugs.section_key("juridique") == "legal"
    assert slugs.section_key("legal") is None


# The French words that differ from their English key ("notes", "documents", "coordination" are both).
FRENCH = {slug for key, slug in (*slugs.TAB_SLUGS.items(), *slugs.SECTION_SLUGS.items()) if slug != key}


def test_no_french_word_of_an_address_is_used_as_a_name_in_code() -> None:
    """Outside the table, code names tabs and sections in English (tests may type addresses)."""
    offenders: list[str] = []
    for path in sorted((BASE / "careplus").rglob("*.py")):
        relative = path.relative_to(BASE)
        if "migrations" in relative.parts or "tests" in relative.parts or path.name == "slugs.py":
            continue
        offenders.extend(
            f"{relative}:{node.lineno}: {node.value!r}"
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and node.value in FRENCH
        )
    assert offenders == []
