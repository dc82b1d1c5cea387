"""Instrument versions on screens: list, draft, edit, compare, approve or refuse (coordinators; auditors read)."""

from __future__ import annotations

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from careplus.access.fetch import acting_user, deny, require
from careplus.access.policy import Actor, can
from careplus.access.roles import Action
from careplus.accounts.services import StepUpFailed
from careplus.core import instruments
from careplus.core.errors import DomainError
from careplus.core.http import methods
from careplus.core.instruments import InstrumentData
from careplus.core.models import Instrument
from careplus.instruments import services as drafts
from careplus.instruments.forms import (
    ApprovalForm,
    DepartementRows,
    EligibilityForm,
    IloListForm,
    IndicatorRows,
    QuestionnaireForm,
    QuestionRows,
    RefusalForm,
)

ELIGIBILITY_SECTION = "parametres"
RSS_SECTION = "questionnaire"


def _version(user: Actor, instrument_id: int, action: Action) -> Instrument:
    instrument = drafts.version_by_id(instrument_id)
    if instrument is None or instrument.kind not in drafts.KINDS:
        raise deny(action=action, object_type="core.instrument", object_id=instrument_id)
    return instrument


def _sections(instrument: Instrument) -> list[tuple[str, str]]:
    """The parts of an instrument that have their own edit form: (slug, label)."""
    if instrument.kind == drafts.ILO:
        return [(code, drafts.label_of(data["label"])) for code, data in instrument.data["lists"].items()]
    if instrument.kind == drafts.ELIGIBILITY:
        return [(ELIGIBILITY_SECTION, _("Eligibility parameters"))]
    return [(RSS_SECTION, _("Questions and weights"))]


@methods("GET")
def instrument_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.INSTRUMENTS_VIEW)
    rows = []
    for kind in drafts.KINDS:
        try:
            in_force: Instrument | None = instruments.current(kind)
        except instruments.InstrumentMissing:
            in_force = None
        rows.append(
            {
                "kind": kind,
                "label": drafts.kind_label(kind),
                "current": in_force,
                "draft": drafts.open_draft(kind),
                "versions": drafts.versions_of(kind),
            }
        )
    return render(
        request,
        "instruments/instrument_list.html",
        {"rows": rows, "can_manage": can(request.user, Action.INSTRUMENTS_MANAGE)},
    )


@methods("POST")
def draft_create(request: HttpRequest, kind: str) -> HttpResponse:
    require(request.user, Action.INSTRUMENTS_MANAGE)
    if kind not in drafts.KINDS:
        raise Http404
    try:
        draft = drafts.draft_create(actor=acting_user(request), kind=kind)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("instruments:instrument_list")
    messages.success(request, _("Draft created: a copy of the version in force."))
    return redirect("instruments:version_detail", instrument_id=draft.pk)


def _detail(
    request: HttpRequest,
    instrument: Instrument,
    *,
    approval: ApprovalForm | None = None,
    refusal: RefusalForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = acting_user(request)
    is_draft = instrument.status == Instrument.Status.DRAFT
    may_manage = can(user, Action.INSTRUMENTS_MANAGE)
    against = instrument.based_on
    if is_draft:
        against = instruments.current(instrument.kind)
    found = drafts.changes(instrument, against) if against is not None else []
    author = drafts.is_author(user, instrument)
    initial = {"row_version": instrument.row_version}
    context = {
        "instrument": instrument,
        "kind_label": drafts.kind_label(instrument.kind),
        "is_draft": is_draft,
        "against": against,
        "changes": found,
        "removal_note": drafts.removal_note(instrument, against, found) if is_draft and against else "",
        "can_edit": is_draft and may_manage,
        "can_decide": is_draft and may_manage and not author,
        "is_author": is_draft and may_manage and author,
        "sections": _sections(instrument),
        "approval": approval or ApprovalForm(initial={**initial, "effective_from": timezone.localdate()}),
        "refusal": refusal or RefusalForm(initial=initial),
    }
    return render(request, "instruments/version_detail.html", context, status=status)


@methods("GET")
def version_detail(request: HttpRequest, instrument_id: int) -> HttpResponse:
    require(request.user, Action.INSTRUMENTS_VIEW)
    return _detail(request, _version(request.user, instrument_id, Action.INSTRUMENTS_VIEW))


def _draft(request: HttpRequest, instrument_id: int) -> Instrument:
    require(request.user, Action.INSTRUMENTS_MANAGE)
    instrument = _version(request.user, instrument_id, Action.INSTRUMENTS_MANAGE)
    if instrument.status != Instrument.Status.DRAFT:
        raise deny(action=Action.INSTRUMENTS_MANAGE, object_type="core.instrument", object_id=instrument_id)
    return instrument


@methods("POST")
def draft_approve(request: HttpRequest, instrument_id: int) -> HttpResponse:
    draft = _draft(request, instrument_id)
    form = ApprovalForm(request.POST)
    if form.is_valid():
        try:
            drafts.draft_approve(
                actor=acting_user(request),
                draft=draft,
                code=form.cleaned_data["token"],
                effective_from=form.cleaned_data["effective_from"],
                expected_row_version=form.cleaned_data["row_version"],
            )
        except StepUpFailed as error:
            form.add_error("token", str(error.message))
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Version approved."))
            return redirect("instruments:version_detail", instrument_id=draft.pk)
    return _detail(request, draft, approval=form, status=400)


@methods("POST")
def draft_refuse(request: HttpRequest, instrument_id: int) -> HttpResponse:
    draft = _draft(request, instrument_id)
    form = RefusalForm(request.POST)
    if form.is_valid():
        try:
            drafts.draft_refuse(
                actor=acting_user(request),
                draft=draft,
                reason=form.cleaned_data["reason"],
                expected_row_version=form.cleaned_data["row_version"],
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Draft refused: the version in force stays."))
            return redirect("instruments:version_detail", instrument_id=draft.pk)
    return _detail(request, draft, refusal=form, status=400)


def _ilo_initial(list_data: InstrumentData) -> list[dict[str, object]]:
    return [
        {
            "dimension": dim["code"],
            "code": ind["code"],
            "strength": ind["strength"],
            "label_fr": ind["label"].get("fr", ""),
            "label_en": ind["label"].get("en", ""),
            "unverified": bool(ind.get("unverified")),
            "source_note": ind.get("source_note", ""),
        }
        for dim in list_data["dimensions"]
        for ind in dim["indicators"]
    ]


def _save(request: HttpRequest, draft: Instrument, form: Form, data: InstrumentData, part: str) -> HttpResponse | None:
    """Save new data into the draft, or put the refusal on the form; a redirect when saved."""
    try:
        drafts.draft_save(
            actor=acting_user(request),
            draft=draft,
            data=data,
            expected_row_version=form.cleaned_data["row_version"],
            part=part,
        )
    except DomainError as error:
        form.add_error(None, str(error.message))
        return None
    messages.success(request, _("Draft saved."))
    return redirect("instruments:version_detail", instrument_id=draft.pk)


@methods("GET", "POST")
def draft_edit(request: HttpRequest, instrument_id: int, section: str) -> HttpResponse:
    draft = _draft(request, instrument_id)
    if draft.kind == drafts.ILO and section in draft.data["lists"]:
        return _edit_ilo(request, draft, section)
    if draft.kind == drafts.ELIGIBILITY and section == ELIGIBILITY_SECTION:
        return _edit_eligibility(request, draft)
    if draft.kind == drafts.RSS and section == RSS_SECTION:
        return _edit_rss(request, draft)
    raise Http404


def _edit_ilo(request: HttpRequest, draft: Instrument, list_code: str) -> HttpResponse:
    list_data = draft.data["lists"][list_code]
    dimensions = [(dim["code"], f"{dim['code']} — {drafts.label_of(dim['label'])}") for dim in list_data["dimensions"]]
    data = request.POST if request.method == "POST" else None
    form = IloListForm(
        data,
        initial={
            "row_version": draft.row_version,
            "verified": bool(list_data.get("verified")),
            "source_note": list_data.get("source_note", ""),
        },
    )
    rows = IndicatorRows(data, initial=_ilo_initial(list_data), prefix="ind", form_kwargs={"dimensions": dimensions})
    if request.method == "POST" and form.is_valid() and rows.is_valid():
        try:
            new = drafts.ilo_list_apply(
                draft.data,
                list_code=list_code,
                rows=rows.rows(),
                verified=form.cleaned_data["verified"],
                source_note=form.cleaned_data["source_note"],
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            done = _save(request, draft, form, new, f"lists.{list_code}")
            if done is not None:
                return done
    context = {
        "draft": draft,
        "form": form,
        "rows": rows,
        "title": drafts.label_of(list_data["label"]),
        "note": drafts.label_of(list_data["note"]) if list_data.get("note") else "",
    }
    return render(request, "instruments/edit_ilo.html", context, status=400 if request.method == "POST" else 200)


def _edit_eligibility(request: HttpRequest, draft: Instrument) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    params = draft.data
    form = EligibilityForm(
        data,
        initial={
            "row_version": draft.row_version,
            "eu_member_states": params["eu_member_states"],
            "adult_age": params["adult_age"],
            "max_age": params["max_age"],
        },
    )
    rows = DepartementRows(data, initial=[{"code": code} for code in params["overseas_departements"]], prefix="dom")
    if request.method == "POST" and form.is_valid() and rows.is_valid():
        try:
            new = drafts.eligibility_apply(
                params,
                eu_member_states=form.cleaned_data["eu_member_states"],
                overseas_departements=rows.codes(),
                adult_age=form.cleaned_data["adult_age"],
                max_age=form.cleaned_data["max_age"],
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            done = _save(request, draft, form, new, "eligibility")
            if done is not None:
                return done
    context = {"draft": draft, "form": form, "rows": rows}
    return render(
        request, "instruments/edit_eligibility.html", context, status=400 if request.method == "POST" else 200
    )


def _edit_rss(request: HttpRequest, draft: Instrument) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    questionnaire = draft.data
    form = QuestionnaireForm(
        data,
        initial={"row_version": draft.row_version, "weights_loaded": bool(questionnaire.get("weights_loaded"))},
    )
    initial = [
        {
            "code": item["code"],
            "label_fr": item["label"].get("fr", ""),
            "label_en": item["label"].get("en", ""),
            "dimension_weight": item.get("dimension_weight"),
            "composite_weight": item.get("composite_weight"),
        }
        for item in questionnaire["items"]
    ]
    rows = QuestionRows(data, initial=initial, prefix="q")
    if request.method == "POST" and form.is_valid() and rows.is_valid():
        try:
            new = drafts.rss_apply(
                questionnaire,
                rows=[row.cleaned_data for row in rows.forms],
                weights_loaded=form.cleaned_data["weights_loaded"],
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            done = _save(request, draft, form, new, "questionnaire")
            if done is not None:
                return done
    dimensions = {dim["code"]: drafts.label_of(dim["label"]) for dim in questionnaire["dimensions"]}
    items = questionnaire["items"]
    labelled = [(row, dimensions.get(item["dimension"], "")) for row, item in zip(rows.forms, items, strict=False)]
    context = {"draft": draft, "form": form, "rows": rows, "labelled": labelled}
    return render(request, "instruments/edit_rss.html", context, status=400 if request.method == "POST" else 200)
