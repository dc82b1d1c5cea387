"""Return and reintegration pages of a case (departure, arrival, plan, follow-up)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from careplus.access import rules
from careplus.access.fetch import acting_user, get_child_of_case
from careplus.access.policy import can
from careplus.access.reading import open_case
from careplus.access.roles import Action
from careplus.accounts.models import User
from careplus.cases.models import Case
from careplus.core import conflicts
from careplus.core.errors import DomainError, StaleObject
from careplus.core.http import methods
from careplus.programmes.choices import PlanCategory
from careplus.returns import selectors, services
from careplus.returns.choices import ClosureReason, ItemStatus
from careplus.returns.forms import (
    ArrivalItemForm,
    CeilingExceptionForm,
    DeliveredForm,
    DepartureForm,
    PlanDeliverForm,
    PlanItemForm,
    TravelLegForm,
    VersionForm,
    VisitForm,
    VisitMissedForm,
    VisitScheduleForm,
)
from careplus.returns.models import ArrivalItem, FollowUpAlert, PlanItem, Visit


def _overview(case: Case, anchor: str = "") -> HttpResponse:
    response = redirect("returns:overview", case_id=case.pk)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


def _context(request: HttpRequest, case: Case, **forms: object) -> dict[str, Any]:
    user = request.user
    visits = selectors.visits(case)
    plan_items = selectors.plan_items(case)
    today = timezone.localdate()
    context: dict[str, Any] = {
        "case": case,
        "departure": selectors.departure(case),
        "legs": selectors.travel_legs(case),
        "arrival_items": selectors.arrival_items(case),
        "plan_items": plan_items,
        # Each row's buttons, and each visit's state, decided by careplus.access.rules (the services ask the same).
        "plan_rows": [
            (item, rules.plan_item_actions(user, item), item.status == ItemStatus.CANCELLED) for item in plan_items
        ],
        "visit_rows": [
            (visit, rules.visit_recordable(user, visit), rules.visit_overdue(visit, today)) for visit in visits
        ],
        "totals": services.plan_totals(case),
        "categories": dict(PlanCategory.choices),
        "ceiling": services.ceiling_for(case),
        "visits": visits,
        "trend": selectors.trend(visits),
        "alerts": selectors.open_alerts(case),
        "can_edit": can(request.user, Action.CASES_EDIT),
        "can_approve": can(request.user, Action.CASES_APPROVE),
        "leg_form": TravelLegForm(),
        "arrival_form": ArrivalItemForm(initial={"planned_on": timezone.localdate()}),
        "plan_form": PlanItemForm(),
        "exception_form": CeilingExceptionForm(),
        "visit_schedule_form": VisitScheduleForm(),
        "today": today,
        "closure_reasons": ClosureReason.choices,
    }
    context.update(forms)
    return context


def _problems(form: BaseForm) -> str:
    """A form's errors in one sentence, each with its field's label, for a form shown inline without them."""
    parts: list[str] = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        parts.extend(_("%(field)s: %(message)s") % {"field": label, "message": m} if label else str(m) for m in errors)
    return " ".join(parts)


def _refused(request: HttpRequest, case: Case, message: str, **forms: object) -> HttpResponse:
    messages.error(request, message)
    return render(request, "returns/overview.html", _context(request, case, **forms), status=400)


@methods("GET")
def overview(request: HttpRequest, case_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.CASES_VIEW, part="return")
    return render(request, "returns/overview.html", _context(request, case))


@methods("GET", "POST")
def departure_edit(request: HttpRequest, case_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.CASES_EDIT, part="departure")
    current = selectors.departure(case)
    initial: dict[str, object] = {}
    if current is not None:
        initial = {name: getattr(current, name) for name in DepartureForm.base_fields if name != "version"}
        initial["version"] = current.version
    form = DepartureForm(request.POST if request.method == "POST" else None, initial=initial)
    conflict: list[conflicts.Difference] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            services.departure_save(
                actor=acting_user(request),
                case=case,
                values=form.values(),
                expected_version=form.cleaned_data.get("version"),
            )
        except StaleObject:
            # Their saved values beside mine; my input kept, on the current version: Save records the merge.
            latest = selectors.departure(case)
            saved: dict[str, object] = {}
            if latest is not None:
                saved = {name: getattr(latest, name) for name in DepartureForm.base_fields if name != "version"}
                saved["version"] = latest.version
            form, conflict = conflicts.reopen(
                form, lambda data: DepartureForm(data, initial=saved), saved, conflicts.MESSAGE
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Departure saved."))
            return _overview(case, "depart")
    status = (409 if conflict is not None else 400) if request.method == "POST" else 200
    context = {"case": case, "form": form, "conflict": conflict}
    return render(request, "returns/departure_form.html", context, status=status)


# The part of the file each form of the overview writes to, as the audit log names it.
_PARTS = {"depart": "travel", "arrivee": "arrival", "plan": "plan", "suivi": "visit"}


def _add(
    request: HttpRequest,
    case_id: str,
    *,
    form_class: type[BaseForm],
    call: Callable[[Case, User, dict[str, Any]], object],  # the form's cleaned values
    done: str,
    form_name: str,
    anchor: str,
    action: Action = Action.CASES_EDIT,
) -> HttpResponse:
    case = open_case(request, case_id, action=action, part=_PARTS.get(anchor, anchor))
    form = form_class(request.POST)
    if not form.is_valid():
        return _refused(request, case, _("Nothing was saved: check the form."), **{form_name: form})
    try:
        call(case, acting_user(request), form.cleaned_data)
    except DomainError as error:
        return _refused(request, case, str(error.message), **{form_name: form})
    messages.success(request, done)
    return _overview(case, anchor)


@methods("POST")
def leg_add(request: HttpRequest, case_id: str) -> HttpResponse:
    return _add(
        request,
        case_id,
        form_class=TravelLegForm,
        call=lambda c, u, d: services.travel_leg_add(actor=u, case=c, **d),
        done=_("Travel leg added."),
        form_name="leg_form",
        anchor="depart",
    )


@methods("POST")
def arrival_add(request: HttpRequest, case_id: str) -> HttpResponse:
    return _add(
        request,
        case_id,
        form_class=ArrivalItemForm,
        call=lambda c, u, d: services.arrival_item_add(actor=u, case=c, **d),
        done=_("Arrival assistance planned."),
        form_name="arrival_form",
        anchor="arrivee",
    )


@methods("POST")
def plan_add(request: HttpRequest, case_id: str) -> HttpResponse:
    """Add a plan item; one paid in local currency first shows its amount in euros, saved once confirmed."""
    case = open_case(request, case_id, action=Action.CASES_EDIT, part="plan")
    form = PlanItemForm(request.POST, programme=services.programme_of(case))
    if not form.is_valid():
        return _refused(request, case, _("Nothing was saved: check the form."), plan_form=form)
    data = form.cleaned_data
    if form.rate is not None:
        euros = str(data["planned_amount"])
        if "preview" in request.POST or request.POST.get("confirmed_amount") != euros:
            preview = {
                "euros": data["planned_amount"],
                "confirmed_amount": euros,
                "local_amount": data["local_amount"],
                "currency": data["local_currency"],
                "rate": form.rate,
                "rate_date": data["rate_date"],
            }
            context = _context(request, case, plan_form=form, plan_preview=preview)
            return render(request, "returns/overview.html", context)
    try:
        services.plan_item_add(actor=acting_user(request), case=case, **data)
    except DomainError as error:
        return _refused(request, case, str(error.message), plan_form=form)
    messages.success(request, _("Plan item added."))
    return _overview(case, "plan")


@methods("POST")
def ceiling_exception(request: HttpRequest, case_id: str) -> HttpResponse:
    return _add(
        request,
        case_id,
        form_class=CeilingExceptionForm,
        call=lambda c, u, d: services.ceiling_exception_grant(actor=u, case=c, **d),
        done=_("Ceiling exception recorded."),
        form_name="exception_form",
        anchor="plan",
        action=Action.CASES_APPROVE,
    )


@methods("POST")
def visit_add(request: HttpRequest, case_id: str) -> HttpResponse:
    return _add(
        request,
        case_id,
        form_class=VisitScheduleForm,
        call=lambda c, u, d: services.visit_schedule(actor=u, case=c, **d),
        done=_("Visit scheduled."),
        form_name="visit_schedule_form",
        anchor="suivi",
    )


@methods("POST")
def arrival_deliver(request: HttpRequest, case_id: str, item_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.CASES_EDIT, part="arrival")
    item = get_child_of_case(ArrivalItem, item_id, case)
    form = DeliveredForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, _("Give a valid delivery date."))
    try:
        services.arrival_item_deliver(
            actor=acting_user(request), item=item, delivered_on=form.cleaned_data["delivered_on"]
        )
    except DomainError as error:
        return _refused(request, case, str(error.message))
    messages.success(request, _("Assistance marked delivered."))
    return _overview(case, "arrivee")


@methods("POST")
def plan_approve(request: HttpRequest, case_id: str, item_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.CASES_APPROVE, part="plan")
    item = get_child_of_case(PlanItem, item_id, case)
    form = VersionForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, _("The form was incomplete. Nothing was changed."))
    try:
        services.plan_item_approve(actor=acting_user(request), item=item, expected_version=form.cleaned_data["version"])
    except DomainError as error:
        return _refused(request, case, str(error.message))
    messages.success(request, _("Plan item approved."))
    return _overview(case, "plan")


@methods("POST")
def plan_deliver(request: HttpRequest, case_id: str, item_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.CASES_EDIT, part="plan")
    item = get_child_of_case(PlanItem, item_id, case)
    form = PlanDeliverForm(request.POST, case=case, currency=item.local_currency)
    if not form.is_valid():
        return _refused(request, case, _("Nothing was saved: %(problems)s") % {"problems": _problems(form)})
    try:
        services.plan_item_deliver(actor=acting_user(request), item=item, **form.cleaned_data)
    except DomainError as error:
        return _refused(request, case, str(error.message))
    messages.success(request, _("Plan item marked delivered."))
    return _overview(case, "plan")


@methods("POST")
def plan_cancel(request: HttpRequest, case_id: str, item_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.CASES_EDIT, part="plan")
    item = get_child_of_case(PlanItem, item_id, case)
    try:
        services.plan_item_cancel(actor=acting_user(request), item=item)
    except DomainError as error:
        return _refused(request, case, str(error.message))
    messages.success(request, _("Plan item cancelled."))
    return _overview(case, "plan")


@methods("GET", "POST")
def visit_record(request: HttpRequest, case_id: str, visit_id: str) -> HttpResponse:
    """Record a follow-up visit and its sustainability questionnaire."""
    case = open_case(request, case_id, action=Action.CASES_EDIT, part="visit")
    visit = get_child_of_case(Visit, visit_id, case)
    questionnaire = selectors.questionnaire()
    form = VisitForm(
        request.POST if request.method == "POST" else None,
        questionnaire=questionnaire,
        initial={"done_on": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.visit_record(
                actor=acting_user(request),
                visit=visit,
                done_on=data["done_on"],
                mode=data["mode"],
                progress=data["progress"],
                notes=data["notes"],
                answers=form.answers(),
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Visit recorded; the scores were computed."))
            return _overview(case, "suivi")
    status = 400 if request.method == "POST" else 200
    return render(request, "returns/visit_form.html", {"case": case, "visit": visit, "form": form}, status=status)


@methods("POST")
def visit_missed(request: HttpRequest, case_id: str, visit_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.CASES_EDIT, part="visit")
    visit = get_child_of_case(Visit, visit_id, case)
    form = VisitMissedForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, _("Give the reason the visit was missed."))
    try:
        services.visit_mark_missed(actor=acting_user(request), visit=visit, reason=form.cleaned_data["missed_reason"])
    except DomainError as error:
        return _refused(request, case, str(error.message))
    messages.success(request, _("Visit marked missed."))
    return _overview(case, "suivi")


@methods("POST")
def alert_resolve(request: HttpRequest, case_id: str, alert_id: str) -> HttpResponse:
    case = open_case(request, case_id, action=Action.CASES_EDIT, part="alerts")
    alert = get_child_of_case(FollowUpAlert, alert_id, case)
    services.alert_resolve(actor=acting_user(request), alert=alert)
    messages.success(request, _("Alert handled."))
    return _overview(case, "alertes")
