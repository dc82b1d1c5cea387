"""The template loader writes each literal translation into a per-language copy (issue 24): pages
render exactly as Django renders them, in the language of the request, with fewer nodes to run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_django import Settings

from django.template import Context, Engine
from django.template.base import TextNode
from django.templatetags.i18n import TranslateNode
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.autoreload import file_changed

from careplus.access.roles import Role
from careplus.accounts.models import User
from tests import factories

SignedIn = Callable[[User], Client]

PAGES = {
    "base.html": (
        "{% load i18n %}<title>{% block title %}{% translate 'Sign out' %}{% endblock %}</title>"
        "{% block content %}{% endblock %}"
    ),
    "page.html": (
        "{% extends 'base.html' %}{% load i18n %}{% block content %}"
        '<p>{% translate "awaiting a coordinator\'s approval" %}</p>'  # an apostrophe in the French
        '<p>{% translate "50% of <b>nothing</b>" %}</p>'  # a percent sign and markup, untranslated
        "{% if flag %}<p>{% translate 'Sign out' %}</p>{% elif other %}{% translate 'Edit' %}"
        "{% else %}{% translate 'Fill in' %}{% endif %}"
        "{% for item in items %}{% translate 'Edit' %}{{ item }}{% empty %}{% translate 'To do' %}{% endfor %}"
        "{% with name=who %}{% translate 'Edit' %} {{ name }}{% endwith %}"
        "{% translate 'Edit' as edit %}[{{ edit }}]"  # kept: it names a variable
        "{% translate 'Edit'|upper %}"  # kept: a filter
        "{% translate 'Edit' noop %}"  # kept: not translated at all
        "{% translate 'May' context 'month name' %}"  # kept: a context
        "{% translate message %}"  # kept: a variable
        "{% include 'part.html' %}"
        "{% autoescape off %}{% translate 'Sign out' %}{% endautoescape %}"
        "{% endblock %}"
    ),
    "part.html": "{% load i18n %}<em>{% translate 'Approve the high risk' %}</em>",
}
CONTEXTS = [
    {"flag": True, "items": ["<x>", "y"], "who": "Anaïs", "message": "Edit"},
    {"flag": False, "other": True, "items": [], "who": "O'Brien", "message": "nothing to translate"},
    {"flag": False, "other": False, "items": ["z"], "who": "", "message": ""},
]


def _engine(*, ours: bool) -> Engine:
    locmem = ("django.template.loaders.locmem.Loader", PAGES)
    loader = (
        ("careplus.core.template_loader.Loader", [locmem])
        if ours
        else ("django.template.loaders.cached.Loader", [locmem])
    )
    return Engine(loaders=[loader], libraries={"i18n": "django.templatetags.i18n"})


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_page_renders_as_django_renders_it_in_each_language(language: str) -> None:
    ours, django = _engine(ours=True), _engine(ours=False)
    for context in CONTEXTS:
        with translation.override(language):
            expected = django.get_template("page.html").render(Context(context))
            assert ours.get_template("page.html").render(Context(context)) == expected
            assert ours.get_template("page.html").render(Context(context)) == expected  # its kept copy
    with translation.override("fr"):
        french = ours.get_template("page.html").render(Context(CONTEXTS[0]))
    assert "en attente d'approbation par la coordination" in french  # as written, not escaped
    assert "Approuver le risque élevé" in french
    assert "50% of <b>nothing</b>" in french


def test_each_language_has_its_own_copy_and_only_the_plain_tags_are_written_in() -> None:
    engine = _engine(ours=True)
    with translation.override("fr"):
        french = engine.get_template("part.html")
        assert engine.get_template("part.html") is french  # kept
    with translation.override("en"):
        english = engine.get_template("part.html")
        assert english.render(Context()) == "<em>Approve the high risk</em>"
    assert english is not french
    assert french.render(Context()) == "<em>Approuver le risque élevé</em>"
    with translation.override("fr"):
        page = engine.get_template("page.html")
    kept = [node for node in page.nodelist.get_nodes_by_type(TranslateNode) if isinstance(node, TranslateNode)]
    assert len(kept) == 5  # as, filter, noop, context, variable
    assert all(node.asvar or node.noop or node.message_context or node.filter_expression.filters or
               node.filter_expression.var.literal is None for node in kept)  # fmt: skip
    assert any(
        isinstance(node, TextNode) and node.s == "Se déconnecter" for node in page.nodelist.get_nodes_by_type(TextNode)
    )


@pytest.mark.django_db
def test_a_real_page_is_the_same_with_django_s_own_loader(signed_in: SignedIn, settings: Settings) -> None:
    """A file's page, in French then in English, byte for byte what Django's cached loader gives."""
    user = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name="N'Diaye", given_names="Aïssatou")
    client = signed_in(user)
    url = reverse("cases:case_detail", kwargs={"case_id": case.pk})

    def pages() -> list[str]:
        found = []
        for language in ("fr", "en"):
            client.cookies["django_language"] = language
            # The CSRF token and the CSP nonce change at every request: set aside.
            found.append(client.get(url).content.decode())
        return found

    ours = pages()
    options = settings.TEMPLATES[0]["OPTIONS"]
    django_loaders = [("django.template.loaders.cached.Loader", options["loaders"][0][1])]
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "OPTIONS": {**options, "loaders": django_loaders}}]
    theirs = pages()
    assert [_stable(page) for page in ours] == [_stable(page) for page in theirs]
    assert "Dossier" in ours[0]
    assert "Case file" in ours[1]


def _stable(page: str) -> str:
    import re

    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    return re.sub(r'nonce="[^"]+"', "", page)


def test_a_catalogue_compiled_anew_drops_the_translated_copies(tmp_path: Path) -> None:
    """Under the development server, Django reloads a changed catalogue without restarting: the
    copies with the old translations written in go with it; a template's own change already did."""

    def compiled() -> object:
        return Engine.get_default().get_template("base.html")

    with translation.override("fr"):
        first = compiled()
        assert compiled() is first
        file_changed.send(sender=None, file_path=tmp_path / "notes.txt")
        assert compiled() is first
        file_changed.send(sender=None, file_path=tmp_path / "django.mo")
        assert compiled() is not first
