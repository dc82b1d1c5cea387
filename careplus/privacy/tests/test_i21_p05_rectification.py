"""Rectification trace (issue 21, point 5): a file lists its corrections, field labels only."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from careplus.accounts.models import User
from careplus.cases import services
from careplus.cases.models import LegalSituation, NeedsAssessment
from careplus.privacy import rectification
from tests import factories

pytestmark = pytest.mark.django_db


def _save_legal(coordinator: User, case: Any, hearing: datetime.date, version: int | None) -> None:
    services.section_save(
        actor=coordinator,
        case=case,
        model=LegalSituation,
        values={"next_hearing_on": hearing, "proceedings": "Tribunal de Paris, dossier 42"},
        expected_version=version,
        label="Situation juridique",
    )


def test_i21_p05_corrections_list_the_labels_of_the_changed_fields_newest_first(coordinator: User) -> None:
    case = factories.make_case()
    _save_legal(coordinator, case, datetime.date(2030, 1, 1), None)
    _save_legal(coordinator, case, datetime.date(2030, 2, 1), 1)
    services.note_add(actor=coordinator, case=case, body="Appel de suivi.")
    with translation.override("en"):
        found = rectification.corrections(case)
    assert [c.fields for c in found] == [
        ["Legal situation — next hearing"],
        ["Legal situation — next hearing", "Legal situation — criminal proceedings (court, reference)"],
    ]
    assert {c.who for c in found} == {coordinator.full_name}
    # A note is an addition, not a correction; no value is ever shown. (The texts only: the
    # time of a correction is no value, and its microseconds may happen to read "2030".)
    shown = " ".join([c.who for c in found] + [field for c in found for field in c.fields])
    assert "Tribunal" not in shown
    assert "2030" not in shown


def test_i21_p05_unknown_or_administrative_field_names_are_left_out() -> None:
    assert rectification.field_label("notes") is None
    assert rectification.field_label("consent:share_return_office") is None
    assert rectification.field_label("restricted") is None
    assert rectification.field_label("nosuchsection.field") is None
    with translation.override("en"):
        assert rectification.field_label("planned_departure_on") == "Planned departure"


def test_i21_p05_the_history_tab_shows_the_corrections(coordinator: User, signed_in: Any) -> None:
    case = factories.make_case()
    services.section_save(
        actor=coordinator,
        case=case,
        model=NeedsAssessment,
        values={"priorities": {"medical": "high"}, "notes": ""},
        expected_version=None,
        label="Besoins",
    )
    url = reverse("cases:case_detail", kwargs={"case_id": case.pk})
    page = signed_in(coordinator).get(url, {"onglet": "historique"}).content.decode()
    with translation.override("fr"):
        title = str(escape(translation.gettext("Corrections (GDPR art. 16)")))
        label = str(escape(rectification.field_label("needsassessment.priorities")))
    assert title in page
    assert label in page


def test_i24_corrections_name_each_author_as_they_are_called_now(
    coordinator: User, django_assert_num_queries: Any
) -> None:
    """Two authors named by one query, for each file; a name changed since shows the new name, in
    any script; a file never corrected runs no query for names."""
    other = factories.make_user(email="o'neill@example.test")
    first, second, untouched = factories.make_case(), factories.make_case(), factories.make_case()
    for case in (first, second):
        _save_legal(coordinator, case, datetime.date(2030, 1, 1), None)
        _save_legal(other, case, datetime.date(2030, 2, 1), 1)
    User.objects.filter(pk=other.pk).update(full_name="सीमा O'Neill")
    with django_assert_num_queries(2):  # the changes, then the authors' names
        found = rectification.corrections(first)
    assert [c.who for c in found] == ["सीमा O'Neill", coordinator.full_name]
    assert [c.who for c in rectification.corrections(second)] == ["सीमा O'Neill", coordinator.full_name]
    with django_assert_num_queries(1):
        assert rectification.corrections(untouched) == []
