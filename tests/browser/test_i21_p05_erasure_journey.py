"""Erasure on request: the DPO asks, a coordinator approves with a fresh code, the certificate is downloaded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from django.utils import translation

from careplus.access.roles import Role
from careplus.cases.models import Case
from careplus.core import crypto
from careplus.core.fields import ERASED
from careplus.privacy.models import ErasureRequest, ErasureStatus
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def fr(msgid: str) -> str:
    with translation.override("fr"):
        return translation.gettext(msgid)


def test_i21_p05_dpo_requests_coordinator_approves_and_downloads_the_certificate(
    new_page: Callable[[], Page], live_server: object, artifacts: Path
) -> None:
    base = str(live_server)
    dpo = factories.make_user(Role.DPO)
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(family_name=factories.CANARY)

    page = new_page()
    sign_in(page, base, dpo)
    page.get_by_role("navigation", name="Menu principal").get_by_role("link", name=fr("Erasure requests")).click()
    page.get_by_label(fr("Case or referral number")).fill(case.reference)
    page.get_by_role("button", name=fr("Request the erasure")).click()
    expect(page.get_by_text(fr("This field is required.")).first).to_be_visible()
    page.get_by_label(fr("Case or referral number")).fill(case.reference)
    page.get_by_label(fr("Reason for the erasure")).fill("Demande écrite de la personne reçue le 3 mars.")
    page.get_by_role("button", name=fr("Request the erasure")).click()
    expect(page.get_by_text(fr("Erasure requested. A second person must now approve it."))).to_be_visible()
    expect(page.get_by_role("button", name=fr("Approve and erase"))).to_have_count(0)
    assert serious_accessibility_violations(page) == []
    page.screenshot(path=str(artifacts / "i21-erasure-requested.png"), full_page=True)

    approver = new_page()
    sign_in(approver, base, coordinator)
    approver.get_by_role("navigation", name="Menu principal").get_by_role("link", name=fr("Erasure requests")).click()
    expect(approver.get_by_text(factories.CANARY)).to_have_count(0)
    approver.get_by_role("link", name=case.reference).click()
    approver.get_by_label(fr("Authenticator code")).fill(
        "000000" if factories.totp_code(coordinator, offset_steps=1) != "000000" else "111111"
    )
    approver.get_by_role("button", name=fr("Approve and erase")).click()
    expect(
        approver.get_by_text(fr("This code is not valid. Check the time on your phone and try again."))
    ).to_be_visible()
    assert Case.objects.get(pk=case.pk).erased_at is None
    assert serious_accessibility_violations(approver) == []
    approver.screenshot(path=str(artifacts / "i21-erasure-approval.png"), full_page=True)

    # A failed code slows the next attempt down (django-otp throttling): wait it out, then the next code.
    approver.wait_for_timeout(2100)
    approver.get_by_label(fr("Authenticator code")).fill(factories.totp_code(coordinator, offset_steps=1))
    approver.get_by_role("button", name=fr("Approve and erase")).click()
    expect(approver.get_by_text(fr("Erasure approved: the file's personal data was destroyed."))).to_be_visible()
    with approver.expect_download() as download_info:
        approver.get_by_role("link", name=fr("Download the certificate (PDF)")).click()
    download = download_info.value
    target = artifacts / "i21-erasure-certificate.pdf"
    download.save_as(str(target))
    assert target.read_bytes().startswith(b"%PDF")
    approver.screenshot(path=str(artifacts / "i21-erasure-done.png"), full_page=True)

    assert ErasureRequest.objects.get().status == ErasureStatus.ERASED
    crypto.forget_keys()
    assert Case.objects.get(pk=case.pk).family_name is ERASED
