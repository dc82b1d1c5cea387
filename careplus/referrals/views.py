"""Referral pages: partner portal, coordinator entry, screening and decision."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from careplus.access import rules
from careplus.access.fetch import acting_user, require
from careplus.access.offices import referral_portal_closed
from careplus.access.policy import can
from careplus.access.reading import open_referral
from careplus.access.roles import Action
from careplus.core.errors import DomainError
from careplus.core.http import methods
from careplus.core.pagination import bounded_page
from careplus.referrals import selectors, services
from careplus.referrals.choices import Channel, ExploitationForm, ReferralStatus, ScreeningList
from careplus.referrals.eligibility import RuleResult, failed
from careplus.referrals.forms import DecisionForm, ReferralForm, ScreeningForm
from careplus.referrals.models import Referral


@methods("GET")
def referral_list(request: HttpRequest) -> HttpResponse:
    """List the referrals the user follows (a partner: their organisation's only)."""
    require(request.user, Action.REFERRALS_VIEW)
    status = request.GET.get("status", "")
    if status not in ReferralStatus.values:
        status = ""
    referrals = selectors.referral_list(actor=request.user, status=status)
    portal_closed = can(request.user, Action.REFERRALS_SUBMIT) and referral_portal_closed(
        request.user, selectors.organisations_for(actor=request.user, coordinator=False)
    )
    page = bounded_page(referrals, 25, request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": ReferralStatus.choices,
        "full": can(request.user, Action.REFERRALS_READ_PERSON),
        "can_submit": can(request.user, Action.REFERRALS_SUBMIT) and not portal_closed,
        "portal_closed": portal_closed,
    }
    return render(request, "referrals/referral_list.html", context)


@methods("GET", "POST")
def referral_create(request: HttpRequest) -> HttpResponse:
    """Submit a referral (partner portal) or enter one received by e-mail or telephone."""
    require(request.user, Action.REFERRALS_SUBMIT)
    user = acting_user(request)
    coordinator = rules.enters_for_any_organisation(user)
    programme = selectors.current_programme()
    organisations = selectors.organisations_for(actor=user, coordinator=coordinator)
    if referral_portal_closed(user, organisations):
        # Said before anything is typed: the portal of the partner's organisation is suspended (or closed).
        closed = [services.referral_refusal(actor=user, organisation=org) for org in organisations]
        message = closed[0] if closed else _("You cannot send referrals in the name of this organisation.")
        return render(request, "referrals/portal_closed.html", {"message": message}, status=403)
    form = ReferralForm(request.POST or None, organisations=organisations, coordinator=coordinator)
    duplicate_warning = ""
    if request.method == "POST" and programme is not None and form.is_valid():
        data = form.cleaned_data
        try:
            referral = services.referral_submit(
                actor=user,
                programme=programme,
                organisation=form.referring_organisation(),
                channel=data.get("channel") or Channel.PORTAL,
                received_on=data.get("received_on") or _today(),
                person=form.person(),
                confirm_duplicate=bool(data.get("confirm_duplicate")),
            )
        except services.PossibleDuplicate as duplicate:
            duplicate_warning = str(duplicate.message)
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Referral %(reference)s recorded.") % {"reference": referral.reference})
            return redirect("referrals:referral_detail", referral_id=referral.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "referrals/referral_form.html",
        {
            "form": form,
            "programme": programme,
            "duplicate_warning": duplicate_warning,
            "coordinator": coordinator,
        },
        status=status,
    )


def _today() -> datetime.date:
    return timezone.localdate()


@methods("GET")
def referral_detail(request: HttpRequest, referral_id: str) -> HttpResponse:
    """Coordinator: the whole referral with eligibility; partner: its status only."""
    referral = open_referral(request, referral_id, action=Action.REFERRALS_VIEW, part="referral")
    if not can(request.user, Action.REFERRALS_READ_PERSON):
        context = {
            "referral": referral,
            "guidance": selectors.referrer_guidance(referral),
            "can_screen": rules.referral_screenable(request.user, referral),
        }
        return render(request, "referrals/referral_status.html", context)
    if referral.erased_at is not None:
        # Crypto-shredded (GDPR art. 17): only the statistical fields and who did what remain.
        context = {"referral": referral, "timeline": selectors.timeline(referral)}
        return render(request, "referrals/referral_erased.html", context)
    return _render_detail(request, referral, DecisionForm(initial={"version": referral.version}))


def _render_detail(
    request: HttpRequest, referral: Referral, decision_form: DecisionForm, status: int = 200
) -> HttpResponse:
    decisions = selectors.decisions(referral)
    if decisions and referral.status != ReferralStatus.RECEIVED:
        # A decided referral shows the rules as they stood when the decision was taken.
        results = [RuleResult(**rule) for rule in decisions[-1].eligibility]
        version = decisions[-1].eligibility_version
    else:
        results, version = services.current_eligibility(referral)
    failures = failed(results)
    latest = selectors.latest_screening(referral)
    other_programme, beyond_target = services.acceptance_needs(referral, timezone.localdate())
    decision_form.keep_acceptance_fields(programme_choice=other_programme, beyond_target=beyond_target)
    context = {
        "referral": referral,
        "exploitation": [ExploitationForm(code).label for code in referral.forms_of_exploitation],
        "eligibility": results,
        "eligibility_version": version,
        "has_failures": bool(failures),
        # Said before a choice only: once a decision is sent, its own error names the problem.
        "override_notice": not decision_form.is_bound and bool(failures),
        "screening": selectors.screening_view(latest) if latest else None,
        "decisions": decisions,
        "timeline": selectors.timeline(referral),
        "decision_form": decision_form,
        "can_decide": rules.referral_decidable(request.user, referral),
        "can_screen": rules.referral_screenable(request.user, referral),
        "duplicates": [r for r in services.duplicates_of(index=referral.person_index) if r.pk != referral.pk]
        if referral.person_index
        else [],
    }
    return render(request, "referrals/referral_detail.html", context, status=status)


@methods("GET", "POST")
def referral_screening(request: HttpRequest, referral_id: str) -> HttpResponse:
    """Tick the ILO/EU indicators observed; the result is decision support only."""
    referral = open_referral(request, referral_id, action=Action.REFERRALS_SCREEN, part="screening")
    if referral.erased_at is not None:
        messages.error(request, _("The personal data of this referral was erased: nothing more can be recorded on it."))
        return redirect("referrals:referral_detail", referral_id=referral.pk)
    indicator_list = request.POST.get("indicator_list") or request.GET.get("list") or _default_list(referral)
    if indicator_list not in ScreeningList.values:
        indicator_list = _default_list(referral)
    checklist = selectors.indicator_checklist(indicator_list)
    form = ScreeningForm(request.POST or None, known=checklist["codes"], initial={"indicator_list": indicator_list})
    if request.method == "POST" and form.is_valid():
        try:
            services.screening_record(
                actor=acting_user(request),
                referral=referral,
                indicator_list=form.cleaned_data["indicator_list"],
                present=form.cleaned_data["indicators"],
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Screening recorded."))
            return redirect("referrals:referral_detail", referral_id=referral.pk)
    chosen = set(request.POST.getlist("indicators"))
    return render(
        request,
        "referrals/screening_form.html",
        {
            "referral": referral,
            "form": form,
            "checklist": checklist,
            "chosen": chosen,
            "lists": ScreeningList.choices,
            "current_list": indicator_list,
        },
        status=400 if request.method == "POST" else 200,
    )


def _default_list(referral: Referral) -> str:
    sexual = "sexual" in (referral.forms_of_exploitation or [])
    prefix = "child" if referral.is_minor else "adult"
    return f"{prefix}_{'sexual' if sexual else 'labour'}"


@methods("POST")
def referral_decide(request: HttpRequest, referral_id: str) -> HttpResponse:
    """Accept, declare not eligible, redirect or mark withdrawn."""
    referral = open_referral(request, referral_id, action=Action.REFERRALS_DECIDE, part="decision")
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.referral_decide(
                actor=acting_user(request),
                referral=referral,
                outcome=form.cleaned_data["outcome"],
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                redirected_to=form.cleaned_data["redirected_to"],
                override_reason=form.cleaned_data["override_reason"],
                programme=form.cleaned_data["programme"],
                beyond_target_confirmed=form.cleaned_data["beyond_target"],
                beyond_target_reason=form.cleaned_data["beyond_target_reason"],
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Decision recorded. The referrer has been notified."))
            return redirect("referrals:referral_detail", referral_id=referral.pk)
    return _render_detail(request, referral, form, status=400)
