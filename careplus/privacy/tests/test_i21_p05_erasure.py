"""Erasure on request (issue 21, point 5, with the step-up of point 8): rules, pages, audit."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.accounts.services import StepUpFailed
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.models import AuditEvent
from careplus.cases.models import Case, LegalSituation
from careplus.core import crypto
from careplus.core.errors import RuleViolation, StaleObject
from careplus.core.fields import ERASED
from careplus.core.models import DataKey
from careplus.privacy import erasure
from careplus.privacy.models import ErasureRequest, ErasureStatus
from careplus.referrals import services as referral_services
from careplus.referrals.choices import DecisionOutcome
from careplus.referrals.models import Referral
from tests import factories

pytestmark = pytest.mark.django_db

REASON = "Demande écrite de la personne reçue le 3 mars."


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Service messages are matched on their English msgids; pages are read in French through `fr`."""
    with translation.override("en"):
        yield


def fr(msgid: str) -> str:
    """The French text of a message, as the page shows it (escaped like the templates do)."""
    with translation.override("fr"):
        return str(escape(translation.gettext(msgid)))


def _events(obj: Any, action: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk), action=action).order_by(
            "seq"
        )
    )


def _hearing(case: Case, day: datetime.date) -> None:
    LegalSituation.objects.create(case=case, next_hearing_on=day, updated_by=factories.system_user())


def _case_of(request: ErasureRequest) -> Case:
    assert request.case is not None
    return request.case


def _requested(dpo: User, case: Case | None = None) -> ErasureRequest:
    case = case or factories.make_case(family_name=factories.CANARY)
    return erasure.erasure_request(actor=dpo, reference=case.reference, reason=REASON)


def test_i21_p05_a_request_is_recorded_and_audited_with_the_file_number_only(dpo: User) -> None:
    case = factories.make_case(family_name=factories.CANARY)
    request = erasure.erasure_request(actor=dpo, reference=f"  {case.reference.lower()} ", reason=REASON)
    assert request.status == ErasureStatus.REQUESTED
    assert request.case == case
    assert request.requested_by == dpo
    created = _events(request, AuditAction.CREATE)
    assert [e.field_names for e in created] == [["case", "reason"]]
    assert Case.objects.get(pk=case.pk).erased_at is None


@pytest.mark.parametrize("reason", ["", "   ", "Motif\u202e inversé"])
def test_i21_p05_a_request_without_a_clean_reason_is_refused_and_nothing_is_created(dpo: User, reason: str) -> None:
    case = factories.make_case()
    with pytest.raises(RuleViolation) as refused:
        erasure.erasure_request(actor=dpo, reference=case.reference, reason=reason)
    assert refused.value.extra["field"] == "reason"
    assert not ErasureRequest.objects.exists()


def test_i21_p05_an_unknown_number_is_refused(dpo: User) -> None:
    with translation.override("en"), pytest.raises(RuleViolation, match="No case file or referral has this number"):
        erasure.erasure_request(actor=dpo, reference="CARE-1999-999", reason=REASON)
    assert not ErasureRequest.objects.exists()


def test_i21_p05_a_file_with_a_hearing_ahead_is_refused_with_the_reason_and_audited(dpo: User) -> None:
    case = factories.make_case()
    _hearing(case, timezone.localdate() + datetime.timedelta(days=30))
    with pytest.raises(erasure.ErasureRefused, match="hearing ahead"):
        erasure.erasure_request(actor=dpo, reference=case.reference, reason=REASON)
    assert not ErasureRequest.objects.exists()
    denied = _events(case, AuditAction.DENIED)
    assert [(e.field_names, e.outcome) for e in denied] == [(["hearing_ahead"], AuditOutcome.DENIED)]


def test_i21_p05_a_past_hearing_does_not_hold_the_file(dpo: User) -> None:
    case = factories.make_case()
    _hearing(case, timezone.localdate() - datetime.timedelta(days=1))
    assert erasure.erasure_request(actor=dpo, reference=case.reference, reason=REASON).pk


def test_i21_p05_a_second_open_request_for_the_same_file_is_refused(dpo: User) -> None:
    request = _requested(dpo)
    with translation.override("en"), pytest.raises(RuleViolation, match="already awaiting approval"):
        erasure.erasure_request(actor=dpo, reference=request.reference, reason=REASON)
    assert ErasureRequest.objects.count() == 1


def test_i21_p05_the_requester_can_never_approve_their_own_request(dpo: User) -> None:
    request = _requested(dpo)
    with pytest.raises(erasure.ErasureRefused, match="another data protection officer"):
        erasure.erasure_approve(
            actor=dpo, request=request, expected_version=request.version, code=factories.totp_code(dpo)
        )
    assert Case.objects.get(pk=_case_of(request).pk).erased_at is None
    assert ErasureRequest.objects.get(pk=request.pk).status == ErasureStatus.REQUESTED
    assert [e.field_names for e in _events(request, AuditAction.DENIED)] == [["same_person"]]
    # The refusal came before the code was checked: the code was not used up.
    assert not AuditEvent.objects.filter(action=AuditAction.SECOND_FACTOR, actor_id=str(dpo.pk)).exists()


@pytest.mark.parametrize("code", [None, "", "000000x"])
def test_i21_p05_approval_needs_a_fresh_second_factor_code(dpo: User, coordinator: User, code: str | None) -> None:
    request = _requested(dpo)
    with pytest.raises(StepUpFailed):
        erasure.erasure_approve(actor=coordinator, request=request, expected_version=request.version, code=code)
    crypto.forget_keys()
    case = Case.objects.get(pk=_case_of(request).pk)
    assert case.erased_at is None
    assert case.family_name == factories.CANARY
    assert ErasureRequest.objects.get(pk=request.pk).status == ErasureStatus.REQUESTED
    assert [e.field_names for e in _events(request, AuditAction.DENIED)] == [["step_up"]]


def test_i21_p05_a_hearing_set_after_the_request_blocks_the_approval(dpo: User, coordinator: User) -> None:
    request = _requested(dpo)
    _hearing(_case_of(request), timezone.localdate())
    with pytest.raises(erasure.ErasureRefused, match="hearing ahead"):
        erasure.erasure_approve(
            actor=coordinator, request=request, expected_version=request.version, code=factories.totp_code(coordinator)
        )
    assert Case.objects.get(pk=_case_of(request).pk).erased_at is None


def test_i21_p05_a_stale_approval_is_refused(dpo: User, coordinator: User) -> None:
    request = _requested(dpo)
    with pytest.raises(StaleObject):
        erasure.erasure_approve(
            actor=coordinator,
            request=request,
            expected_version=request.version + 1,
            code=factories.totp_code(coordinator),
        )
    assert Case.objects.get(pk=_case_of(request).pk).erased_at is None


def _accepted_case(coordinator: User, django_capture_on_commit_callbacks: Any) -> tuple[Case, Referral]:
    factories.make_programme()
    factories.make_office("TUN", country="TN")
    referral = factories.make_referral(family_name=factories.CANARY)
    with django_capture_on_commit_callbacks(execute=True):
        referral_services.referral_decide(
            actor=coordinator,
            referral=referral,
            outcome=DecisionOutcome.ACCEPT,
            expected_version=referral.version,
            reason="Conditions réunies.",
        )
    referral.refresh_from_db()
    assert referral.case is not None
    return referral.case, referral


def test_i21_p05_approval_erases_the_file_and_its_referral_and_records_the_certificate(
    dpo: User, coordinator: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    case, referral = _accepted_case(coordinator, django_capture_on_commit_callbacks)
    approver = factories.make_user(Role.COORDINATOR)
    request = _requested(dpo, case)
    done = erasure.erasure_approve(
        actor=approver, request=request, expected_version=request.version, code=factories.totp_code(approver)
    )
    assert done.status == ErasureStatus.ERASED
    assert done.decided_by == approver
    crypto.forget_keys()
    case = Case.objects.select_related("data_key").get(pk=case.pk)
    assert case.erased_at is not None
    assert case.family_name is ERASED
    assert case.given_names is ERASED
    assert DataKey.objects.get(pk=case.data_key_id).wrapped is None
    # The referral it came from is unreadable and can no longer be found by its blind index.
    referral = Referral.objects.get(pk=referral.pk)
    assert referral.family_name is ERASED
    assert referral.person_index == ""
    assert referral.name_index == ""
    assert referral.decisions.get().reason is ERASED
    # Statistical fields stay.
    assert case.sex == "f"
    assert case.country_of_return == "TN"
    assert case.birth_year is not None

    certificate = ErasureRequest.objects.get(pk=request.pk).certificate
    assert certificate["case_reference"] == case.reference
    assert certificate["requested_by"] == dpo.full_name
    assert certificate["approved_by"] == approver.full_name
    destroyed = {group["record"]: group["fields"] for group in certificate["destroyed"]}
    kept = {group["record"]: group["fields"] for group in certificate["kept"]}
    assert {"given names", "family name", "date of birth"} <= set(destroyed["case"])
    assert {"sex", "year of birth", "country of return (ISO code)", "opened on"} <= set(kept["case"])
    assert "safety concerns" in destroyed["referral"]
    assert "given names" not in kept["case"]
    assert factories.CANARY not in str(certificate)

    assert [e.field_names for e in _events(request, AuditAction.TRANSITION)] == [
        ["certificate", "decided_by", "status"]
    ]
    assert len(_events(case, AuditAction.ERASE)) == 1


def test_i21_p05_the_certificate_pdf_is_french_and_its_download_is_audited(dpo: User, coordinator: User) -> None:
    request = _requested(dpo)
    erasure.erasure_approve(
        actor=coordinator, request=request, expected_version=request.version, code=factories.totp_code(coordinator)
    )
    request.refresh_from_db()
    context = erasure.certificate_context(request)
    assert context["reference"] == request.reference
    pdf = erasure.certificate_pdf(actor=dpo, request=request)
    assert pdf.startswith(b"%PDF")
    assert [e.field_names for e in _events(request, AuditAction.EXPORT)] == [["certificate"]]


def test_i21_p05_no_certificate_before_the_erasure(dpo: User) -> None:
    request = _requested(dpo)
    with pytest.raises(RuleViolation):
        erasure.certificate_pdf(actor=dpo, request=request)


def test_i21_p05_a_refusal_needs_a_reason_leaves_the_file_and_is_audited(dpo: User, coordinator: User) -> None:
    request = _requested(dpo)
    with translation.override("en"), pytest.raises(RuleViolation, match="reason for the refusal"):
        erasure.erasure_refuse(actor=coordinator, request=request, expected_version=request.version, reason=" ")
    assert ErasureRequest.objects.get(pk=request.pk).status == ErasureStatus.REQUESTED
    refused = erasure.erasure_refuse(
        actor=coordinator, request=request, expected_version=request.version, reason="Procédure pénale en cours."
    )
    assert refused.status == ErasureStatus.REFUSED
    assert refused.decision_reason == "Procédure pénale en cours."
    assert Case.objects.get(pk=_case_of(request).pk).erased_at is None
    assert [e.field_names for e in _events(request, AuditAction.TRANSITION)] == [
        ["decided_by", "decision_reason", "status"]
    ]
    with pytest.raises(StaleObject):
        erasure.erasure_approve(
            actor=coordinator, request=refused, expected_version=refused.version, code=factories.totp_code(coordinator)
        )


# Pages -------------------------------------------------------------------------------------------


def test_i21_p05_dpo_requests_on_the_page_and_bad_input_gets_a_field_message(dpo: User, signed_in: Any) -> None:
    client = signed_in(dpo)
    case = factories.make_case()
    url = reverse("privacy:erasure_request")
    response = client.post(url, {"reference": case.reference, "reason": ""})
    assert response.status_code == 400
    assert "Ce champ est obligatoire." in response.content.decode()
    response = client.post(url, {"reference": "CARE-1999-999", "reason": REASON})
    assert response.status_code == 400
    assert fr("No case file or referral has this number.") in response.content.decode()
    assert not ErasureRequest.objects.exists()
    response = client.post(url, {"reference": case.reference, "reason": REASON})
    assert response.status_code == 302
    request = ErasureRequest.objects.get()
    page = client.get(reverse("privacy:erasure_detail", kwargs={"request_id": request.pk})).content.decode()
    assert fr("Approve and erase") not in page  # the requester never sees the approval form
    assert (
        fr("You asked for this erasure: another data protection officer or a coordinator must approve or refuse it.")
        in page
    )


def test_i21_p05_coordinator_sees_the_pending_list_without_personal_data_and_no_request_form(
    dpo: User, coordinator: User, signed_in: Any
) -> None:
    request = _requested(dpo)
    page = signed_in(coordinator).get(reverse("privacy:erasure_list")).content.decode()
    assert request.reference in page
    assert factories.CANARY not in page
    assert "Sita" not in page
    assert fr("Request the erasure") not in page


def test_i21_p05_wrong_code_on_the_page_changes_nothing(dpo: User, coordinator: User, signed_in: Any) -> None:
    request = _requested(dpo)
    url = reverse("privacy:erasure_approve", kwargs={"request_id": request.pk})
    response = signed_in(coordinator).post(url, {"version": request.version, "code": "123456x"})
    assert response.status_code == 400
    assert fr("This code is not valid. Check the time on your phone and try again.") in response.content.decode()
    assert Case.objects.get(pk=_case_of(request).pk).erased_at is None
    assert ErasureRequest.objects.get(pk=request.pk).status == ErasureStatus.REQUESTED


def test_i21_p05_coordinator_approves_on_the_page_then_downloads_the_certificate(
    dpo: User, coordinator: User, signed_in: Any
) -> None:
    request = _requested(dpo)
    client = signed_in(coordinator)
    url = reverse("privacy:erasure_approve", kwargs={"request_id": request.pk})
    response = client.post(url, {"version": request.version, "code": factories.totp_code(coordinator)})
    assert response.status_code == 302
    assert Case.objects.get(pk=_case_of(request).pk).erased_at is not None
    page = client.get(reverse("privacy:erasure_detail", kwargs={"request_id": request.pk})).content.decode()
    assert fr("Approved and erased") in page
    pdf = client.get(reverse("privacy:erasure_certificate", kwargs={"request_id": request.pk}))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
