"""Screens of offices (DPO) and partner organisations (DPO and coordinators)."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from careplus.access.fetch import acting_user, require
from careplus.access.offices import (
    get_office_for,
    get_organisation_for,
    may_invite_partners,
    offices_visible_to,
    organisations_visible_to,
)
from careplus.access.roles import Action
from careplus.accounts import offices as services
from careplus.accounts import selectors
from careplus.accounts.forms import VersionForm
from careplus.accounts.forms_offices import OfficeForm, OrganisationForm, PartnerInviteForm
from careplus.accounts.models import Office, Organisation
from careplus.accounts.services import StepUpFailed
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.core import conflicts
from careplus.core.errors import DomainError, StaleObject
from careplus.core.http import methods


def _refused(form: forms.Form, error: DomainError) -> None:
    """Put a service's refusal on its field when it names one, else on the form."""
    field = error.extra.get("field")
    form.add_error(field if field in form.fields else None, str(error.message))


def _versioned(
    request: HttpRequest, record: Office | Organisation, change: Callable[..., object], done: str, **kwargs: object
) -> None:
    form = VersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form was incomplete. Nothing was changed."))
        return
    try:
        change(actor=acting_user(request), expected_version=form.cleaned_data["version"], **kwargs)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, done)


# --- Offices ---------------------------------------------------------------------------


def _office_initial(office: Office) -> dict[str, object]:
    fields = ("name", "code", "country", "city", "time_zone", "kind", "version")
    return {name: getattr(office, name) for name in fields}


@methods("GET")
def office_list(request: HttpRequest) -> HttpResponse:
    """List the offices, active and deactivated."""
    require(request.user, Action.OFFICES_MANAGE)
    return render(request, "accounts/office_list.html", {"offices": offices_visible_to(request.user)})


@methods("GET", "POST")
def office_create(request: HttpRequest) -> HttpResponse:
    """Create an office (e.g. in a new country of return)."""
    require(request.user, Action.OFFICES_MANAGE)
    form = OfficeForm(request.POST or None, initial={"time_zone": "Europe/Paris"})
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            office = services.office_create(actor=acting_user(request), **values)
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Office %(office)s created.") % {"office": office})
            return redirect("accounts:office_detail", office_id=office.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/office_form.html", {"form": form, "office": None}, status=status)


@methods("GET", "POST")
def office_detail(request: HttpRequest, office_id: str) -> HttpResponse:
    """Show and edit an office (version-checked); deactivate or reactivate it."""
    office = get_office_for(request.user, office_id)
    form = OfficeForm(request.POST or None, initial=_office_initial(office))
    form.fields["version"].required = True  # an edit says which version it was made on
    conflict: list[conflicts.Difference] | None = None
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        version = values.pop("version")
        try:
            services.office_update(actor=acting_user(request), office=office, expected_version=version, **values)
        except StaleObject as error:
            office.refresh_from_db()
            saved = _office_initial(office)
            form, conflict = conflicts.reopen(form, lambda data: OfficeForm(data, initial=saved), saved, error.message)
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Office saved."))
            return redirect("accounts:office_detail", office_id=office.pk)
    status = (409 if conflict is not None else 400) if request.method == "POST" else 200
    context = {"form": form, "office": office, "conflict": conflict}
    return render(request, "accounts/office_form.html", context, status=status)


@methods("POST")
def office_deactivate(request: HttpRequest, office_id: str) -> HttpResponse:
    """Stop offering an office for new work."""
    office = get_office_for(request.user, office_id)
    done = _("Office deactivated: it is no longer offered for new files and roles; its files keep it.")
    _versioned(request, office, services.office_deactivate, done, office=office)
    return redirect("accounts:office_detail", office_id=office.pk)


@methods("POST")
def office_reactivate(request: HttpRequest, office_id: str) -> HttpResponse:
    """Offer an office for new work again."""
    office = get_office_for(request.user, office_id)
    _versioned(request, office, services.office_reactivate, _("Office reactivated."), office=office)
    return redirect("accounts:office_detail", office_id=office.pk)


# --- Partner organisations ------------------------------------------------------------------


def _organisation_initial(organisation: Organisation) -> dict[str, object]:
    return {name: getattr(organisation, name) for name in ("name", "type", "departement", "version")}


@methods("GET")
def organisation_list(request: HttpRequest) -> HttpResponse:
    """List the partner organisations, active and deactivated."""
    require(request.user, Action.ORGANISATIONS_MANAGE)
    organisations = organisations_visible_to(request.user)
    return render(request, "accounts/organisation_list.html", {"organisations": organisations})


@methods("GET", "POST")
def organisation_create(request: HttpRequest) -> HttpResponse:
    """Create a partner organisation (a police station, an ASE department, an NGO...)."""
    require(request.user, Action.ORGANISATIONS_MANAGE)
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            organisation = services.organisation_create(actor=acting_user(request), **values)
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Organisation %(name)s created.") % {"name": organisation.name})
            return redirect("accounts:organisation_detail", organisation_id=organisation.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/organisation_create.html", {"form": form}, status=status)


def _render_organisation(
    request: HttpRequest,
    organisation: Organisation,
    *,
    form: OrganisationForm | None = None,
    invite_form: PartnerInviteForm | None = None,
    conflict: list[conflicts.Difference] | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "organisation": organisation,
        "form": form or OrganisationForm(initial=_organisation_initial(organisation)),
        "conflict": conflict,
        "partners": selectors.partners_of(organisation=organisation),
        "can_invite": may_invite_partners(request.user) and organisation.active,
        "invite_form": invite_form or PartnerInviteForm(),
    }
    return render(request, "accounts/organisation_detail.html", context, status=status)


@methods("GET", "POST")
def organisation_detail(request: HttpRequest, organisation_id: str) -> HttpResponse:
    """An organisation: its details (edited version-checked), its partners' accounts, its portal."""
    organisation = get_organisation_for(request.user, organisation_id)
    if request.method == "GET":
        # The page names the organisation's partners (staff accounts): the read is recorded.
        record_event(action=AuditAction.VIEW, obj=organisation)
        return _render_organisation(request, organisation)
    form = OrganisationForm(request.POST, initial=_organisation_initial(organisation))
    form.fields["version"].required = True  # an edit says which version it was made on
    conflict: list[conflicts.Difference] | None = None
    if form.is_valid():
        values = dict(form.cleaned_data)
        version = values.pop("version")
        try:
            services.organisation_update(
                actor=acting_user(request), organisation=organisation, expected_version=version, **values
            )
        except StaleObject as error:
            organisation.refresh_from_db()
            saved = _organisation_initial(organisation)
            form, conflict = conflicts.reopen(
                form, lambda data: OrganisationForm(data, initial=saved), saved, error.message
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Organisation saved."))
            return redirect("accounts:organisation_detail", organisation_id=organisation.pk)
    organisation.refresh_from_db()
    return _render_organisation(
        request, organisation, form=form, conflict=conflict, status=409 if conflict is not None else 400
    )


@methods("POST")
def organisation_invite(request: HttpRequest, organisation_id: str) -> HttpResponse:
    """Create a partner's account bound to the organisation; the person receives an invitation."""
    organisation = get_organisation_for(request.user, organisation_id)
    require(request.user, Action.USERS_MANAGE)
    form = PartnerInviteForm(request.POST)
    if form.is_valid():
        try:
            user = services.organisation_partner_invite(
                actor=acting_user(request), organisation=organisation, **form.cleaned_data
            )
        except StepUpFailed as error:
            form.add_error("code", str(error.message))
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(
                request,
                _("Account of %(name)s created with the partner role; an invitation was sent by e-mail.")
                % {"name": user.full_name},
            )
            return redirect("accounts:organisation_detail", organisation_id=organisation.pk)
    return _render_organisation(request, organisation, invite_form=form, status=400)


@methods("POST")
def organisation_deactivate(request: HttpRequest, organisation_id: str) -> HttpResponse:
    """Stop offering an organisation; its partners can no longer refer."""
    organisation = get_organisation_for(request.user, organisation_id)
    done = _("Organisation deactivated: it is no longer offered and its partners cannot refer; its referrals stay.")
    _versioned(request, organisation, services.organisation_deactivate, done, organisation=organisation)
    return redirect("accounts:organisation_detail", organisation_id=organisation.pk)


@methods("POST")
def organisation_reactivate(request: HttpRequest, organisation_id: str) -> HttpResponse:
    """Offer an organisation again."""
    organisation = get_organisation_for(request.user, organisation_id)
    done = _("Organisation reactivated.")
    _versioned(request, organisation, services.organisation_reactivate, done, organisation=organisation)
    return redirect("accounts:organisation_detail", organisation_id=organisation.pk)


@methods("POST")
def organisation_suspend(request: HttpRequest, organisation_id: str) -> HttpResponse:
    """Suspend the organisation's referral portal."""
    organisation = get_organisation_for(request.user, organisation_id)
    done = _("Referral portal suspended: its partners can follow their referrals but not send new ones.")
    _versioned(request, organisation, services.organisation_referrals_suspend, done, organisation=organisation)
    return redirect("accounts:organisation_detail", organisation_id=organisation.pk)


@methods("POST")
def organisation_resume(request: HttpRequest, organisation_id: str) -> HttpResponse:
    """Restore the organisation's referral portal."""
    organisation = get_organisation_for(request.user, organisation_id)
    done = _("Referral portal restored: its partners can send referrals again.")
    _versioned(request, organisation, services.organisation_referrals_resume, done, organisation=organisation)
    return redirect("accounts:organisation_detail", organisation_id=organisation.pk)
