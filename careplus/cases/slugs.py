"""The French words of the case file's URLs, each mapped to the English name the code uses.

French is for what a user sees: the URLs (`/dossiers/<id>/?onglet=consentements`,
`/dossiers/<id>/sections/juridique/`, the API's `/assessments/juridique/`) and the labels. The
code names the tabs and sections in English. These two tables are the only place where the two
meet: a view reads the URL's word through them, and every link is built through them.
"""

from __future__ import annotations

from uuid import UUID

from django.urls import reverse

# The query parameter choosing the tab of a case file.
TAB_PARAMETER = "onglet"

# Tab of the case file (English key) → value of `?onglet=`; the first one is shown without it.
TAB_SLUGS: dict[str, str] = {
    "summary": "synthese",
    "opportunities": "opportunites",
    "consents": "consentements",
    "notes": "notes",
    "documents": "documents",
    "history": "historique",
    "access": "acces",
}
DEFAULT_TAB = "summary"

# On the history tab, `?historique=complet` shows every event (else the latest ones).
HISTORY_PARAMETER = "historique"
WHOLE_HISTORY = "complet"

# One-per-case record (English key, as in `careplus.cases.models.SECTION_MODELS`) → the word of its
# page's URL and of the API's `section`.
SECTION_SLUGS: dict[str, str] = {
    "risk": "risque",
    "needs": "besoins",
    "skills": "competences",
    "legal": "juridique",
    "family_assessment": "enquete-familiale",
    "best_interests": "interet-superieur",
    "coordination": "coordination",
}

_TAB_KEYS = {slug: key for key, slug in TAB_SLUGS.items()}
_SECTION_KEYS = {slug: key for key, slug in SECTION_SLUGS.items()}


def tab_key(slug: str | None) -> str | None:
    """The tab a value of `?onglet=` names (none: the summary), or None for an unknown one."""
    return DEFAULT_TAB if slug is None else _TAB_KEYS.get(slug)


def section_key(slug: str) -> str | None:
    """The section a URL's word names, or None for an unknown one."""
    return _SECTION_KEYS.get(slug)


def case_tab_url(case_id: UUID | str, tab: str = DEFAULT_TAB, anchor: str = "", *, page: str = "") -> str:
    """The address of a tab of a case file (`tab`: its English key), with an optional anchor.

    `page` is the case page's address when the caller already has it (the tabs of one page)."""
    url = page or reverse("cases:case_detail", kwargs={"case_id": case_id})
    if tab != DEFAULT_TAB:
        url += f"?{TAB_PARAMETER}={TAB_SLUGS[tab]}"
    return f"{url}#{anchor}" if anchor else url
