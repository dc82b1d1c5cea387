"""Every URL pattern and persona answers the status the policy expects.

A route missing from MATRIX fails the suite: each new page must state who may reach it.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import pytest

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from careplus.access.roles import Role
from careplus.accounts import services as account_services
from careplus.accounts.models import RoleGrant, User
from careplus.cases import services as case_services
from careplus.cases.models import Consent, Handover
from careplus.returns.models import ArrivalItem, FollowUpAlert, PlanItem
from careplus.trainings.models import SessionMaterial
from tests import factories

PERSONAS = ["anonymous", "password_only", *[role.value for role in Role]]
ROLES = [role.value for role in Role]


@dataclass(frozen=True)
class Route:
    """How to call one route and what each persona gets."""

    method: str = "get"
    expect: dict[str, int] = field(default_factory=dict)
    kwargs: Callable[[dict[str, Any]], dict[str, Any]] = lambda ctx: {}
    data: Callable[[dict[str, Any]], dict[str, Any]] = lambda ctx: {}
    protected: bool = True  # anonymous and password-only are sent to sign in
    api: bool = False  # JSON in, 401 (not a redirect) without both factors

    def status_for(self, persona: str) -> int:
        return self.expect[persona]


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(PERSONAS, status)


def verified(ok: int, *, only: set[str] | None = None) -> dict[str, int]:
    """Sign-in redirects for anonymous and password-only; ok for the roles allowed, else 404."""
    allowed = set(ROLES) if only is None else only
    statuses = {"anonymous": 302, "password_only": 302}
    statuses.update({role: ok if role in allowed else 404 for role in ROLES})
    return statuses


DPO_ONLY = {Role.DPO.value}
REGISTER_READERS = {Role.DPO.value, Role.COORDINATOR.value, Role.AUDITOR.value}


def api(ok: int, *, only: set[str] | None = None) -> dict[str, int]:
    """401 for anonymous and password-only sessions; ok for the roles allowed, else 404."""
    allowed = set(ROLES) if only is None else only
    statuses = {"anonymous": 401, "password_only": 401}
    statuses.update({role: ok if role in allowed else 404 for role in ROLES})
    return statuses


def _target(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"user_id": ctx["target"].pk}


def _grant(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"user_id": ctx["target"].pk, "grant_id": ctx["target_grant"].pk}


def _leaver(ctx: dict[str, Any]) -> dict[str, Any]:
    """A caseworker of the shared office (the staff-leaving page is for caseworkers only)."""
    return {"user_id": factories.make_user(Role.CASEWORKER, office=factories.shared_office()).pk}


def _version(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"version": ctx["target"].version}


ORGANISATION_MANAGERS = {Role.DPO.value, Role.COORDINATOR.value}


def _office(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"office_id": factories.shared_office().pk}


def _office_version(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"version": factories.shared_office().version}


def _organisation(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"organisation_id": factories.shared_organisation().pk}


def _organisation_version(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"version": factories.shared_organisation().version}


CASE_READERS = {Role.COORDINATOR.value, Role.CASEWORKER.value}


def _case(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"case_id": ctx["case"].pk}


REFERRERS = {Role.COORDINATOR.value, Role.PARTNER.value}
COORDINATOR_ONLY = {Role.COORDINATOR.value}


def _referral(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"referral_id": ctx["referral"].pk}


CASE_EDITORS = CASE_READERS
CASE_MANAGERS = {Role.COORDINATOR.value}


def _case_section(slug: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda ctx: {"case_id": ctx["case"].pk, "section": slug}


def _case_child(name: str, key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda ctx: {"case_id": ctx["case"].pk, name: ctx[key].pk}


def _return_child(name: str, key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda ctx: {"case_id": ctx["returned"].pk, name: ctx[key].pk}


def _returned(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"case_id": ctx["returned"].pk}


TRAINING_MANAGERS = {Role.COORDINATOR.value, Role.TRAINER.value}


def _training(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"session_id": ctx["training"].pk}


REPORT_READERS = {Role.COORDINATOR.value, Role.AUDITOR.value}
INSTRUMENT_READERS = {Role.COORDINATOR.value, Role.AUDITOR.value}


def _instrument_draft(ctx: dict[str, Any]) -> dict[str, Any]:
    """A draft of the eligibility parameters, opened by another coordinator (created once per test)."""
    from careplus.instruments import services as instrument_drafts

    if "instrument_draft" not in ctx:
        author = factories.make_user(Role.COORDINATOR)
        ctx["instrument_draft"] = instrument_drafts.draft_create(actor=author, kind="eligibility")
    return {"instrument_id": ctx["instrument_draft"].pk}


def _api_item(name: str, key: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda ctx: {"case_id": ctx["returned"].pk, name: ctx[key].pk}


API_ROUTES: dict[str, Route] = {
    "api:schema": Route(api=True, expect=api(200)),
    "api:docs": Route(api=True, expect=api(200)),
    "api:me": Route(api=True, expect=api(200)),
    "api:field_package": Route(api=True, method="post", expect=api(200, only=CASE_EDITORS)),
    "api:referral_list": Route(api=True, expect=api(200, only=REFERRERS)),
    "api:referral_count": Route(api=True, expect=api(200, only=REFERRERS)),
    "api:referral_detail": Route(api=True, expect=api(200, only=REFERRERS), kwargs=_referral),
    "api:case_list": Route(api=True, expect=api(200, only=CASE_READERS)),
    "api:case_count": Route(api=True, expect=api(200, only=CASE_READERS)),
    "api:case_detail": Route(api=True, expect=api(200, only=CASE_READERS), kwargs=_case),
    "api:case_transition": Route(api=True, method="post", expect=api(400, only=CASE_MANAGERS), kwargs=_case),
    "api:assessment_list": Route(api=True, expect=api(200, only=CASE_READERS), kwargs=_case),
    "api:assessment_detail": Route(
        api=True, method="put", expect=api(428, only=CASE_EDITORS), kwargs=_case_section("besoins")
    ),
    "api:plan_item_list": Route(api=True, expect=api(200, only=CASE_READERS), kwargs=_returned),
    "api:plan_item_detail": Route(
        api=True, expect=api(200, only=CASE_READERS), kwargs=_api_item("item_id", "plan_item")
    ),
    "api:plan_item_approve": Route(
        api=True, method="post", expect=api(428, only=CASE_MANAGERS), kwargs=_api_item("item_id", "plan_item")
    ),
    "api:plan_item_deliver": Route(
        api=True, method="post", expect=api(400, only=CASE_EDITORS), kwargs=_api_item("item_id", "plan_item")
    ),
    "api:plan_item_cancel": Route(
        api=True, method="post", expect=api(428, only=CASE_EDITORS), kwargs=_api_item("item_id", "plan_item")
    ),
    "api:visit_list": Route(api=True, expect=api(200, only=CASE_READERS), kwargs=_returned),
    "api:visit_detail": Route(api=True, expect=api(200, only=CASE_READERS), kwargs=_api_item("visit_id", "visit")),
    "api:visit_record": Route(
        api=True, method="post", expect=api(400, only=CASE_EDITORS), kwargs=_api_item("visit_id", "visit")
    ),
    "api:visit_missed": Route(
        api=True, method="post", expect=api(400, only=CASE_EDITORS), kwargs=_api_item("visit_id", "visit")
    ),
    "api:arrival_item_list": Route(api=True, expect=api(200, only=CASE_READERS), kwargs=_returned),
    "api:arrival_item_deliver": Route(
        api=True, method="post", expect=api(400, only=CASE_EDITORS), kwargs=_api_item("item_id", "arrival_item")
    ),
    "api:training_list": Route(api=True, expect=api(200, only=TRAINING_MANAGERS)),
    "api:training_detail": Route(api=True, expect=api(200, only=TRAINING_MANAGERS), kwargs=_training),
    "api:participant_list": Route(api=True, expect=api(200, only=TRAINING_MANAGERS), kwargs=_training),
    "api:programme_list": Route(api=True, expect=api(200, only=REPORT_READERS)),
    "api:programme_indicators": Route(
        api=True,
        expect=api(200, only=REPORT_READERS),
        kwargs=lambda c: {"programme_id": c["referral"].programme_id},
    ),
}

ERASURE_DECIDERS = {Role.DPO.value, Role.COORDINATOR.value}


def _erasure(*, erased: bool) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """An erasure request by the target DPO on a new file; approved (file erased) if asked."""

    def kwargs(ctx: dict[str, Any]) -> dict[str, Any]:
        from careplus.privacy import erasure

        request = erasure.erasure_request(
            actor=ctx["target"], reference=factories.make_case().reference, reason="Demande de la personne."
        )
        if erased:
            approver = factories.system_user()
            code = factories.totp_code(approver)
            request = erasure.erasure_approve(actor=approver, request=request, expected_version=1, code=code)
        return {"request_id": request.pk}

    return kwargs


MATRIX: dict[str, Route] = {
    **API_ROUTES,
    "accounts:api_tokens": Route(expect=verified(200)),
    "accounts:api_token_revoke": Route(
        method="post", expect=verified(404, only=set()), kwargs=lambda c: {"token_id": c["token"].pk}
    ),
    "search:search": Route(
        method="post", expect=verified(200, only=CASE_READERS | REFERRERS), data=lambda c: {"q": c["case"].reference}
    ),
    "programmes:programme_list": Route(expect=verified(200, only=COORDINATOR_ONLY)),
    "programmes:programme_create": Route(expect=verified(200, only=COORDINATOR_ONLY)),
    "programmes:programme_edit": Route(
        expect=verified(200, only=COORDINATOR_ONLY), kwargs=lambda c: {"programme_id": c["referral"].programme_id}
    ),
    "programmes:programme_rates": Route(
        expect=verified(200, only=COORDINATOR_ONLY), kwargs=lambda c: {"programme_id": c["referral"].programme_id}
    ),
    # Issue 21, point 4: coordinators draft and decide instrument versions; the auditor reads them.
    "instruments:instrument_list": Route(expect=verified(200, only=INSTRUMENT_READERS)),
    "instruments:draft_create": Route(
        method="post", expect=verified(302, only=COORDINATOR_ONLY), kwargs=lambda c: {"kind": "eligibility"}
    ),
    "instruments:version_detail": Route(expect=verified(200, only=INSTRUMENT_READERS), kwargs=_instrument_draft),
    "instruments:draft_edit": Route(
        expect=verified(200, only=COORDINATOR_ONLY),
        kwargs=lambda c: {**_instrument_draft(c), "section": "parametres"},
    ),
    # Posted without the effective date and code: the form answers 400, nothing is approved.
    "instruments:draft_approve": Route(
        method="post", expect=verified(400, only=COORDINATOR_ONLY), kwargs=_instrument_draft
    ),
    "instruments:draft_refuse": Route(
        method="post", expect=verified(400, only=COORDINATOR_ONLY), kwargs=_instrument_draft
    ),
    "reporting:dashboard": Route(expect=verified(200, only=REPORT_READERS)),
    "reporting:donor_xlsx": Route(expect=verified(200, only=REPORT_READERS)),
    "reporting:donor_pdf": Route(expect=verified(200, only=REPORT_READERS)),
    "reporting:dataset_csv": Route(expect=verified(200, only=REPORT_READERS)),
    "trainings:session_list": Route(expect=verified(200, only=TRAINING_MANAGERS)),
    "trainings:session_create": Route(expect=verified(200, only=TRAINING_MANAGERS)),
    "trainings:session_detail": Route(expect=verified(200, only=TRAINING_MANAGERS), kwargs=_training),
    "trainings:session_edit": Route(expect=verified(200, only=TRAINING_MANAGERS), kwargs=_training),
    "trainings:registration_toggle": Route(
        method="post", expect=verified(302, only=TRAINING_MANAGERS), kwargs=_training
    ),
    "trainings:import_sheet": Route(method="post", expect=verified(400, only=TRAINING_MANAGERS), kwargs=_training),
    "trainings:certificates_zip": Route(expect=verified(200, only=TRAINING_MANAGERS), kwargs=_training),
    "trainings:certificate": Route(
        expect=verified(200, only=TRAINING_MANAGERS),
        kwargs=lambda c: {"session_id": c["training"].pk, "participation_id": c["participation"].pk},
    ),
    "trainings:proposal_decide": Route(
        method="post",
        expect=verified(400, only=TRAINING_MANAGERS),
        kwargs=lambda c: {"session_id": c["training"].pk, "participation_id": c["participation"].pk},
    ),
    "trainings:material_add": Route(method="post", expect=verified(400, only=TRAINING_MANAGERS), kwargs=_training),
    "trainings:material_download": Route(
        expect=verified(200, only=TRAINING_MANAGERS),
        kwargs=lambda c: {"session_id": c["training"].pk, "material_id": c["material"].pk},
    ),
    "trainings:registration": Route(
        expect=everyone(200), kwargs=lambda c: {"token": c["training"].registration_token}, protected=False
    ),
    "returns:overview": Route(expect=verified(200, only=CASE_READERS), kwargs=_returned),
    "returns:departure_edit": Route(expect=verified(200, only=CASE_EDITORS), kwargs=_returned),
    "returns:leg_add": Route(method="post", expect=verified(400, only=CASE_EDITORS), kwargs=_returned),
    "returns:arrival_add": Route(method="post", expect=verified(400, only=CASE_EDITORS), kwargs=_returned),
    "returns:arrival_deliver": Route(
        method="post", expect=verified(400, only=CASE_EDITORS), kwargs=_return_child("item_id", "arrival_item")
    ),
    "returns:plan_add": Route(method="post", expect=verified(400, only=CASE_EDITORS), kwargs=_returned),
    "returns:plan_approve": Route(
        method="post", expect=verified(400, only=CASE_MANAGERS), kwargs=_return_child("item_id", "plan_item")
    ),
    "returns:plan_deliver": Route(
        method="post", expect=verified(400, only=CASE_EDITORS), kwargs=_return_child("item_id", "plan_item")
    ),
    "returns:plan_cancel": Route(
        method="post", expect=verified(302, only=CASE_EDITORS), kwargs=_return_child("item_id", "plan_item")
    ),
    "returns:ceiling_exception": Route(method="post", expect=verified(400, only=CASE_MANAGERS), kwargs=_returned),
    "returns:visit_add": Route(method="post", expect=verified(400, only=CASE_EDITORS), kwargs=_returned),
    "returns:visit_record": Route(expect=verified(200, only=CASE_EDITORS), kwargs=_return_child("visit_id", "visit")),
    "returns:visit_missed": Route(
        method="post", expect=verified(400, only=CASE_EDITORS), kwargs=_return_child("visit_id", "visit")
    ),
    "returns:alert_resolve": Route(
        method="post", expect=verified(302, only=CASE_EDITORS), kwargs=_return_child("alert_id", "alert")
    ),
    "cases:case_section": Route(expect=verified(200, only=CASE_EDITORS), kwargs=_case_section("risque")),
    "cases:case_plan": Route(expect=verified(200, only=CASE_EDITORS), kwargs=_case),
    "cases:case_identity": Route(expect=verified(200, only=CASE_MANAGERS), kwargs=_case),
    "cases:case_transition": Route(method="post", expect=verified(400, only=CASE_MANAGERS), kwargs=_case),
    "cases:risk_approve": Route(method="post", expect=verified(400, only=CASE_MANAGERS), kwargs=_case),
    "cases:bid_approve": Route(method="post", expect=verified(400, only=CASE_MANAGERS), kwargs=_case),
    "cases:opportunity_add": Route(method="post", expect=verified(400, only=CASE_EDITORS), kwargs=_case),
    "cases:consent_add": Route(method="post", expect=verified(400, only=CASE_EDITORS), kwargs=_case),
    "cases:consent_withdraw": Route(
        method="post", expect=verified(302, only=CASE_EDITORS), kwargs=_case_child("consent_id", "consent")
    ),
    "cases:handover_send": Route(method="post", expect=verified(400, only=CASE_MANAGERS), kwargs=_case),
    "cases:handover_acknowledge": Route(
        method="post",
        expect=verified(302, only={Role.CASEWORKER.value}),
        kwargs=_case_child("handover_id", "handover"),
    ),
    "cases:note_add": Route(method="post", expect=verified(400, only=CASE_EDITORS), kwargs=_case),
    "cases:attachment_add": Route(method="post", expect=verified(400, only=CASE_EDITORS), kwargs=_case),
    "cases:attachment_download": Route(
        expect=verified(200, only=CASE_READERS), kwargs=_case_child("attachment_id", "attachment")
    ),
    "cases:restriction_set": Route(method="post", expect=verified(400, only=CASE_MANAGERS), kwargs=_case),
    "cases:caseworker_set": Route(method="post", expect=verified(400, only=CASE_MANAGERS), kwargs=_case),
    "referrals:referral_list": Route(expect=verified(200, only=REFERRERS)),
    "referrals:referral_create": Route(expect=verified(200, only=REFERRERS)),
    "referrals:referral_detail": Route(expect=verified(200, only=REFERRERS), kwargs=_referral),
    "referrals:referral_screening": Route(expect=verified(200, only=REFERRERS), kwargs=_referral),
    "referrals:referral_decide": Route(method="post", expect=verified(400, only=COORDINATOR_ONLY), kwargs=_referral),
    "cases:case_list": Route(expect=verified(200, only=CASE_READERS)),
    "cases:import_start": Route(expect=verified(200, only=COORDINATOR_ONLY)),
    "cases:import_template": Route(expect=verified(200, only=COORDINATOR_ONLY)),
    "cases:import_confirm": Route(method="post", expect=verified(400, only=COORDINATOR_ONLY)),
    "cases:case_detail": Route(expect=verified(200, only=CASE_READERS), kwargs=_case),
    "cases:case_reason": Route(expect=verified(302, only=CASE_READERS), kwargs=_case),
    "audit:event_list": Route(expect=verified(200, only=DPO_ONLY)),
    "audit:event_export": Route(method="post", expect=verified(400, only=DPO_ONLY)),
    # Issue 21, point 5: access requests (DPO only; without an opening in the session the review and
    # the download send back to the request form) and the register of processing.
    "privacy:access_request": Route(expect=verified(200, only=DPO_ONLY)),
    "privacy:access_review": Route(
        expect=verified(302, only=DPO_ONLY), kwargs=lambda c: {"subject_kind": "case", "subject_id": c["case"].pk}
    ),
    "privacy:access_download": Route(
        method="post",
        expect=verified(302, only=DPO_ONLY),
        kwargs=lambda c: {"subject_kind": "case", "subject_id": c["case"].pk},
    ),
    "privacy:register": Route(expect=verified(200, only=REGISTER_READERS)),
    "privacy:register_pdf": Route(expect=verified(200, only=REGISTER_READERS)),
    # Issue 21, point 5: erasure requests; the DPO asks, a DPO or a coordinator decides.
    "privacy:erasure_list": Route(expect=verified(200, only=ERASURE_DECIDERS)),
    "privacy:erasure_request": Route(method="post", expect=verified(400, only=DPO_ONLY)),
    "privacy:erasure_detail": Route(expect=verified(200, only=ERASURE_DECIDERS), kwargs=_erasure(erased=False)),
    "privacy:erasure_approve": Route(
        method="post", expect=verified(400, only=ERASURE_DECIDERS), kwargs=_erasure(erased=False)
    ),
    "privacy:erasure_refuse": Route(
        method="post", expect=verified(400, only=ERASURE_DECIDERS), kwargs=_erasure(erased=False)
    ),
    "privacy:erasure_certificate": Route(expect=verified(200, only=ERASURE_DECIDERS), kwargs=_erasure(erased=True)),
    "home:home": Route(expect=verified(200)),
    "home:health": Route(expect=everyone(200), protected=False),
    # Issue 23: the field app's shell (case editors), its state (401 JSON, never a redirect, once
    # the session has ended), its service worker and manifest (public, they hold no data).
    "field:app": Route(expect=verified(200, only=CASE_EDITORS)),
    "field:state": Route(api=True, expect=api(200, only=CASE_EDITORS)),
    "field:service_worker": Route(expect=everyone(200), protected=False),
    "field:manifest": Route(expect=everyone(200), protected=False),
    "set_language": Route(method="post", expect=everyone(302), data=lambda c: {"language": "en"}, protected=False),
    "accounts:login": Route(expect={**everyone(302), "anonymous": 200}, protected=False),
    "accounts:otp_verify": Route(expect={**everyone(302), "password_only": 200}, protected=False),
    "accounts:otp_setup": Route(expect=everyone(302), protected=False),
    "accounts:logout": Route(method="post", expect=everyone(302), protected=False),
    "accounts:password_reset": Route(expect=everyone(200), protected=False),
    "accounts:password_reset_done": Route(expect=everyone(200), protected=False),
    "accounts:password_reset_confirm": Route(
        expect=everyone(200),
        kwargs=lambda c: {"uidb64": "MTIz", "token": "abc-def"},
        protected=False,
    ),
    "accounts:password_reset_complete": Route(expect=everyone(200), protected=False),
    "accounts:account": Route(expect=verified(200)),
    "accounts:password_change": Route(expect=verified(200)),
    # Posted without the step-up code (issue 19, point 7): every role reaches it and gets 400.
    "accounts:recovery_codes": Route(method="post", expect=verified(400)),
    "accounts:user_list": Route(expect=verified(200, only=DPO_ONLY)),
    "accounts:user_create": Route(expect=verified(200, only=DPO_ONLY)),
    "accounts:user_detail": Route(expect=verified(200, only=DPO_ONLY), kwargs=_target),
    "accounts:user_grant": Route(method="post", expect=verified(400, only=DPO_ONLY), kwargs=_target),
    "accounts:user_revoke": Route(method="post", expect=verified(302, only=DPO_ONLY), kwargs=_grant),
    "accounts:user_deactivate": Route(
        method="post", expect=verified(302, only=DPO_ONLY), kwargs=_target, data=_version
    ),
    "accounts:user_reactivate": Route(
        method="post", expect=verified(302, only=DPO_ONLY), kwargs=_target, data=_version
    ),
    "accounts:user_reset_second_factor": Route(
        method="post", expect=verified(302, only=DPO_ONLY), kwargs=_target, data=_version
    ),
    "accounts:user_resend_invitation": Route(method="post", expect=verified(302, only=DPO_ONLY), kwargs=_target),
    "accounts:staff_leaving_list": Route(expect=verified(200, only=COORDINATOR_ONLY)),
    "accounts:staff_leaving": Route(expect=verified(200, only=COORDINATOR_ONLY), kwargs=_leaver),
    # Issue 21 point 2: offices (DPO) and partner organisations (DPO and coordinators).
    "accounts:office_list": Route(expect=verified(200, only=DPO_ONLY)),
    "accounts:office_create": Route(expect=verified(200, only=DPO_ONLY)),
    "accounts:office_detail": Route(expect=verified(200, only=DPO_ONLY), kwargs=_office),
    "accounts:office_deactivate": Route(
        method="post", expect=verified(302, only=DPO_ONLY), kwargs=_office, data=_office_version
    ),
    "accounts:office_reactivate": Route(
        method="post", expect=verified(302, only=DPO_ONLY), kwargs=_office, data=_office_version
    ),
    "accounts:organisation_list": Route(expect=verified(200, only=ORGANISATION_MANAGERS)),
    "accounts:organisation_create": Route(expect=verified(200, only=ORGANISATION_MANAGERS)),
    "accounts:organisation_detail": Route(expect=verified(200, only=ORGANISATION_MANAGERS), kwargs=_organisation),
    # Creating an account and granting its role stay the DPO's.
    "accounts:organisation_invite": Route(method="post", expect=verified(400, only=DPO_ONLY), kwargs=_organisation),
    "accounts:organisation_deactivate": Route(
        method="post",
        expect=verified(302, only=ORGANISATION_MANAGERS),
        kwargs=_organisation,
        data=_organisation_version,
    ),
    "accounts:organisation_reactivate": Route(
        method="post",
        expect=verified(302, only=ORGANISATION_MANAGERS),
        kwargs=_organisation,
        data=_organisation_version,
    ),
    "accounts:organisation_suspend": Route(
        method="post",
        expect=verified(302, only=ORGANISATION_MANAGERS),
        kwargs=_organisation,
        data=_organisation_version,
    ),
    "accounts:organisation_resume": Route(
        method="post",
        expect=verified(302, only=ORGANISATION_MANAGERS),
        kwargs=_organisation,
        data=_organisation_version,
    ),
}


def iter_route_names(patterns: list[Any] | None = None, prefix: str = "") -> Iterator[str]:
    """Yield the full name of every named URL pattern."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from iter_route_names(entry.url_patterns, namespace)
        elif isinstance(entry, URLPattern):
            assert entry.name, f"URL pattern {entry.pattern} has no name"
            yield prefix + entry.name


def test_every_route_has_an_entry_in_the_matrix() -> None:
    names = set(iter_route_names())
    assert names - set(MATRIX) == set(), "routes missing from the permission matrix"
    assert set(MATRIX) - names == set(), "matrix entries for routes that no longer exist"


def _context(target: User) -> dict[str, Any]:
    """Objects the routes act on; the case belongs to the office of every persona's grant."""
    case = factories.make_case(office=factories.shared_office())
    return {
        "target": target,
        "target_grant": RoleGrant.objects.get(user=target),
        "case": case,
        "consent": Consent.objects.filter(case=case).first(),
        "handover": Handover.objects.create(
            case=case,
            office=factories.shared_office(),
            sent_by=factories.system_user(),
            due_on=datetime.date(2030, 1, 1),
        ),
        "attachment": case_services.attachment_add(
            actor=factories.system_user(),
            case=case,
            filename="a.pdf",
            content=b"%PDF-1.4",
            content_type="application/pdf",
        ),
        "referral": factories.make_referral(organisation=factories.shared_organisation()),
        "token": account_services.api_token_create(user=target, name="t", days=30)[0],
        **_returned_context(),
        **_training_context(),
    }


def _training_context() -> dict[str, Any]:
    training = factories.make_training()
    participation = factories.add_participant(training, present=True)
    material = SessionMaterial.objects.create(
        session=training,
        module="I",
        filename="m.pdf",
        content=b"%PDF-1.4",
        content_type="application/pdf",
        uploaded_by=factories.system_user(),
    )
    return {"training": training, "participation": participation, "material": material}


def _returned_context() -> dict[str, Any]:
    returned = factories.make_returned_case(office=factories.shared_office())
    visit = returned.visits.first()
    assert visit is not None
    return {
        "returned": returned,
        "visit": visit,
        "arrival_item": ArrivalItem.objects.create(case=returned, kind="shelter", planned_on=datetime.date(2030, 1, 1)),
        "plan_item": PlanItem.objects.create(
            case=returned, category="iga", provider="P", delivery_mode="in_kind", planned_amount=Decimal("10.00")
        ),
        "alert": FollowUpAlert.objects.create(case=returned, visit=visit, item="psy_distress"),
    }


def _client_for(persona: str) -> Client:
    client = Client()
    if persona == "anonymous":
        return client
    role = Role.COORDINATOR if persona == "password_only" else Role(persona)
    user = factories.make_user(
        role,
        office=factories.shared_office() if role == Role.CASEWORKER else None,
        organisation=factories.shared_organisation() if role == Role.PARTNER else None,
    )
    if role != Role.DPO:
        factories.make_user(Role.DPO)  # keeps a second DPO so revocations stay legal
    factories.sign_in(client, user, verified=persona != "password_only")
    return client


def _call(client: Client, route: Route, url: str, data: dict[str, Any]) -> Any:
    if route.api and route.method != "get":
        return getattr(client, route.method)(url, json.dumps(data), content_type="application/json")
    return getattr(client, route.method)(url, data)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_route_answers_the_expected_status(name: str, persona: str) -> None:
    route = MATRIX[name]
    target = factories.make_user(Role.DPO)
    ctx = _context(target)
    client = _client_for(persona)
    url = reverse(name, kwargs=route.kwargs(ctx))
    response = _call(client, route, url, route.data(ctx))
    assert response.status_code == route.status_for(persona), f"{persona} {route.method} {url}"
    if route.protected and not route.api and persona in {"anonymous", "password_only"}:
        expected = "/connexion/" if persona == "anonymous" else "/connexion/code/"
        assert response["Location"].split("?")[0] == expected


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["anonymous", "password_only"])
def test_no_protected_route_answers_2xx_without_both_factors(persona: str) -> None:
    """A password-only (or anonymous) session reaches no protected URL, whatever the method."""
    target = factories.make_user(Role.DPO)
    ctx = _context(target)
    client = _client_for(persona)
    for name, route in MATRIX.items():
        if not route.protected:
            continue
        url = reverse(name, kwargs=route.kwargs(ctx))
        for method in ("get", "post", "put", "patch"):
            status = _call(client, replace(route, method=method), url, route.data(ctx)).status_code
            assert not 200 <= status < 300, f"{persona} {method} {url} -> {status}"


@pytest.mark.django_db
def test_missing_and_out_of_scope_objects_both_answer_404(signed_in: Any) -> None:
    dpo = factories.make_user(Role.DPO)
    coordinator = factories.make_user(Role.COORDINATOR)
    missing = reverse("accounts:user_detail", kwargs={"user_id": "00000000-0000-0000-0000-000000000000"})
    existing = reverse("accounts:user_detail", kwargs={"user_id": dpo.pk})
    assert signed_in(dpo).get(missing).status_code == 404
    assert signed_in(coordinator).get(existing).status_code == 404
    assert User.objects.filter(pk=dpo.pk).exists()
