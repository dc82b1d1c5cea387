"""Issue 20, point 4: after an edit conflict, their values beside mine, my input kept, Save records the merge."""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Callable

import pytest

from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.cases import selectors
from careplus.cases.models import Case, SkillsAssessment
from careplus.core import locking
from careplus.returns.models import Departure
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]

SKILLS = {
    "education": "Lycée jusqu'en seconde",
    "languages": "népali, hindi",
    "work_experience": "Couture, trois ans",
    "skills": "Couture",
    "motivation": "Ouvrir un atelier",
    "preferred_path": "iga",
    "constraints": "",
}


def _version(page: str) -> str:
    found = re.search(r'name="version" value="(\d*)"', page) or re.search(r'name="version"[^>]*value="(\d*)"', page)
    return found.group(1) if found else ""


def _row(page: str, name: str) -> tuple[str, str]:
    """(theirs, mine) as shown in the conflict panel for one field."""
    row = re.search(rf'<tr data-field="{name}">(.*?)</tr>', page, re.S)
    assert row is not None, f"no conflict row for {name}"
    theirs = re.search(r"data-theirs>(.*?)</td>", row.group(1), re.S)
    mine = re.search(r"data-mine>(.*?)</td>", row.group(1), re.S)
    assert theirs is not None
    assert mine is not None
    return html.unescape(theirs.group(1)), html.unescape(mine.group(1))


def _two_editors(signed_in: SignedIn) -> tuple[Case, Client, Client]:
    case = factories.make_case()
    alice = factories.make_user(Role.COORDINATOR)
    bruno = factories.make_user(Role.COORDINATOR)
    return case, signed_in(alice), signed_in(bruno)


def test_i20_p04_section_conflict_shows_both_values_keeps_mine_and_saves_the_merge(signed_in: SignedIn) -> None:
    case, alice, bruno = _two_editors(signed_in)
    url = reverse("cases:case_section", kwargs={"case_id": case.pk, "section": "competences"})
    assert alice.post(url, SKILLS).status_code == 302
    seen_by_alice = _version(alice.get(url).content.decode())
    seen_by_bruno = _version(bruno.get(url).content.decode())
    assert seen_by_alice == seen_by_bruno != ""

    saved = alice.post(url, {**SKILLS, "motivation": "Reprendre l'atelier familial", "version": seen_by_alice})
    assert saved.status_code == 302
    mine = {**SKILLS, "motivation": "Élever des chèvres", "skills": "Couture, élevage", "version": seen_by_bruno}
    refused = bruno.post(url, mine)
    page = refused.content.decode()

    assert refused.status_code == 409
    with translation.override("fr"):
        assert html.escape(str(locking.SAVED_MEANWHILE)) in page  # the one wording of a stale edit (issue 22)
    assert _row(page, "motivation") == ("Reprendre l'atelier familial", "Élever des chèvres")
    assert _row(page, "skills") == ("Couture", "Couture, élevage")
    assert 'data-field="education"' not in page  # only the fields that differ
    assert "Élever des chèvres</textarea>" in page  # my text kept in the form
    current = SkillsAssessment.objects.get(case=case)
    assert _version(page) == str(current.version) != seen_by_bruno
    record = selectors.section_record(case, SkillsAssessment)
    assert record is not None
    assert record.motivation == "Reprendre l'atelier familial"  # nothing overwritten yet

    merged = bruno.post(url, {**mine, "version": _version(page)})
    assert merged.status_code == 302
    record = selectors.section_record(case, SkillsAssessment)
    assert record is not None
    assert (record.motivation, record.skills, record.education) == (
        "Élever des chèvres",
        "Couture, élevage",
        SKILLS["education"],
    )
    assert record.version == current.version + 1


def test_i20_p04_section_created_meanwhile_is_a_conflict_not_a_silent_overwrite(signed_in: SignedIn) -> None:
    case, alice, bruno = _two_editors(signed_in)
    url = reverse("cases:case_section", kwargs={"case_id": case.pk, "section": "competences"})
    assert _version(bruno.get(url).content.decode()) == ""  # nothing saved yet when Bruno opens it
    assert alice.post(url, SKILLS).status_code == 302
    refused = bruno.post(url, {**SKILLS, "preferred_path": "training"})
    page = refused.content.decode()
    assert refused.status_code == 409
    assert _row(page, "preferred_path") == ("Activité génératrice de revenus", "Formation")
    assert bruno.post(url, {**SKILLS, "preferred_path": "training", "version": _version(page)}).status_code == 302
    assert SkillsAssessment.objects.get(case=case).preferred_path == "training"


def test_i20_p04_departure_plan_conflict_shows_both_values_and_saves_the_merge(signed_in: SignedIn) -> None:
    case, alice, bruno = _two_editors(signed_in)
    url = reverse("cases:case_plan", kwargs={"case_id": case.pk})
    version = _version(alice.get(url).content.decode())
    assert _version(bruno.get(url).content.decode()) == version
    soon = timezone.localdate() + datetime.timedelta(days=30)
    base = {"planned_departure_on": soon.isoformat(), "contact_times": "le soir", "contact_alias": "Maya"}
    assert alice.post(url, {**base, "contact_channel": "Signal", "version": version}).status_code == 302
    mine = {**base, "contact_channel": "Visite au foyer", "version": version}
    refused = bruno.post(url, mine)
    page = refused.content.decode()
    assert refused.status_code == 409
    assert _row(page, "contact_channel") == ("Signal", "Visite au foyer")
    assert 'data-field="contact_alias"' not in page
    assert 'value="Visite au foyer"' in page
    case.refresh_from_db()
    assert _version(page) == str(case.version)
    assert (case.safe_contact or {}).get("channel") == "Signal"
    assert bruno.post(url, {**mine, "version": _version(page)}).status_code == 302
    case.refresh_from_db()
    assert (case.safe_contact or {}).get("channel") == "Visite au foyer"
    assert (case.safe_contact or {}).get("alias") == "Maya"


def test_i20_p04_return_departure_conflict_shows_both_values_and_saves_the_merge(signed_in: SignedIn) -> None:
    case, alice, bruno = _two_editors(signed_in)
    url = reverse("returns:departure_edit", kwargs={"case_id": case.pk})
    assert alice.post(url, {"airport": "CDG", "escort": ""}).status_code == 302
    version = _version(alice.get(url).content.decode())
    assert _version(bruno.get(url).content.decode()) == version
    assert alice.post(url, {"airport": "ORY", "escort": "Jeanne", "version": version}).status_code == 302
    mine = {"airport": "CDG T2", "escort": "", "fit_to_travel": "on", "version": version}
    refused = bruno.post(url, mine)
    page = refused.content.decode()
    assert refused.status_code == 409
    assert _row(page, "airport") == ("ORY", "CDG T2")
    assert _row(page, "escort") == ("Jeanne", "—")
    assert _row(page, "fit_to_travel") == ("Non", "Oui")
    assert 'value="CDG T2"' in page
    assert bruno.post(url, {**mine, "escort": "Jeanne", "version": _version(page)}).status_code == 302
    departure = Departure.objects.get(case=case)
    departure.case = case
    assert (departure.airport, departure.escort, departure.fit_to_travel) == ("CDG T2", "Jeanne", True)
