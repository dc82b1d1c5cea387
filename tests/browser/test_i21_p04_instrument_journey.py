"""Issue 21, point 4: coordinator A drafts new eligibility parameters, coordinator B approves them with a code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from django.utils import timezone, translation

from careplus.access.roles import Role
from careplus.core import instruments
from careplus.core.models import Instrument
from careplus.referrals import services as referral_services
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def fr(msgid: str) -> str:
    with translation.override("fr"):
        return translation.gettext(msgid)


def test_i21_p04_coordinator_drafts_eu_member_state_and_another_approves_with_totp(
    new_page: Callable[[], Page], live_server: object, artifacts: Path
) -> None:
    base = str(live_server)
    author = factories.make_user(Role.COORDINATOR, email="coordination.a@example.test")
    approver = factories.make_user(Role.COORDINATOR, email="coordination.b@example.test")
    factories.make_programme()
    referral = factories.make_referral(country_of_return="NO")
    in_force = instruments.current("eligibility")

    page = new_page()
    sign_in(page, base, author)
    page.get_by_role("link", name=fr("Instruments")).first.click()
    page.locator("form[action$='/instruments/eligibility/brouillon/'] button").click()
    page.locator("a[href$='/modifier/parametres/']").click()
    page.get_by_label("Norvège").check()
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "i21-p04-instrument-edit.png"))
    page.locator("main form button[type=submit]").click()
    changes = page.locator("ul.changes")
    expect(changes).to_contain_text("Norvège")
    # The author sees no approval form.
    expect(page.locator("form[action$='/approuver/']")).to_have_count(0)
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "i21-p04-instrument-draft.png"), full_page=True)
    draft = Instrument.objects.get(kind="eligibility", status=Instrument.Status.DRAFT)
    assert "NO" in draft.data["eu_member_states"]
    assert instruments.current("eligibility") == in_force

    page = new_page()
    sign_in(page, base, approver)
    page.goto(f"{base}/instruments/versions/{draft.pk}/")
    expect(page.locator("ul.changes")).to_contain_text("Norvège")
    approval = page.locator("form[action$='/approuver/']")
    approval.locator("#id_effective_from").fill(timezone.localdate().isoformat())
    approval.locator("#id_token").fill(factories.totp_code(approver, offset_steps=1))
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "i21-p04-instrument-approval.png"), full_page=True)
    approval.locator("button[type=submit]").click()
    expect(page.locator(".message--success")).to_be_visible()
    expect(page.locator("form[action$='/approuver/']")).to_have_count(0)
    page.screenshot(path=str(artifacts / "i21-p04-instrument-approved.png"), full_page=True)

    draft.refresh_from_db()
    assert draft.status == Instrument.Status.APPROVED
    assert draft.decided_by == approver
    assert instruments.current("eligibility") == draft
    rules, version = referral_services.current_eligibility(referral)
    assert {rule.code: rule.outcome for rule in rules}["outside_eu"] == "fail"
    assert version == draft.version
