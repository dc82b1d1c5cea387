"""No enumeration value is shown raw: the main pages, in French, on the demo data, show labels only."""

from __future__ import annotations

import html
import importlib
import io
import re
from pathlib import Path

import polib
import pytest

from django.core.management import call_command
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import translation

from careplus.accounts.models import User
from careplus.cases.models import Case
from careplus.referrals.models import Referral
from tests import factories

pytestmark = pytest.mark.django_db

TABS = ("opportunites", "consentements", "notes", "documents", "historique", "acces")

ROOT = Path(__file__).resolve().parent.parent.parent


def _choice_classes() -> list[type[models.TextChoices]]:
    """Every TextChoices class of the project's choices modules and models."""
    for path in sorted((ROOT / "careplus").glob("*/*.py")):
        if path.stem in {"choices", "models", "eligibility"}:
            importlib.import_module(f"careplus.{path.parent.name}.{path.stem}")
    found: list[type[models.TextChoices]] = []
    pending = list(models.TextChoices.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("careplus."):
            found.append(cls)
    return found


def _french_words() -> set[str]:
    """Every word the French interface writes (« change » in « taux de change » is French, not raw)."""
    catalogue = polib.pofile(str(ROOT / "locale/fr/LC_MESSAGES/django.po"))
    texts = [entry.msgstr for entry in catalogue] + [s for e in catalogue for s in e.msgstr_plural.values()]
    return {word.lower() for text in texts for word in re.findall(r"\w+", text)}


def raw_values() -> set[str]:
    """The stored values a French reader would not read as French: shown, they are raw codes."""
    french = _french_words()
    values = set()
    with translation.override("fr"):
        for cls in _choice_classes():
            for value, label in cls.choices:
                if len(value) >= 3 and value.lower() != str(label).lower() and value.lower() not in french:
                    values.add(value)
    return values


def visible_text(content: bytes) -> str:
    text = content.decode()
    text = re.sub(r"<(script|style|template)\b.*?</\1>", " ", text, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", text)  # attributes (ids, values, names) are not read by a person
    return html.unescape(text)


def raw_in(text: str, values: set[str]) -> list[str]:
    return sorted(value for value in values if re.search(rf"(?<![\w./@-]){re.escape(value)}(?![\w/@-])", text))


def test_i20_p15_the_checker_finds_a_raw_value_as_a_whole_word() -> None:
    values = raw_values()
    assert "phone" in values  # the safe contact channel the French case page showed as « phone »
    assert raw_in("Contact sûr phone · 18 h", values) == ["phone"]
    assert raw_in("Contact sûr Appel téléphonique · 18 h", values) == []


def test_i20_p15_main_pages_in_french_show_no_raw_choice_value() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    coordinator = User.objects.get(email="coordination@demo.careplus.test")
    factories.make_case(family_name="Tamang", country="CM")  # as the tests' and synthetic data store it
    client = Client()
    factories.sign_in(client, coordinator)
    values = raw_values()
    pages = [reverse("home:home"), reverse("cases:case_list"), reverse("referrals:referral_list")]
    pages.append(reverse("reporting:dashboard"))
    for case in Case.objects.all():
        detail = reverse("cases:case_detail", kwargs={"case_id": case.pk})
        pages += [detail, *(f"{detail}?onglet={tab}" for tab in TABS)]
        pages.append(reverse("returns:overview", kwargs={"case_id": case.pk}))
    pages += [reverse("referrals:referral_detail", kwargs={"referral_id": r.pk}) for r in Referral.objects.all()]
    found = {}
    for url in pages:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
        assert response.status_code == 200, url
        raw = raw_in(visible_text(response.content), values)
        if raw:
            found[url] = raw
    assert found == {}
