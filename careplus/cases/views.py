"""Case file pages. Every page fetches the case through the access policy (404 out of scope)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from careplus.access import rules
from careplus.access.fetch import acting_user, deny, get_case_for, require
from careplus.access.policy import Actor, can
from careplus.access.reading import open_case, remember_reason, remembered_reason, safe_back, show_case
from careplus.access.roles import Action
from careplus.audit.selectors import role_labels
from careplus.cases import selectors, services, slugs, staff, workflow
from careplus.cases.choices import CaseStatus, Rating
from careplus.cases.events import describe_all
from careplus.cases.forms import (
    TEXT,
    AttachmentForm,
    CaseworkerForm,
    ConsentForm,
    DeparturePlanForm,
    HandoverForm,
    IdentityForm,
    NoteForm,
    OpportunityForm,
    RestrictedReasonForm,
    RestrictionForm,
    TransitionForm,
)
from careplus.cases.middleware import reason_page
from careplus.cases.models import Case
from careplus.cases.sections import SECTIONS
from careplus.cases.uploads import check_upload
from careplus.core import conflicts
from careplus.core.errors import DomainError, StaleObject
from careplus.core.http import methods
from careplus.core.links import slug_link
from careplus.privacy import rectification
from careplus.referrals import identity
from careplus.referrals.services import PossibleDuplicate
from careplus.returns.choices import ClosureReason


@methods("GET")
def case_list(request: HttpRequest) -> HttpResponse:
    """List the cases in the user's scope; names are masked."""
    require(request.user, Action.CASES_VIEW)
    status = request.GET.get("status", "")
    if status not in CaseStatus.values:
        status = ""
    page = selectors.case_list_page(actor=request.user, status=status, number=request.GET.get("page"))
    context: dict[str, Any] = {"page": page, "statuses": CaseStatus.choices, "status": status}
    context["can_import"] = can(request.user, Action.CASES_IMPORT)
    return render(request, "cases/case_list.html", context)


def _redirect_to(case: Case, tab: str = slugs.DEFAULT_TAB, anchor: str = "") -> HttpResponse:
    return redirect(slugs.case_tab_url(case.pk, tab, anchor))


def _summary(request: HttpRequest, case: Case) -> dict[str, Any]:
    user = request.user
    section_url = slug_link("cases:case_section", "section", case_id=case.pk)  # reversed once for the rows
    facts, records = selectors.case_summary(case)
    transitions = [
        {
            "target": target,
            "label": CaseStatus(target).label,
            "missing": workflow.missing_requirements(facts, target),
            "needs_reason": workflow.needs_reason(facts, target),
            "needs_closure_reason": target == CaseStatus.CLOSED,
            "other": workflow.is_other_action(facts, target),
        }
        for target in workflow.allowed_targets(facts)
    ]
    return {
        "procedure": selectors.case_procedure(case, facts),
        "procedure_alert": identity.procedure_alert(case, facts),
        "transitions": [t for t in transitions if not t["other"]],
        "other_transitions": [t for t in transitions if t["other"]],
        "reason_max": TEXT,
        "sections": [
            _section_row(user, case, key, record=records.get(key), url=section_url)
            for key, section in SECTIONS.items()
            if rules.section_visible(user, case, section)
        ],
        "closure_reasons": ClosureReason.choices,
        "safe_contact_channel": selectors.safe_contact_channel_label(case),
        "can_correct_identity": can(user, Action.CASES_MANAGE) and identity.may_correct(case),
    }


@dataclass(frozen=True)
class _SectionRow:
    """One row of the summary's assessments and plans: its state, and the approval it awaits or has."""

    slug: str  # in its page's address and as the row's anchor
    url: str
    label: Promise
    record: selectors.SectionState | None
    rating: str  # the overall risk's label, for the risk assessment
    approved: bool
    awaiting: Promise | str  # what it says while it awaits its approval
    editable: bool
    approve_url: str  # where the approval is posted, when this user is offered it
    approve_label: Promise | str


def _section_row(
    user: Actor, case: Case, key: str, *, record: selectors.SectionState | None, url: Callable[[str], str]
) -> _SectionRow:
    section = SECTIONS[key]
    needed = rules.approval_needed(section.model, record)
    approved_at = record.approved_at if record is not None else None
    approval = section.approval if rules.approval_offered(user, section.model, record) else None
    return _SectionRow(
        slug=slugs.SECTION_SLUGS[key],
        url=url(slugs.SECTION_SLUGS[key]),
        label=section.label,
        record=record,
        rating=str(Rating(record.overall).label) if record is not None and record.overall else "",
        approved=needed and approved_at is not None,
        awaiting=section.approval.waiting if section.approval and needed and approved_at is None else "",
        editable=can(user, section.action),
        approve_url=reverse(approval.url_name, kwargs={"case_id": case.pk}) if approval else "",
        approve_label=approval.button if approval else "",
    )


def _opportunities(request: HttpRequest, case: Case) -> dict[str, Any]:
    return {
        "opportunities": selectors.opportunities(case),
        "opportunity_form": OpportunityForm(initial={"verified_on": timezone.localdate()}),
    }


def _consents(request: HttpRequest, case: Case) -> dict[str, Any]:
    return {
        "consents": selectors.consents(case),
        "handovers": selectors.handovers(case),
        "consent_form": ConsentForm(initial={"given_on": timezone.localdate()}),
        "handover_form": HandoverForm(initial={"version": case.version, "office": case.office_id}),
        "can_acknowledge": can(request.user, Action.HANDOVER_ACKNOWLEDGE),
    }


def _notes(request: HttpRequest, case: Case) -> dict[str, Any]:
    return {"notes": selectors.notes(case), "note_form": NoteForm()}


def _documents(request: HttpRequest, case: Case) -> dict[str, Any]:
    return {"attachments": selectors.attachments(case), "attachment_form": AttachmentForm()}


def _history(request: HttpRequest, case: Case) -> dict[str, Any]:
    history = selectors.timeline(case, everything=request.GET.get(slugs.HISTORY_PARAMETER) == slugs.WHOLE_HISTORY)
    return {
        "timeline": list(zip(history.events, describe_all((e.kind, e.params) for e in history.events), strict=True)),
        "timeline_hidden": history.hidden,
        "corrections": rectification.corrections(case),
    }


def _access(request: HttpRequest, case: Case) -> dict[str, Any]:
    user = request.user
    context: dict[str, Any] = {
        "viewers": (
            [(event, role_labels(event.roles)) for event in selectors.case_viewers(case=case)]
            if can(user, Action.CASE_VIEWERS)
            else None
        ),
    }
    if can(user, Action.CASES_MANAGE):
        users = selectors.restricted_users(case)
        context["restriction_form"] = RestrictionForm(
            initial={"restricted": case.restricted, "users": users, "version": case.version}
        )
        context["caseworker_form"] = CaseworkerForm(
            initial={"caseworker": case.caseworker_id, "version": case.version},
            choices=staff.caseworker_choices(case),
        )
    if can(user, Action.STAFF_HANDOVER) and case.caseworker_id:
        context["leaving_url"] = reverse("accounts:staff_leaving", kwargs={"user_id": case.caseworker_id})
    return context


@dataclass(frozen=True)
class Tab:
    """A part of the case file shown on its own (each one is a view of the file, audited)."""

    label: Promise
    context: Callable[[HttpRequest, Case], dict[str, Any]]
    part: str  # the part of the file read, as the audit log names it
    visible: Callable[[Actor], bool] = lambda user: True


# By key in code; each one's template is cases/tabs/<key>.html, the word of its address (`?onglet=`) in
# careplus.cases.slugs.TAB_SLUGS.
TABS: dict[str, Tab] = {
    "summary": Tab(gettext_lazy("Summary"), _summary, "summary"),
    "opportunities": Tab(gettext_lazy("Opportunities"), _opportunities, "opportunities"),
    "consents": Tab(gettext_lazy("Consents and office"), _consents, "consents"),
    "notes": Tab(gettext_lazy("Notes"), _notes, "notes"),
    "documents": Tab(gettext_lazy("Documents"), _documents, "documents"),
    "history": Tab(gettext_lazy("History"), _history, "history"),
    "access": Tab(
        gettext_lazy("Access"),
        _access,
        "access",
        lambda user: can(user, Action.CASES_MANAGE) or can(user, Action.CASE_VIEWERS),
    ),
}


def _tab_of(request: HttpRequest, case_id: str) -> str:
    """The key of the tab that `?onglet=` names (404 for an unknown word)."""
    key = slugs.tab_key(request.GET.get(slugs.TAB_PARAMETER))
    tab = TABS.get(key) if key is not None else None
    if key is None or tab is None:
        raise Http404
    if not tab.visible(request.user):
        raise deny(action=Action.CASE_VIEWERS, object_type=Case._meta.label_lower, object_id=case_id)
    return key


@methods("GET")
def case_detail(request: HttpRequest, case_id: str) -> HttpResponse:
    """Show a part of a case file; a restricted case first asks why it is opened. Every view is audited."""
    tab = _tab_of(request, case_id)
    return show_case(
        request,
        case_id,
        action=Action.CASES_VIEW,
        part=TABS[tab].part,
        template="cases/case_detail.html",
        context=lambda case: _detail_context(request, case, tab),
    )


@methods("GET", "POST")
def case_reason(request: HttpRequest, case_id: str) -> HttpResponse:
    """Ask why a restricted file is opened, once per session and file, then go back to the page asked."""
    case = get_case_for(request.user, case_id, action=Action.CASES_VIEW)
    back = safe_back(request, case, request.POST.get("next", "") or request.GET.get("next", ""))
    if not case.restricted or (request.method == "GET" and remembered_reason(request, case)):
        return redirect(back)
    form = RestrictedReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        remember_reason(request, case, form.cleaned_data["reason"])
        return redirect(back)
    return reason_page(request, case, back, form=form, status=400 if request.method == "POST" else 200)


def _detail_context(request: HttpRequest, case: Case, tab: str, **forms: BaseForm) -> dict[str, Any]:
    user = request.user
    page = slugs.case_tab_url(case.pk)  # reversed once for the tabs
    context: dict[str, Any] = {
        "case": case,
        "tab": tab,
        "tab_template": f"cases/tabs/{tab}.html",
        "tabs": [
            (key, item.label, slugs.case_tab_url(case.pk, key, page=page))
            for key, item in TABS.items()
            if item.visible(user)
        ],
        "can_edit": can(user, Action.CASES_EDIT),
        "can_manage": can(user, Action.CASES_MANAGE),
        "can_approve": can(user, Action.CASES_APPROVE),
        "case_caseworker": case.caseworker,
        **TABS[tab].context(request, case),
    }
    context.update(forms)
    return context


def _refused(
    request: HttpRequest, case: Case, message: str, tab: str = slugs.DEFAULT_TAB, **forms: BaseForm
) -> HttpResponse:
    """Show the part of the case file again with the error, changing nothing (status 400)."""
    messages.error(request, message)
    return render(request, "cases/case_detail.html", _detail_context(request, case, tab, **forms), status=400)


@methods("GET", "POST")
def case_section(request: HttpRequest, case_id: str, section: str) -> HttpResponse:
    """Create or edit an assessment or plan of the case (version-checked)."""
    key = slugs.section_key(section)  # the French word of the address names the section
    spec = SECTIONS.get(key) if key is not None else None
    if spec is None:
        raise Http404
    case = open_case(request, case_id, action=spec.action, part=spec.model._meta.model_name or section)
    if spec.minor_only and not case.is_minor:
        raise Http404
    instance = selectors.section_record(case, spec.model)
    form = spec.build_form(request.POST if request.method == "POST" else None, instance=instance, child=case.is_minor)
    conflict: list[conflicts.Difference] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            services.section_save(
                actor=acting_user(request),
                case=case,
                model=spec.model,
                values=form.values(),
                expected_version=form.cleaned_data.get("version"),
                label=spec.label,
            )
        except StaleObject as error:
            # Their saved values beside mine; my input kept, on the current version: Save records the merge.
            saved = selectors.section_record(case, spec.model)
            form, conflict = conflicts.reopen(
                form,
                lambda data: spec.build_form(data, instance=saved, child=case.is_minor),
                spec.initial(saved),
                error.message,
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("%(section)s saved.") % {"section": spec.label})
            return _redirect_to(case, anchor=section)
    status = (409 if conflict is not None else 400) if request.method == "POST" else 200
    context = {"case": case, "form": form, "spec": spec, "slug": section, "conflict": conflict}
    return render(request, "cases/section_form.html", context, status=status)


@methods("GET", "POST")
def case_plan(request: HttpRequest, case_id: str) -> HttpResponse:
    """Planned departure date and safe-contact preferences."""
    case = open_case(request, case_id, action=Action.CASES_EDIT, part="departure_plan")
    contact = case.safe_contact or {}
    initial = {
        "planned_departure_on": case.planned_departure_on,
        "contact_channel": contact.get("channel", ""),
        "contact_times": contact.get("times", ""),
        "contact_alias": contact.get("alias", ""),
        "version": case.version,
    }
    form = DeparturePlanForm(request.POST if request.method == "POST" else None, initial=initial)
    conflict: list[conflicts.Difference] | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.case_plan_save(
                actor=acting_user(request),
                case=case,
                expected_version=data["version"],
                planned_departure_on=data["planned_departure_on"],
                safe_contact={
                    "channel": data["contact_channel"],
                    "times": data["contact_times"],
                    "alias": data["contact_alias"],
                },
            )
        except StaleObject:
            # Their saved values beside mine; my input kept, on the current version: Save records the merge.
            case.refresh_from_db(fields=["planned_departure_on", "safe_contact", "version"])
            saved = case.safe_contact or {}
            current = {
                "planned_departure_on": case.planned_departure_on,
                "contact_channel": saved.get("channel", ""),
                "contact_times": saved.get("times", ""),
                "contact_alias": saved.get("alias", ""),
                "version": case.version,
            }
            form, conflict = conflicts.reopen(
                form, lambda data: DeparturePlanForm(data, initial=current), current, conflicts.MESSAGE
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Departure and safe contact saved."))
            return _redirect_to(case)
    status = (409 if conflict is not None else 400) if request.method == "POST" else 200
    return render(request, "cases/plan_form.html", {"case": case, "form": form, "conflict": conflict}, status=status)


def _identity_initial(case: Case) -> dict[str, Any]:
    current = identity.current_identity(case)
    return {
        "family_name": current.family_name,
        "given_names": current.given_names,
        "date_of_birth": current.date_of_birth,
        "sex": current.sex,
        "nationality": current.nationality,
        "version": case.version,
    }


@methods("GET", "POST")
def case_identity(request: HttpRequest, case_id: str) -> HttpResponse:
    """Correct the person's identity on the file (GDPR art. 16; coordinators; version-checked, audited)."""
    case = open_case(request, case_id, action=Action.CASES_MANAGE, part="identity")
    if not identity.may_correct(case):
        messages.error(request, _("The personal data of this file was erased: there is nothing left to correct."))
        return _redirect_to(case)
    form = IdentityForm(request.POST if request.method == "POST" else None, initial=_identity_initial(case))
    conflict: list[conflicts.Difference] | None = None
    duplicate_warning = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = identity.identity_correct(
                actor=acting_user(request),
                case=case,
                changes=form.changes(),
                reason=data["reason"],
                expected_version=data["version"],
                confirm_duplicate=data["confirm_duplicate"],
            )
        except StaleObject:
            case.refresh_from_db()
            current = _identity_initial(case)
            form, conflict = conflicts.reopen(
                form, lambda data: IdentityForm(data, initial=current), current, conflicts.MESSAGE
            )
        except PossibleDuplicate as duplicate:
            duplicate_warning = str(duplicate.message)
        except identity.FieldRefused as refused:
            form.add_error(refused.field, str(refused.message))
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Identity corrected."))
            notice = identity.procedure_notice(saved, was_minor=case.is_minor)
            if notice:
                messages.warning(request, notice)
            return _redirect_to(case)
    status = (409 if conflict is not None else 400) if request.method == "POST" else 200
    context = {"case": case, "form": form, "conflict": conflict, "duplicate_warning": duplicate_warning}
    return render(request, "cases/identity_form.html", context, status=status)


@methods("POST")
def case_transition(request: HttpRequest, case_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.CASES_MANAGE, part="status")
    form = TransitionForm(request.POST)
    if not form.is_valid():
        reason_errors = form.errors.get("reason")
        message = str(reason_errors[0]) if reason_errors else _("The form was incomplete. Nothing was changed.")
        return _refused(request, case, message)
    try:
        services.case_transition(
            actor=acting_user(request),
            case=case,
            target=form.cleaned_data["target"],
            expected_version=form.cleaned_data["version"],
            reason=form.cleaned_data["reason"],
            closure_reason=form.cleaned_data["closure_reason"],
        )
    except DomainError as error:
        return _refused(request, case, str(error.message))
    messages.success(request, _("Status changed."))
    return _redirect_to(case)


def _simple_action(
    request: HttpRequest, case_id: str, action: Action, call: Callable[[Case], object], done: str, *, part: str
) -> HttpResponse:
    case = open_case(request, case_id, action=action, part=part)
    try:
        call(case)
    except DomainError as error:
        return _refused(request, case, str(error.message))
    messages.success(request, done)
    return _redirect_to(case)


@methods("POST")
def risk_approve(request: HttpRequest, case_id: str) -> HttpResponse:
    user = acting_user(request)
    return _simple_action(
        request,
        case_id,
        Action.CASES_APPROVE,
        lambda c: services.risk_approve(actor=user, case=c),
        _("High risk approved."),
        part="riskassessment",
    )


@methods("POST")
def bid_approve(request: HttpRequest, case_id: str) -> HttpResponse:
    user = acting_user(request)
    return _simple_action(
        request,
        case_id,
        Action.CASES_APPROVE,
        lambda c: services.bid_approve(actor=user, case=c),
        _("Best-interests determination approved."),
        part="bestinterestsdetermination",
    )


@methods("POST")
def opportunity_add(request: HttpRequest, case_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.CASES_EDIT, part="opportunities")
    form = OpportunityForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, case, _("The opportunity was not added: check the form."), "opportunities", opportunity_form=form
        )
    services.opportunity_add(actor=acting_user(request), case=case, **form.cleaned_data)
    messages.success(request, _("Reintegration opportunity added."))
    return _redirect_to(case, "opportunities")


@methods("POST")
def consent_add(request: HttpRequest, case_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.CASES_EDIT, part="consents")
    form = ConsentForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, case, _("The consent was not recorded: check the form."), "consents", consent_form=form
        )
    try:
        services.consent_record(actor=acting_user(request), case=case, **form.cleaned_data)
    except DomainError as error:
        return _refused(request, case, str(error.message), "consents", consent_form=form)
    messages.success(request, _("Consent recorded."))
    return _redirect_to(case, "consents")


@methods("POST")
def consent_withdraw(request: HttpRequest, case_id: str, consent_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.CASES_EDIT, part="consents")
    consent = selectors.consent_of(case, consent_id)
    try:
        services.consent_withdraw(actor=acting_user(request), consent=consent, withdrawn_on=timezone.localdate())
    except DomainError as error:
        return _refused(request, case, str(error.message), "consents")
    messages.success(request, _("Withdrawal of the consent recorded."))
    return _redirect_to(case, "consents")


@methods("POST")
def handover_send(request: HttpRequest, case_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.CASES_MANAGE, part="handover")
    form = HandoverForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, _("Choose an office in a country of return."), "consents", handover_form=form)
    try:
        services.handover_send(
            actor=acting_user(request),
            case=case,
            office=form.cleaned_data["office"],
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as error:
        return _refused(request, case, str(error.message), "consents", handover_form=form)
    messages.success(request, _("Case handed over; the office must acknowledge it."))
    return _redirect_to(case, "consents", "bureaux")


@methods("POST")
def handover_acknowledge(request: HttpRequest, case_id: str, handover_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.HANDOVER_ACKNOWLEDGE, part="handover")
    handover = selectors.handover_of(case, handover_id)
    try:
        services.handover_acknowledge(actor=acting_user(request), handover=handover)
    except DomainError as error:
        return _refused(request, case, str(error.message), "consents")
    messages.success(request, _("Handover acknowledged."))
    return _redirect_to(case, "consents", "bureaux")


@methods("POST")
def note_add(request: HttpRequest, case_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.CASES_EDIT, part="notes")
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, _("The note was not added: check the form."), "notes", note_form=form)
    services.note_add(actor=acting_user(request), case=case, body=form.cleaned_data["body"])
    messages.success(request, _("Note added."))
    return _redirect_to(case, "notes")


@methods("POST")
def attachment_add(request: HttpRequest, case_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.CASES_EDIT, part="documents")
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["document"]
        try:
            clean = check_upload(upload.name or "", upload.read())
        except ValidationError as error:
            form.add_error("document", error)
        else:
            services.attachment_add(
                actor=acting_user(request),
                case=case,
                filename=clean.filename,
                content=clean.content,
                content_type=clean.content_type,
            )
            messages.success(request, _("Document added."))
            return _redirect_to(case, "documents")
    return _refused(request, case, _("The document was not added: check the form."), "documents", attachment_form=form)


@methods("GET")
def attachment_download(request: HttpRequest, case_id: str, attachment_id: str) -> HttpResponse:
    """Serve a document as a download, only through this authorised view."""
    case = open_case(request, case_id, action=Action.CASES_VIEW, part="documents")
    attachment = selectors.attachment_of(case, attachment_id)
    services.attachment_download_record(actor=acting_user(request), case=case, attachment=attachment)
    response = HttpResponse(bytes(attachment.content or b""), content_type=attachment.content_type)
    response["Content-Disposition"] = f'attachment; filename="{attachment.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@methods("POST")
def restriction_set(request: HttpRequest, case_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.CASES_MANAGE, part="access")
    form = RestrictionForm(request.POST)
    if not form.is_valid():
        return _refused(
            request, case, _("The restriction was not changed: check the form."), "access", restriction_form=form
        )
    try:
        services.restriction_set(
            actor=acting_user(request),
            case=case,
            restricted=form.cleaned_data["restricted"],
            users=list(form.cleaned_data["users"]),
            expected_version=form.cleaned_data["version"],
        )
    except StaleObject as error:
        return _refused(request, case, str(error.message), "access", restriction_form=form)
    messages.success(request, _("Access restriction saved."))
    return _redirect_to(case, "access")


@methods("POST")
def caseworker_set(request: HttpRequest, case_id: str) -> HttpResponse:
    """Name the caseworker responsible for the file (coordinators; version-checked, audited)."""
    case = open_case(request, case_id, action=Action.CASES_MANAGE, part="access")
    form = CaseworkerForm(request.POST, choices=staff.caseworker_choices(case))
    if not form.is_valid():
        return _refused(
            request, case, _("The caseworker was not changed: check the form."), "access", caseworker_form=form
        )
    try:
        staff.caseworker_set(
            actor=acting_user(request),
            case=case,
            caseworker=form.cleaned_data["caseworker"],
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as error:
        return _refused(request, case, str(error.message), "access", caseworker_form=form)
    messages.success(request, _("Responsible caseworker saved."))
    return _redirect_to(case, "access")
