"""Issue 20, points 2, 3 and 18: long texts never cut silently, a too-large body explained,
rare or destructive status changes behind "Other actions"."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

from django.core.exceptions import RequestDataTooBig
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from careplus.accounts.models import User
from careplus.api import handlers
from careplus.cases import workflow
from careplus.cases.choices import CaseStatus
from careplus.cases.models import CaseNote
from careplus.cases.workflow import CaseFacts
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def test_i20_p02_a_text_box_shows_its_character_count_and_an_over_long_note_is_refused_and_kept(
    coordinator: User, signed_in: SignedIn
) -> None:
    case = factories.make_case(shared=False)
    client = signed_in(coordinator)
    page = client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk}), {"onglet": "notes"}).content.decode()
    # The note box carries its counter, described to assistive technologies as it changes.
    counter = re.search(
        r'<p class="field__count" id="id_body_count" data-count-for="id_body" data-max="2000"[^>]*>', page
    )
    assert counter is not None
    assert 'aria-live="polite"' in counter.group(0)

    narrative = "Récit de la personne, mot pour mot. " * 140  # 5,040 characters
    response = client.post(reverse("cases:note_add", kwargs={"case_id": case.pk}), {"body": narrative})
    body = response.content.decode()
    assert response.status_code == 400
    assert "au plus 2000 caractères" in body  # the field's message
    assert "mot pour mot. Récit de la personne" in body  # the text is still in the box
    assert not CaseNote.objects.filter(case=case).exists()  # nothing saved, nothing cut


def test_i20_p02_an_over_long_reason_for_a_status_change_gets_the_fields_message(
    coordinator: User, signed_in: SignedIn
) -> None:
    case = factories.make_case(shared=False)
    response = signed_in(coordinator).post(
        reverse("cases:case_transition", kwargs={"case_id": case.pk}),
        {"target": CaseStatus.SUSPENDED, "version": case.version, "reason": "x" * 2500},
    )
    assert response.status_code == 400
    assert "au plus 2000 caractères" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_i20_p03_a_body_over_the_limit_says_what_was_too_large_and_how_to_get_the_text_back(
    coordinator: User, signed_in: SignedIn
) -> None:
    case = factories.make_case(shared=False)
    client = signed_in(coordinator)
    response = client.post(reverse("cases:note_add", kwargs={"case_id": case.pk}), {"body": "y" * 1500})
    body = response.content.decode()
    assert response.status_code == 413
    assert "1000" in body  # the limit, as a size
    assert "could not be understood" not in body
    assert "Nothing was changed" not in body
    assert 'href="/"' in body or reverse("home:home") in body
    assert not CaseNote.objects.filter(case=case).exists()

    api = handlers.bad_request(RequestFactory().post("/api/v1/cases/"), RequestDataTooBig("too big"))
    assert api.status_code == 413
    assert json.loads(api.content)["code"] == "too_large"


def _facts(status: str) -> CaseFacts:
    return CaseFacts(
        status=status,
        status_before_suspension="",
        is_minor=False,
        office_assigned=True,
        planned_departure_on=None,
        consents=frozenset(),
        risk_overall=None,
        risk_approved=False,
        needs_done=False,
        skills_done=False,
        opportunities=0,
        next_hearing_on=None,
        family_assessment_done=False,
        bid_done=False,
        bid_in_favour=False,
        bid_approved_by_other=False,
        coordination_plan_done=False,
    )


def test_i20_p18_stopping_suspending_and_going_back_are_other_actions() -> None:
    ready = _facts(CaseStatus.READY_TO_DEPART)
    assert [t for t in workflow.allowed_targets(ready) if not workflow.is_other_action(ready, t)] == [
        CaseStatus.RETURNED
    ]
    opened = _facts(CaseStatus.OPEN)
    assert workflow.is_other_action(opened, CaseStatus.WITHDRAWN)
    assert workflow.is_other_action(opened, CaseStatus.SUSPENDED)
    assert not workflow.is_other_action(opened, CaseStatus.PRE_DEPARTURE)


def test_i20_p18_the_summary_puts_abandon_and_suspend_behind_a_closed_other_actions_disclosure(
    coordinator: User, signed_in: SignedIn
) -> None:
    case = factories.make_case(shared=False)
    page = signed_in(coordinator).get(reverse("cases:case_detail", kwargs={"case_id": case.pk})).content.decode()
    steps = page[page.index('id="statut"') : page.index('id="assess-title"')]
    disclosure = steps.index('<details class="other-actions">')
    # The main progression (towards pre-departure, its checklist here) comes first, outside.
    assert steps.index('<div class="transition">') < disclosure
    assert "transition--other" not in steps[:disclosure]
    assert 'value="withdrawn"' not in steps[:disclosure]
    assert steps.index('value="withdrawn"') > disclosure
    assert steps.index('value="suspended"') > disclosure
    assert 'name="reason" id="reason-withdrawn"' in steps[disclosure:]  # with its reason field
    assert '<details class="other-actions" open' not in steps
    buttons = re.findall(r'<button type="submit" class="([^"]+)"', steps[disclosure:])
    assert len(buttons) == 2
    assert all("button--secondary" in b for b in buttons)
