"""Issue 21, point 4 (and 8): instrument versions drafted, compared and approved on screens."""

from __future__ import annotations

import datetime
import html
import re
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.accounts.services import StepUpFailed
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.models import AuditEvent
from careplus.core import instruments
from careplus.core.errors import RuleViolation, StaleObject
from careplus.core.models import Instrument
from careplus.instruments import services as drafts
from careplus.referrals import services as referral_services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are matched on their English msgids (the French catalogue is merged by the lead)."""
    with translation.override("en"):
        yield


@pytest.fixture
def second_coordinator(db: None) -> User:
    return factories.make_user(Role.COORDINATOR, email="coordinator.b@example.test")


def _fr(msgid: str) -> str:
    """The French text of a message, as the pages show it (the client's language is French)."""
    with translation.override("fr"):
        return translation.gettext(msgid)


def _events(instrument: Instrument) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="core.instrument", object_id=str(instrument.pk)).order_by("seq"))


def _add_eu_state(actor: User, draft: Instrument, code: str) -> Instrument:
    data = drafts.eligibility_apply(
        draft.data,
        eu_member_states=[*draft.data["eu_member_states"], code],
        overseas_departements=draft.data["overseas_departements"],
        adult_age=draft.data["adult_age"],
        max_age=draft.data["max_age"],
    )
    return drafts.draft_save(
        actor=actor, draft=draft, data=data, expected_row_version=draft.row_version, part="eligibility"
    )


# --- Unit: copy, current(), four eyes, step-up, effective date ------------------------------------


def test_i21_p04_shipped_versions_are_approved_and_in_force(db: None) -> None:
    for kind in drafts.KINDS:
        version = instruments.current(kind)
        assert version.status == Instrument.Status.APPROVED
        assert version.effective_from is not None


def test_i21_p04_new_draft_copies_the_version_in_force_and_is_never_current(coordinator: User) -> None:
    in_force = instruments.current("eligibility")
    draft = drafts.draft_create(actor=coordinator, kind="eligibility")
    assert draft.status == Instrument.Status.DRAFT
    assert draft.data == in_force.data
    assert draft.based_on == in_force
    assert draft.version != in_force.version
    _add_eu_state(coordinator, draft, "NO")
    assert instruments.current("eligibility") == in_force
    [created, *_rest] = _events(draft)
    assert created.action == AuditAction.CREATE


def test_i21_p04_a_second_draft_of_the_same_instrument_is_refused(coordinator: User) -> None:
    drafts.draft_create(actor=coordinator, kind="rss")
    with pytest.raises(RuleViolation, match="already open"):
        drafts.draft_create(actor=coordinator, kind="rss")
    assert Instrument.objects.filter(kind="rss", status=Instrument.Status.DRAFT).count() == 1


def test_i21_p04_the_author_cannot_approve_and_the_refusal_is_audited(coordinator: User) -> None:
    draft = _add_eu_state(coordinator, drafts.draft_create(actor=coordinator, kind="eligibility"), "NO")
    with pytest.raises(RuleViolation, match="another coordinator"):
        drafts.draft_approve(
            actor=coordinator,
            draft=draft,
            code=factories.totp_code(coordinator),
            effective_from=timezone.localdate(),
            expected_row_version=draft.row_version,
        )
    draft.refresh_from_db()
    assert draft.status == Instrument.Status.DRAFT
    refused = _events(draft)[-1]
    assert (refused.action, refused.outcome) == (AuditAction.TRANSITION, AuditOutcome.DENIED)
    assert "refused:four_eyes" in refused.fields


def test_i21_p04_anyone_who_edited_the_draft_cannot_approve_it(coordinator: User, second_coordinator: User) -> None:
    """A drafts, B edits, A edits again: B is no longer the last editor but still changed it."""
    draft = _add_eu_state(coordinator, drafts.draft_create(actor=coordinator, kind="eligibility"), "NO")
    draft = _add_eu_state(second_coordinator, draft, "IS")
    draft = _add_eu_state(coordinator, draft, "LI")
    with pytest.raises(RuleViolation, match="another coordinator"):
        drafts.draft_approve(
            actor=second_coordinator,
            draft=draft,
            code=factories.totp_code(second_coordinator),
            effective_from=timezone.localdate(),
            expected_row_version=draft.row_version,
        )
    draft.refresh_from_db()
    assert draft.status == Instrument.Status.DRAFT
    third = factories.make_user(Role.COORDINATOR, email="coordinator.c@example.test")
    assert not drafts.is_author(third, draft)


def test_i21_p04_approval_needs_a_fresh_second_factor_code(coordinator: User, second_coordinator: User) -> None:
    draft = _add_eu_state(coordinator, drafts.draft_create(actor=coordinator, kind="eligibility"), "NO")
    for code in ("", "000000"):
        with pytest.raises(StepUpFailed):
            drafts.draft_approve(
                actor=second_coordinator,
                draft=draft,
                code=code,
                effective_from=timezone.localdate(),
                expected_row_version=draft.row_version,
            )
    draft.refresh_from_db()
    assert draft.status == Instrument.Status.DRAFT
    assert "refused:step_up" in _events(draft)[-1].fields


def test_i21_p04_effective_date_in_the_past_is_refused(coordinator: User, second_coordinator: User) -> None:
    draft = _add_eu_state(coordinator, drafts.draft_create(actor=coordinator, kind="eligibility"), "NO")
    with pytest.raises(RuleViolation, match="today or later"):
        drafts.draft_approve(
            actor=second_coordinator,
            draft=draft,
            code=factories.totp_code(second_coordinator),
            effective_from=timezone.localdate() - datetime.timedelta(days=1),
            expected_row_version=draft.row_version,
        )
    draft.refresh_from_db()
    assert draft.status == Instrument.Status.DRAFT


def test_i21_p04_a_draft_without_change_cannot_be_approved(coordinator: User, second_coordinator: User) -> None:
    draft = drafts.draft_create(actor=coordinator, kind="eligibility")
    with pytest.raises(RuleViolation, match="changes nothing"):
        drafts.draft_approve(
            actor=second_coordinator,
            draft=draft,
            code=factories.totp_code(second_coordinator),
            effective_from=timezone.localdate(),
            expected_row_version=draft.row_version,
        )


def test_i21_p04_a_stale_edit_changes_nothing(coordinator: User) -> None:
    draft = drafts.draft_create(actor=coordinator, kind="eligibility")
    old = draft.row_version
    _add_eu_state(coordinator, draft, "NO")
    with pytest.raises(StaleObject):
        drafts.draft_save(actor=coordinator, draft=draft, data=draft.data, expected_row_version=old, part="x")
    draft.refresh_from_db()
    assert "NO" in draft.data["eu_member_states"]


def test_i21_p04_results_keep_their_version_and_new_ones_use_the_new_one_from_its_date(
    coordinator: User, second_coordinator: User
) -> None:
    """A screening computed before keeps its version; after the effective date new ones use the new one."""
    factories.make_programme()
    referral = factories.make_referral()
    old = instruments.current("ilo_indicators")
    before = referral_services.screening_record(
        actor=coordinator, referral=referral, indicator_list="adult_labour", present=["d2.violence", "d2.debt"]
    )
    draft = drafts.draft_create(actor=coordinator, kind="ilo_indicators")
    data = draft.data
    dim = data["lists"]["adult_labour"]["dimensions"][1]
    dim["indicators"] = [ind for ind in dim["indicators"] if ind["code"] != "d2.debt"]
    draft = drafts.draft_save(actor=coordinator, draft=draft, data=data, expected_row_version=1, part="lists")
    found = drafts.changes(draft, old)
    assert [change.kind for change in found] == ["removed"]
    # The diff says the open screening keeps its version.
    assert "1 " in drafts.removal_note(draft, old, found)
    assert old.version in drafts.removal_note(draft, old, found)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    approved = drafts.draft_approve(
        actor=second_coordinator,
        draft=draft,
        code=factories.totp_code(second_coordinator),
        effective_from=tomorrow,
        expected_row_version=draft.row_version,
    )
    assert approved.status == Instrument.Status.APPROVED
    assert instruments.current("ilo_indicators") == old  # not yet in force
    assert instruments.current("ilo_indicators", on=tomorrow) == approved
    with mock.patch("django.utils.timezone.localdate", return_value=tomorrow):
        assert instruments.current("ilo_indicators") == approved
        after = referral_services.screening_record(
            actor=coordinator, referral=referral, indicator_list="adult_labour", present=["d2.violence"]
        )
        with pytest.raises(RuleViolation, match="Unknown indicators"):
            referral_services.screening_record(
                actor=coordinator, referral=referral, indicator_list="adult_labour", present=["d2.debt"]
            )
    before.refresh_from_db()
    assert before.instrument == old
    assert "d2.debt" in before.answers
    assert after.instrument == approved
    assert _events(approved)[-1].action == AuditAction.TRANSITION


def test_i21_p04_eligibility_uses_the_approved_eu_list(coordinator: User, second_coordinator: User) -> None:
    factories.make_programme()
    referral = factories.make_referral(country_of_return="NO")
    rules, version = referral_services.current_eligibility(referral)
    assert {r.code: r.outcome for r in rules}["outside_eu"] == "pass"
    draft = _add_eu_state(coordinator, drafts.draft_create(actor=coordinator, kind="eligibility"), "NO")
    assert any("Norway" in change.text for change in drafts.changes(draft, instruments.current("eligibility")))
    drafts.draft_approve(
        actor=second_coordinator,
        draft=draft,
        code=factories.totp_code(second_coordinator),
        effective_from=timezone.localdate(),
        expected_row_version=draft.row_version,
    )
    rules, new_version = referral_services.current_eligibility(referral)
    assert {r.code: r.outcome for r in rules}["outside_eu"] == "fail"
    assert new_version == draft.version != version


def test_i21_p04_refusal_needs_a_reason_and_keeps_the_version_in_force(
    coordinator: User, second_coordinator: User
) -> None:
    in_force = instruments.current("eligibility")
    draft = _add_eu_state(coordinator, drafts.draft_create(actor=coordinator, kind="eligibility"), "NO")
    with pytest.raises(RuleViolation, match="reason"):
        drafts.draft_refuse(actor=second_coordinator, draft=draft, reason=" ", expected_row_version=draft.row_version)
    refused = drafts.draft_refuse(
        actor=second_coordinator, draft=draft, reason="Norway is not in the EU", expected_row_version=draft.row_version
    )
    assert refused.status == Instrument.Status.REFUSED
    assert instruments.current("eligibility") == in_force
    assert "status:refused" in _events(refused)[-1].fields


def test_i21_p04_clearing_an_unverified_mark_needs_a_source_note(coordinator: User) -> None:
    draft = drafts.draft_create(actor=coordinator, kind="ilo_indicators")
    rows = _rows(draft.data["lists"]["adult_labour"])
    marked = next(row for row in rows if row["unverified"])
    marked["unverified"] = False
    with pytest.raises(RuleViolation, match="source"):
        drafts.ilo_list_apply(draft.data, list_code="adult_labour", rows=rows, verified=True, source_note="")
    marked["source_note"] = "ILO brochure WCMS_105023, p. 5"
    data = drafts.ilo_list_apply(draft.data, list_code="adult_labour", rows=rows, verified=True, source_note="")
    cleared = next(
        ind
        for dim in data["lists"]["adult_labour"]["dimensions"]
        for ind in dim["indicators"]
        if ind["code"] == marked["code"]
    )
    assert "unverified" not in cleared
    assert cleared["source_note"] == "ILO brochure WCMS_105023, p. 5"
    texts = [c.text for c in drafts.changes(Instrument(kind="ilo_indicators", data=data), draft)]
    assert any("WCMS_105023" in text for text in texts)


def test_i21_p04_rss_weights_must_add_up_once_used(coordinator: User) -> None:
    draft = drafts.draft_create(actor=coordinator, kind="rss")
    rows = [
        {"code": item["code"], "label_fr": item["label"]["fr"], "dimension_weight": None, "composite_weight": None}
        for item in draft.data["items"]
    ]
    rows[0]["label_fr"] = "Satisfaction économique"
    rows[0]["dimension_weight"] = 0.5
    data = drafts.rss_apply(draft.data, rows=rows, weights_loaded=False)
    texts = [c.text for c in drafts.changes(Instrument(kind="rss", data=data), draft)]
    assert any("Satisfaction économique" in text for text in texts)
    with pytest.raises(RuleViolation, match="both weights"):
        drafts.rss_apply(draft.data, rows=rows, weights_loaded=True)


def _rows(list_data: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "dimension": dim["code"],
            "code": ind["code"],
            "strength": ind["strength"],
            "label_fr": ind["label"]["fr"],
            "label_en": ind["label"].get("en", ""),
            "unverified": bool(ind.get("unverified")),
            "source_note": "",
        }
        for dim in list_data["dimensions"]
        for ind in dim["indicators"]
    ]


# --- Views: bad input gives field messages and changes nothing ------------------------------------


def _ilo_post(list_data: dict[str, Any], row_version: int, **changes: Any) -> dict[str, Any]:
    rows = _rows(list_data)
    post: dict[str, Any] = {
        "row_version": row_version,
        "verified": "on" if list_data.get("verified") else "",
        "source_note": "",
        "ind-TOTAL_FORMS": len(rows) + 1,
        "ind-INITIAL_FORMS": len(rows),
        "ind-MIN_NUM_FORMS": 0,
        "ind-MAX_NUM_FORMS": 1000,
    }
    for index, row in enumerate(rows):
        for name, value in row.items():
            if name == "unverified":
                if value:
                    post[f"ind-{index}-{name}"] = "on"
            else:
                post[f"ind-{index}-{name}"] = value
    post.update(changes)
    return post


def _client(user: User) -> Client:
    client = Client()
    factories.sign_in(client, user)
    return client


def test_i21_p04_view_bad_indicator_input_gets_field_messages(coordinator: User) -> None:
    draft = drafts.draft_create(actor=coordinator, kind="ilo_indicators")
    list_data = draft.data["lists"]["adult_labour"]
    url = reverse("instruments:draft_edit", kwargs={"instrument_id": draft.pk, "section": "adult_labour"})
    client = _client(coordinator)
    first = _rows(list_data)[0]
    marked = next(i for i, row in enumerate(_rows(list_data)) if row["unverified"])
    cases = [
        ({"ind-0-label_fr": ""}, "ind-0-label_fr"),
        ({"ind-1-code": first["code"]}, "ind-1-code"),
        ({"ind-0-code": "zz.bad"}, "ind-0-code"),
        ({f"ind-{marked}-unverified": ""}, f"ind-{marked}-source_note"),
    ]
    for changes, field_id in cases:
        response = client.post(url, _ilo_post(list_data, draft.row_version, **changes))
        assert response.status_code == 400, changes
        assert f'id="id_{field_id}_error"' in response.content.decode(), changes
    draft.refresh_from_db()
    assert draft.row_version == 1
    assert draft.data == instruments.current("ilo_indicators").data


def test_i21_p04_view_adds_an_indicator_and_shows_the_diff(coordinator: User) -> None:
    draft = drafts.draft_create(actor=coordinator, kind="ilo_indicators")
    list_data = draft.data["lists"]["adult_labour"]
    count = len(_rows(list_data))
    url = reverse("instruments:draft_edit", kwargs={"instrument_id": draft.pk, "section": "adult_labour"})
    new = {
        f"ind-{count}-dimension": "d4",
        f"ind-{count}-code": "d4.night_work",
        f"ind-{count}-strength": "M",
        f"ind-{count}-label_fr": "Travail de nuit imposé",
        "ind-0-DELETE": "on",
    }
    client = _client(coordinator)
    response = client.post(url, _ilo_post(list_data, draft.row_version, **new))
    assert response.status_code == 302
    edited = _events(draft)[-1]
    assert (edited.action, edited.field_names) == (AuditAction.CHANGE, ["lists.adult_labour"])
    page = client.get(reverse("instruments:version_detail", kwargs={"instrument_id": draft.pk})).content.decode()
    items = re.findall(r'<li class="change change--(\w+)">(.*?)</li>', page)
    assert [kind for kind, _text in items] == ["added", "removed"]
    assert "Travail de nuit imposé" in items[0][1]
    assert "Tromperie sur la nature du travail" in items[1][1]
    assert _fr("You drafted or edited this version: another coordinator must approve or refuse it.") in html.unescape(
        page
    )
    assert reverse("instruments:draft_approve", kwargs={"instrument_id": draft.pk}) not in page


def test_i21_p04_view_weight_not_a_number_gets_a_field_message(coordinator: User) -> None:
    draft = drafts.draft_create(actor=coordinator, kind="rss")
    items = draft.data["items"]
    post: dict[str, Any] = {
        "row_version": draft.row_version,
        "q-TOTAL_FORMS": len(items),
        "q-INITIAL_FORMS": len(items),
        "q-MIN_NUM_FORMS": 0,
        "q-MAX_NUM_FORMS": 1000,
    }
    for index, item in enumerate(items):
        post[f"q-{index}-code"] = item["code"]
        post[f"q-{index}-label_fr"] = item["label"]["fr"]
    post["q-0-dimension_weight"] = "beaucoup"
    url = reverse("instruments:draft_edit", kwargs={"instrument_id": draft.pk, "section": "questionnaire"})
    response = _client(coordinator).post(url, post)
    assert response.status_code == 400
    assert 'id="id_q-0-dimension_weight_error"' in response.content.decode()
    post["q-0-dimension_weight"] = "0,5"
    post["weights_loaded"] = "on"
    response = _client(coordinator).post(url, post)
    assert response.status_code == 400
    assert _fr("Every question needs both weights once the weights are used.") in html.unescape(
        response.content.decode()
    )
    draft.refresh_from_db()
    assert draft.row_version == 1
    assert draft.data["items"][0]["dimension_weight"] is None


def test_i21_p04_view_approval_by_a_second_coordinator_with_totp(coordinator: User, second_coordinator: User) -> None:
    draft = _add_eu_state(coordinator, drafts.draft_create(actor=coordinator, kind="eligibility"), "NO")
    url = reverse("instruments:draft_approve", kwargs={"instrument_id": draft.pk})
    today = timezone.localdate().isoformat()
    response = _client(coordinator).post(
        url, {"row_version": draft.row_version, "effective_from": today, "token": factories.totp_code(coordinator)}
    )
    assert response.status_code == 400
    client = _client(second_coordinator)
    response = client.post(url, {"row_version": draft.row_version, "effective_from": today, "token": "123456"})
    assert response.status_code == 400
    assert 'id="id_token_error"' in response.content.decode()
    assert instruments.current("eligibility").pk != draft.pk
    # The failed code throttles the device for a moment (django-otp); a person would simply retry.
    TOTPDevice.objects.filter(user=second_coordinator).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    response = client.post(
        url,
        {"row_version": draft.row_version, "effective_from": today, "token": factories.totp_code(second_coordinator)},
    )
    assert response.status_code == 302
    assert instruments.current("eligibility").pk == draft.pk
