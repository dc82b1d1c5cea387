"""Programme screens for coordinators: list, create, edit."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from careplus.access.fetch import acting_user, require
from careplus.access.roles import Action
from careplus.access.scopes import programmes_visible_to
from careplus.core.currencies import currency_label
from careplus.core.errors import DomainError
from careplus.core.http import methods
from careplus.programmes.forms import ProgrammeForm, ReferenceRateForm, setting_label
from careplus.programmes.models import Programme
from careplus.programmes.selectors import (
    budget_by_category,
    fixed_parities,
    programme_history,
    programme_of,
    reference_rates,
)
from careplus.programmes.services import programme_save, reference_rate_save


@methods("GET")
def programme_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.PROGRAMMES_MANAGE)
    programmes = programmes_visible_to(request.user, action=Action.PROGRAMMES_MANAGE).order_by("-starts_on")
    return render(request, "programmes/programme_list.html", {"programmes": programmes})


@methods("GET", "POST")
def programme_edit(request: HttpRequest, programme_id: str | None = None) -> HttpResponse:
    require(request.user, Action.PROGRAMMES_MANAGE)
    programme: Programme | None = None
    initial = {}
    if programme_id is not None:
        programme = programme_of(request.user, programme_id)
        if programme is None:
            raise Http404
        initial = ProgrammeForm.initial_for(programme)
    form = ProgrammeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            programme_save(
                actor=acting_user(request),
                programme=programme,
                values=form.values(),
                expected_version=form.cleaned_data.get("version"),
                budget_lines=form.budget_lines(),
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Programme saved."))
            return redirect("programmes:programme_list")
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "programme": programme,
        "budget_rows": budget_by_category(programme) if programme else [],
        "history": programme_history(programme, label=setting_label) if programme else [],
        "currency_names": [currency_label(code) for code in programme.currencies] if programme else [],
    }
    return render(request, "programmes/programme_form.html", context, status=status)


@methods("GET", "POST")
def programme_rates(request: HttpRequest, programme_id: str) -> HttpResponse:
    """The programme's reference exchange rates, which convert plan items paid in local currency."""
    require(request.user, Action.PROGRAMMES_MANAGE)
    programme = programme_of(request.user, programme_id)
    if programme is None:
        raise Http404
    form = ReferenceRateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            reference_rate_save(actor=acting_user(request), programme=programme, **form.cleaned_data)
        except DomainError as error:
            form.add_error("currency", str(error.message))
        else:
            messages.success(request, _("Reference rate saved."))
            return redirect("programmes:programme_rates", programme_id=programme.pk)
    status = 400 if request.method == "POST" else 200
    context = {
        "programme": programme,
        "form": form,
        "rates": reference_rates(programme),
        "fixed": fixed_parities(),
    }
    return render(request, "programmes/rates.html", context, status=status)
