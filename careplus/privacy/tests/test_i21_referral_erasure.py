"""Erasure of a referral that never became a case (issue 21, GDPR art. 17): service, request, pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks

from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.accounts.services import StepUpFailed
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.models import AuditEvent
from careplus.cases import services as case_services
from careplus.cases.models import Case
from careplus.core import crypto
from careplus.core.errors import RuleViolation
from careplus.core.fields import ERASED, encrypted_fields
from careplus.core.models import DataKey
from careplus.privacy import access_export, erasure
from careplus.privacy.models import ErasureRequest, ErasureStatus
from careplus.referrals import services as referral_services
from careplus.referrals.choices import DecisionOutcome, ReferralStatus
from careplus.referrals.models import Referral, ReferralDecision, Screening
from careplus.search.selectors import search
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


def _referral(**person: Any) -> Referral:
    """A referral of the canary person, screened, still awaiting a decision."""
    factories.make_programme()
    referral = factories.make_referral(
        family_name=factories.CANARY, safety_concerns="Le réseau connaît son adresse.", **person
    )
    referral_services.screening_record(
        actor=factories.make_user(Role.COORDINATOR), referral=referral, indicator_list="adult_labour", present=[]
    )
    return Referral.objects.get(pk=referral.pk)


def _decided(referral: Referral, outcome: str, **extra: Any) -> Referral:
    referral_services.referral_decide(
        actor=factories.make_user(Role.COORDINATOR),
        referral=referral,
        outcome=outcome,
        expected_version=referral.version,
        **extra,
    )
    return Referral.objects.get(pk=referral.pk)


def _accepted(captured: DjangoCaptureOnCommitCallbacks) -> Referral:
    factories.make_office("TUN", country="TN")
    referral = _referral()
    with captured(execute=True):
        referral = _decided(referral, DecisionOutcome.ACCEPT, reason="Conditions réunies.")
    assert referral.case_id is not None
    return referral


def _case_of(referral: Referral) -> Case:
    assert referral.case is not None
    return Case.objects.get(pk=referral.case.pk)


def _requested(dpo: User, referral: Referral) -> ErasureRequest:
    return erasure.erasure_request(actor=dpo, reference=referral.reference, reason=REASON)


def _approve(request: ErasureRequest, approver: User) -> ErasureRequest:
    return erasure.erasure_approve(
        actor=approver, request=request, expected_version=request.version, code=factories.totp_code(approver)
    )


# The service ---------------------------------------------------------------------------------------


def test_i21_referral_erase_shreds_every_encrypted_field_and_clears_the_indexes() -> None:
    referral = _referral()
    referral = _decided(referral, DecisionOutcome.NOT_ELIGIBLE, reason="Hors du champ du programme, Leila.")
    key_id = referral.data_key_id
    assert referral.person_index
    assert referral.name_index
    actor = factories.make_user(Role.COORDINATOR)

    erased = referral_services.referral_erase(actor=actor, referral=referral)

    assert erased.erased_at is not None
    crypto.forget_keys()
    fresh = Referral.objects.get(pk=referral.pk)
    for field in encrypted_fields(Referral):
        assert getattr(fresh, field.attname) in (ERASED, None), field.name
    assert fresh.family_name is ERASED
    assert fresh.safety_concerns is ERASED
    assert fresh.person_index == ""
    assert fresh.name_index == ""
    assert DataKey.objects.get(pk=key_id).wrapped is None
    assert Screening.objects.get(referral=fresh).answers is ERASED
    assert ReferralDecision.objects.get(referral=fresh).reason is ERASED
    # No ciphertext is left in the rows: only tombstones.
    raw = Referral.objects.filter(pk=referral.pk).values_list("family_name", flat=True).get()
    assert bytes(raw) == b"\x00"
    # Statistical fields stay, and a decided referral keeps its status.
    assert fresh.status == ReferralStatus.NOT_ELIGIBLE
    assert fresh.sex == "f"
    assert fresh.country_of_return == "TN"
    erase_events = _events(referral, AuditAction.ERASE)
    assert [(e.actor_id, e.field_names) for e in erase_events] == [(str(actor.pk), ["erased_at"])]
    assert factories.CANARY not in str([e.field_names for e in AuditEvent.objects.all()])


def test_i21_referral_erase_closes_a_pending_referral_as_withdrawn_and_nothing_more_is_recorded_on_it() -> None:
    referral = _referral()
    erased = referral_services.referral_erase(actor=factories.make_user(Role.COORDINATOR), referral=referral)
    assert erased.status == ReferralStatus.WITHDRAWN
    assert [e.field_names for e in _events(referral, AuditAction.ERASE)] == [["erased_at", "status"]]
    with pytest.raises(RuleViolation, match="was erased"):
        referral_services.screening_record(
            actor=factories.make_user(Role.COORDINATOR), referral=erased, indicator_list="adult_labour", present=[]
        )
    with pytest.raises(RuleViolation, match="was erased"):
        _decided(erased, DecisionOutcome.ACCEPT, reason="x")
    assert Referral.objects.get(pk=referral.pk).case_id is None


def test_i21_referral_erase_refuses_a_referral_that_became_a_case_and_names_the_case(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    referral = _accepted(django_capture_on_commit_callbacks)
    case = _case_of(referral)
    with pytest.raises(RuleViolation, match=case.reference):
        referral_services.referral_erase(actor=factories.make_user(Role.COORDINATOR), referral=referral)
    crypto.forget_keys()
    fresh = Referral.objects.get(pk=referral.pk)
    assert fresh.erased_at is None
    assert fresh.family_name == factories.CANARY
    assert fresh.person_index == referral.person_index
    assert not _events(referral, AuditAction.ERASE)


def test_i21_referral_erase_refuses_twice() -> None:
    referral = _referral()
    referral_services.referral_erase(actor=None, referral=referral)
    with pytest.raises(RuleViolation, match="already erased"):
        referral_services.referral_erase(actor=None, referral=referral)


def test_i21_an_erased_referral_is_no_longer_found_by_name_nor_flagged_as_a_duplicate(coordinator: User) -> None:
    referral = _referral()
    query = f"Leila {factories.CANARY}"
    assert [r.pk for r in search(actor=coordinator, query=query).referrals] == [referral.pk]
    referral_services.referral_erase(actor=coordinator, referral=referral)
    assert search(actor=coordinator, query=query).referrals == []
    # Still found by its number (nothing personal is shown for it).
    assert [r.pk for r in search(actor=coordinator, query=referral.reference).referrals] == [referral.pk]
    # A new referral of the same person is no longer a possible duplicate of the erased one.
    again = factories.make_referral(family_name=factories.CANARY, confirm_duplicate=False)
    assert again.possible_duplicate is False


def test_i21_erasing_a_case_marks_its_referral_erased_too(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    referral = _accepted(django_capture_on_commit_callbacks)
    case = case_services.case_erase(actor=None, case=_case_of(referral))
    fresh = Referral.objects.get(pk=referral.pk)
    assert fresh.erased_at == case.erased_at
    assert fresh.person_index == ""
    assert fresh.name_index == ""


# The request and its approval ------------------------------------------------------------------------


def test_i21_dpo_requests_the_erasure_of_a_referral_by_its_number(dpo: User) -> None:
    referral = _referral()
    request = erasure.erasure_request(actor=dpo, reference=f" {referral.reference.lower()} ", reason=REASON)
    assert request.referral == referral
    assert request.case is None
    assert request.is_referral
    assert request.reference == referral.reference
    assert request.subject_label == f"Referral {referral.reference}"
    assert [e.field_names for e in _events(request, AuditAction.CREATE)] == [["reason", "referral"]]
    assert Referral.objects.get(pk=referral.pk).erased_at is None


def test_i21_a_referral_that_became_a_case_is_refused_with_the_case_number_and_audited(
    dpo: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    referral = _accepted(django_capture_on_commit_callbacks)
    case = _case_of(referral)
    with pytest.raises(erasure.ErasureRefused) as refused:
        _requested(dpo, referral)
    assert case.reference in str(refused.value.message)
    assert refused.value.extra["field"] == "reference"
    assert not ErasureRequest.objects.exists()
    denied = _events(referral, AuditAction.DENIED)
    assert [(e.field_names, e.outcome) for e in denied] == [(["referral_has_case"], AuditOutcome.DENIED)]
    # The case file's erasure is the way.
    assert erasure.erasure_request(actor=dpo, reference=case.reference, reason=REASON).case == case


def test_i21_one_open_request_per_referral(dpo: User) -> None:
    referral = _referral()
    _requested(dpo, referral)
    with pytest.raises(RuleViolation, match="already awaiting approval"):
        _requested(dpo, referral)
    assert ErasureRequest.objects.count() == 1


def test_i21_a_request_names_exactly_one_file(dpo: User) -> None:
    from django.db import IntegrityError, transaction

    referral = _referral()
    case = factories.make_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        ErasureRequest.objects.create(case=case, referral=referral, reason=REASON, requested_by=dpo)
    with pytest.raises(IntegrityError), transaction.atomic():
        ErasureRequest.objects.create(reason=REASON, requested_by=dpo)


def test_i21_the_requester_cannot_approve_the_erasure_of_a_referral(dpo: User) -> None:
    referral = _referral()
    request = _requested(dpo, referral)
    with pytest.raises(erasure.ErasureRefused, match="another data protection officer"):
        _approve(request, dpo)
    crypto.forget_keys()
    fresh = Referral.objects.get(pk=referral.pk)
    assert fresh.erased_at is None
    assert fresh.family_name == factories.CANARY
    assert ErasureRequest.objects.get(pk=request.pk).status == ErasureStatus.REQUESTED


@pytest.mark.parametrize("code", [None, "", "000000x"])
def test_i21_a_wrong_code_erases_nothing(dpo: User, coordinator: User, code: str | None) -> None:
    referral = _referral()
    request = _requested(dpo, referral)
    with pytest.raises(StepUpFailed):
        erasure.erasure_approve(actor=coordinator, request=request, expected_version=request.version, code=code)
    crypto.forget_keys()
    fresh = Referral.objects.get(pk=referral.pk)
    assert fresh.erased_at is None
    assert fresh.family_name == factories.CANARY
    assert fresh.person_index == referral.person_index
    assert fresh.status == ReferralStatus.RECEIVED
    assert ErasureRequest.objects.get(pk=request.pk).status == ErasureStatus.REQUESTED
    assert [e.field_names for e in _events(request, AuditAction.DENIED)] == [["step_up"]]


def test_i21_approval_erases_the_referral_and_records_its_certificate(dpo: User, coordinator: User) -> None:
    referral = _decided(_referral(), DecisionOutcome.WITHDRAW)
    request = _requested(dpo, referral)
    done = _approve(request, coordinator)
    assert done.status == ErasureStatus.ERASED
    crypto.forget_keys()
    fresh = Referral.objects.get(pk=referral.pk)
    assert fresh.erased_at is not None
    assert fresh.family_name is ERASED
    certificate = ErasureRequest.objects.get(pk=request.pk).certificate
    assert certificate["referral_reference"] == referral.reference
    assert "case_reference" not in certificate
    assert certificate["approved_by"] == coordinator.full_name
    destroyed = {group["record"]: group["fields"] for group in certificate["destroyed"]}
    kept = {group["record"]: group["fields"] for group in certificate["kept"]}
    assert {"given names", "family name", "date of birth", "safety concerns"} <= set(destroyed["referral"])
    assert "indicators present" in destroyed["screening"]
    assert "reasons" in destroyed["decision"]
    assert {"sex", "nationality", "status"} <= set(kept["referral"])
    assert "case" not in destroyed
    assert factories.CANARY not in str(certificate)
    assert len(_events(referral, AuditAction.ERASE)) == 1
    request.refresh_from_db()
    context = erasure.certificate_context(request)
    assert context["reference"] == referral.reference
    assert context["is_referral"] is True
    assert erasure.certificate_pdf(actor=dpo, request=request).startswith(b"%PDF")


def test_i21_a_referral_accepted_after_the_request_is_no_longer_erased_by_it(
    dpo: User, coordinator: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    factories.make_office("TUN", country="TN")
    referral = _referral()
    request = _requested(dpo, referral)
    with django_capture_on_commit_callbacks(execute=True):
        referral = _decided(referral, DecisionOutcome.ACCEPT, reason="Conditions réunies.")
    case = _case_of(referral)
    with pytest.raises(erasure.ErasureRefused, match=case.reference):
        _approve(request, coordinator)
    assert Referral.objects.get(pk=referral.pk).erased_at is None
    assert Case.objects.get(pk=case.pk).erased_at is None
    assert ErasureRequest.objects.get(pk=request.pk).status == ErasureStatus.REQUESTED
    assert [e.field_names for e in _events(request, AuditAction.DENIED)] == [["referral_has_case"]]


def test_i21_an_erased_referral_gives_nothing_to_an_access_request(dpo: User) -> None:
    referral = _referral()
    referral_services.referral_erase(actor=None, referral=referral)
    with pytest.raises(RuleViolation, match="was erased"):
        access_export.subject_of(dpo, referral.reference)


# Pages ---------------------------------------------------------------------------------------------


def test_i21_dpo_requests_a_referral_on_the_page_and_the_lists_show_its_kind(
    dpo: User, coordinator: User, signed_in: Any
) -> None:
    referral = _referral()
    client = signed_in(dpo)
    response = client.post(reverse("privacy:erasure_request"), {"reference": referral.reference, "reason": REASON})
    assert response.status_code == 302
    request = ErasureRequest.objects.get()
    assert request.referral_id == referral.pk
    page = signed_in(coordinator).get(reverse("privacy:erasure_list")).content.decode()
    with translation.override("fr"):
        label = request.subject_label
    assert escape(label) in page
    assert factories.CANARY not in page
    detail = signed_in(coordinator).get(reverse("privacy:erasure_detail", kwargs={"request_id": request.pk}))
    assert detail.status_code == 200
    assert referral.reference in detail.content.decode()
    assert factories.CANARY not in detail.content.decode()


def test_i21_a_converted_referral_on_the_page_gets_the_case_number_and_nothing_is_created(
    dpo: User, signed_in: Any, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    referral = _accepted(django_capture_on_commit_callbacks)
    case = _case_of(referral)
    response = signed_in(dpo).post(
        reverse("privacy:erasure_request"), {"reference": referral.reference, "reason": REASON}
    )
    assert response.status_code == 400
    assert case.reference in response.content.decode()
    assert not ErasureRequest.objects.exists()


@pytest.mark.parametrize("role", [Role.PARTNER, Role.CASEWORKER, Role.COORDINATOR, Role.AUDITOR])
def test_i21_only_the_dpo_may_request_the_erasure_of_a_referral(role: Role, signed_in: Any) -> None:
    referral = _referral()
    user = factories.make_user(role, organisation=referral.organisation) if role == Role.PARTNER else None
    user = user or factories.make_user(role)
    response = signed_in(user).post(
        reverse("privacy:erasure_request"), {"reference": referral.reference, "reason": REASON}
    )
    assert response.status_code in (403, 404)
    assert not ErasureRequest.objects.exists()


@pytest.mark.parametrize("role", [Role.PARTNER, Role.CASEWORKER])
def test_i21_partner_and_caseworker_never_see_or_decide_a_referral_erasure(
    role: Role, dpo: User, signed_in: Any
) -> None:
    referral = _referral()
    request = _requested(dpo, referral)
    user = factories.make_user(role, organisation=referral.organisation) if role == Role.PARTNER else None
    client = signed_in(user or factories.make_user(role))
    assert client.get(reverse("privacy:erasure_list")).status_code == 404
    assert client.get(reverse("privacy:erasure_detail", kwargs={"request_id": request.pk})).status_code == 404
    url = reverse("privacy:erasure_approve", kwargs={"request_id": request.pk})
    assert client.post(url, {"version": request.version, "code": "123456"}).status_code == 404
    assert Referral.objects.get(pk=referral.pk).erased_at is None


def test_i21_coordinator_approves_a_referral_erasure_on_the_page(dpo: User, coordinator: User, signed_in: Any) -> None:
    referral = _referral()
    request = _requested(dpo, referral)
    client = signed_in(coordinator)
    url = reverse("privacy:erasure_approve", kwargs={"request_id": request.pk})
    response = client.post(url, {"version": request.version, "code": "123456x"})
    assert response.status_code == 400
    assert Referral.objects.get(pk=referral.pk).erased_at is None
    response = client.post(url, {"version": request.version, "code": factories.totp_code(coordinator)})
    assert response.status_code == 302
    assert Referral.objects.get(pk=referral.pk).erased_at is not None
    pdf = client.get(reverse("privacy:erasure_certificate", kwargs={"request_id": request.pk}))
    assert pdf.status_code == 200
    assert referral.reference in pdf["Content-Disposition"]


def test_i21_the_erased_referral_page_and_lists_show_no_personal_data(
    coordinator: User, signed_in: Any, django_assert_max_num_queries: Any
) -> None:
    referral = _referral()
    others = [factories.make_referral(family_name=factories.CANARY, given_names=f"Nour{i}") for i in range(3)]
    for other in others:
        referral_services.referral_erase(actor=None, referral=other)
    referral_services.referral_erase(actor=None, referral=referral)
    client = signed_in(coordinator)
    page = client.get(reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk}))
    assert page.status_code == 200
    html = page.content.decode()
    assert referral.reference in html
    assert factories.CANARY not in html
    assert "Leila" not in html
    assert "réseau" not in html
    assert fr("Record an identification screening") not in html
    assert fr("Record the decision") not in html
    screening = client.get(reverse("referrals:referral_screening", kwargs={"referral_id": referral.pk}))
    assert screening.status_code == 302
    with django_assert_max_num_queries(20):
        listing = client.get(reverse("referrals:referral_list"))
    assert listing.status_code == 200
    assert factories.CANARY not in listing.content.decode()
    assert referral.reference in listing.content.decode()
    found = client.post(reverse("search:search"), {"q": f"Leila {factories.CANARY}"})
    assert referral.reference not in found.content.decode()


def test_i21_the_partner_follows_an_erased_referral_by_its_status(signed_in: Any) -> None:
    referral = _referral()
    referral_services.referral_erase(actor=None, referral=referral)
    partner = factories.make_user(Role.PARTNER, organisation=referral.organisation)
    client = signed_in(partner)
    page = client.get(reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk}))
    assert page.status_code == 200
    assert factories.CANARY not in page.content.decode()
    assert client.get(reverse("referrals:referral_list")).status_code == 200
