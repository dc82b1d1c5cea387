"""Erasure of a referral that never became a case: the DPO asks by its number, a coordinator approves."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from django.utils import translation

from careplus.access.roles import Role
from careplus.core import crypto
from careplus.core.fields import ERASED
from careplus.privacy.models import ErasureRequest, ErasureStatus
from careplus.referrals.models import Referral
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def fr(msgid: str) -> str:
    with translation.override("fr"):
        return translation.gettext(msgid)


def test_i21_dpo_requests_a_referral_erasure_coordinator_approves_and_the_referral_shows_erased(
    new_page: Callable[[], Page], live_server: object, artifacts: Path
) -> None:
    base = str(live_server)
    dpo = factories.make_user(Role.DPO)
    coordinator = factories.make_user(Role.COORDINATOR)
    factories.make_programme()
    referral = factories.make_referral(family_name=factories.CANARY)

    page = new_page()
    sign_in(page, base, dpo)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name=fr("Erasure requests")).click()
    page.get_by_label(fr("Case or referral number")).fill(referral.reference)
    page.get_by_label(fr("Reason for the erasure")).fill("Demande écrite de la personne reçue le 3 mars.")
    page.get_by_role("button", name=fr("Request the erasure")).click()
    expect(page.get_by_text(fr("Erasure requested. A second person must now approve it."))).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text(referral.reference)
    expect(page.get_by_role("button", name=fr("Approve and erase"))).to_have_count(0)
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "i21-referral-erasure-requested.png"), full_page=True)

    approver = new_page()
    sign_in(approver, base, coordinator)
    approver.get_by_role("navigation", name="Menu principal").get_by_role("link", name=fr("Erasure requests")).click()
    expect(approver.get_by_text(factories.CANARY)).to_have_count(0)
    with translation.override("fr"):
        label = ErasureRequest.objects.get().subject_label
    approver.get_by_role("link", name=label).click()
    # The sign-in used the current code (no replay): the next one is accepted.
    approver.get_by_label(fr("Authenticator code")).fill(factories.totp_code(coordinator, offset_steps=1))
    approver.get_by_role("button", name=fr("Approve and erase")).click()
    expect(approver.get_by_text(fr("Erasure approved: the file's personal data was destroyed."))).to_be_visible()
    expect(approver.get_by_role("link", name=fr("Download the certificate (PDF)"))).to_be_visible()
    assert serious_accessibility_violations(approver) == []
    approver.screenshot(path=str(artifacts / "i21-referral-erasure-done.png"), full_page=True)

    # The referral's page and the referral list show it without any personal data.
    approver.goto(f"{base}/orientations/{referral.pk}/")
    expect(approver.get_by_role("heading", level=1)).to_contain_text(referral.reference)
    expect(approver.get_by_text(factories.CANARY)).to_have_count(0)
    assert serious_accessibility_violations(approver) == []
    approver.screenshot(path=str(artifacts / "i21-referral-erased-page.png"), full_page=True)
    approver.goto(f"{base}/orientations/")
    expect(approver.get_by_role("link", name=referral.reference)).to_be_visible()
    expect(approver.get_by_text(factories.CANARY)).to_have_count(0)

    assert ErasureRequest.objects.get().status == ErasureStatus.ERASED
    crypto.forget_keys()
    erased = Referral.objects.get(pk=referral.pk)
    assert erased.family_name is ERASED
    assert erased.name_index == ""
