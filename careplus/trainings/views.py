"""Training pages: sessions, public registration, import, attendance, certificates, materials."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from careplus.access.decorators import public
from careplus.access.fetch import acting_user, get_training_for, require
from careplus.access.roles import Action
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.cases.uploads import check_upload
from careplus.core.errors import DomainError
from careplus.core.http import methods
from careplus.core.network import client_ip
from careplus.core.ratelimit import take_slot
from careplus.referrals.selectors import current_programme
from careplus.trainings import indicators, selectors, services, sheets
from careplus.trainings.choices import Module
from careplus.trainings.forms import ImportForm, MaterialForm, RegistrationForm, SessionForm, parse_attendance
from careplus.trainings.models import TrainingSession

REGISTRATIONS_PER_IP = 10
REGISTRATION_WINDOW = 600


@methods("GET")
def session_list(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.TRAININGS_MANAGE)
    programme = current_programme()
    context = {
        "sessions": selectors.session_list(actor=request.user),
        "programme": programme,
        "indicators": indicators.compute(programme) if programme else None,
    }
    return render(request, "trainings/session_list.html", context)


def _session_values(form: SessionForm) -> dict[str, Any]:  # cleaned values, each of its field's type
    return {k: v for k, v in form.cleaned_data.items() if k != "version"}


@methods("GET", "POST")
def session_create(request: HttpRequest) -> HttpResponse:
    require(request.user, Action.TRAININGS_MANAGE)
    programme = current_programme()
    form = SessionForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and programme is not None:
        try:
            session = services.session_create(actor=acting_user(request), programme=programme, **_session_values(form))
        except (DomainError, ValidationError) as error:
            form.add_error(None, str(getattr(error, "message", error)))
        else:
            messages.success(request, _("Training session created."))
            return redirect("trainings:session_detail", session_id=session.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "trainings/session_form.html", {"form": form, "programme": programme}, status=status)


@methods("GET", "POST")
def session_edit(request: HttpRequest, session_id: str) -> HttpResponse:
    session = get_training_for(request.user, session_id, action=Action.TRAININGS_MANAGE)
    initial = {name: getattr(session, name) for name in SessionForm.base_fields if name != "version"}
    initial["version"] = session.version
    form = SessionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.session_update(
                actor=acting_user(request),
                session=session,
                expected_version=form.cleaned_data.get("version") or 0,
                **_session_values(form),
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
        else:
            messages.success(request, _("Training session saved."))
            return redirect("trainings:session_detail", session_id=session.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "trainings/session_form.html", {"form": form, "session": session}, status=status)


def _detail(
    request: HttpRequest, session: TrainingSession, *, errors: dict[str, str] | None = None, status: int = 200
) -> HttpResponse:
    participations = selectors.participations(session)
    context = {
        "session": session,
        "participations": participations,
        "modules": [(code, Module(code).label) for code in session.modules if code in Module.values],
        "errors": errors or {},
        "posted": request.POST if errors else {},
        "registration_url": request.build_absolute_uri(f"/inscription/{session.registration_token}/"),
        "summary": selectors.session_summary(session),
        "proposals": selectors.proposals(participations),
        "materials": selectors.materials(session),
        "material_form": MaterialForm(),
        "import_form": ImportForm(),
    }
    return render(request, "trainings/session_detail.html", context, status=status)


@methods("GET", "POST")
def session_detail(request: HttpRequest, session_id: str) -> HttpResponse:
    """The session with its participants; POST saves attendance, scores and satisfaction."""
    session = get_training_for(request.user, session_id, action=Action.TRAININGS_MANAGE)
    if request.method == "POST":
        ids = [p.pk for p in selectors.participations(session)]
        rows, errors = parse_attendance(request.POST, ids, [c for c in session.modules if c in Module.values])
        if errors:
            messages.error(request, _("Nothing was saved: check the highlighted cells."))
            return _detail(request, session, errors=errors, status=400)
        services.attendance_save(actor=acting_user(request), session=session, rows=rows)
        messages.success(request, _("Attendance, scores and satisfaction saved."))
        return redirect("trainings:session_detail", session_id=session.pk)
    record_event(action=AuditAction.VIEW, obj=session)
    return _detail(request, session)


@methods("POST")
def registration_toggle(request: HttpRequest, session_id: str) -> HttpResponse:
    session = get_training_for(request.user, session_id, action=Action.TRAININGS_MANAGE)
    services.registration_toggle(actor=acting_user(request), session=session, open_link=not session.registration_open)
    messages.success(request, _("Registration link updated."))
    return redirect("trainings:session_detail", session_id=session.pk)


@public
@methods("GET", "POST")
def registration(request: HttpRequest, token: str) -> HttpResponse:
    """The public registration page of a session (reveals nothing about other participants).

    A new and an already registered address get the same page; the address is told by e-mail.
    """
    session = selectors.session_by_token(token)
    if session is None:
        raise Http404
    form = RegistrationForm(request.POST or None)
    if request.method == "POST":
        client = salted_hmac("careplus.training-registration", client_ip(request)).hexdigest()
        key = f"training-registration:{client}"
        if not take_slot(key, limit=REGISTRATIONS_PER_IP, window=REGISTRATION_WINDOW):
            return render(
                request,
                "trainings/registration.html",
                {"session": session, "form": form, "throttled": True},
                status=429,
            )
        if form.is_valid():
            try:
                services.register(session=session, values=form.cleaned_data)
            except DomainError as error:
                form.add_error(None, str(error.message))
            else:
                return render(request, "trainings/registration_done.html", {"session": session})
    status = 400 if request.method == "POST" else 200
    return render(request, "trainings/registration.html", {"session": session, "form": form}, status=status)


@methods("POST")
def proposal_decide(request: HttpRequest, session_id: str, participation_id: str) -> HttpResponse:
    """Apply to the professional's record the details proposed at registration, or dismiss them."""
    session = get_training_for(request.user, session_id, action=Action.TRAININGS_MANAGE)
    participation = selectors.participation_of(session, participation_id)
    decision = request.POST.get("decision", "")
    if decision not in {"apply", "dismiss"}:
        messages.error(request, _("Choose whether to apply or to dismiss the proposed change."))
        return _detail(request, session, status=400)
    try:
        services.proposal_decide(actor=acting_user(request), participation=participation, apply=decision == "apply")
    except DomainError as error:
        messages.error(request, str(error.message))
        return _detail(request, session, status=400)
    messages.success(
        request, _("The participant's details are updated.") if decision == "apply" else _("Proposed change dismissed.")
    )
    return redirect("trainings:session_detail", session_id=session.pk)


@methods("POST")
def import_sheet(request: HttpRequest, session_id: str) -> HttpResponse:
    """Upload → preview with row errors; corrected preview → all-or-nothing commit."""
    session = get_training_for(request.user, session_id, action=Action.TRAININGS_MANAGE)
    if "commit" in request.POST:
        rows = sheets.rows_from_post(request.POST)
        try:
            count = services.import_commit(actor=acting_user(request), session=session, rows=rows)
        except DomainError as error:
            messages.error(request, str(error.message))
            rows = services.import_preview(session=session, rows=rows)
            return render(request, "trainings/import_preview.html", {"session": session, "rows": rows}, status=400)
        messages.success(request, _("%(count)d participants imported.") % {"count": count})
        return redirect("trainings:session_detail", session_id=session.pk)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a CSV or XLSX file."))
        return _detail(request, session, status=400)
    upload = form.cleaned_data["sheet"]
    try:
        if upload.size and upload.size > sheets.MAX_BYTES:
            raise sheets.SheetError(_("The file is larger than 2 MB."))
        rows = sheets.read_sheet(upload.name or "", upload.read())
    except sheets.SheetError as error:
        messages.error(request, str(error))
        return _detail(request, session, status=400)
    rows = services.import_preview(session=session, rows=rows)
    return render(request, "trainings/import_preview.html", {"session": session, "rows": rows})


@methods("GET")
def certificate(request: HttpRequest, session_id: str, participation_id: str) -> HttpResponse:
    session = get_training_for(request.user, session_id, action=Action.TRAININGS_MANAGE)
    participation = selectors.participation_of(session, participation_id)
    try:
        pdf = services.certificate_pdf(participation)
    except DomainError as error:
        messages.error(request, str(error.message))
        return redirect("trainings:session_detail", session_id=session.pk)
    record_event(action=AuditAction.EXPORT, obj=participation)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="attestation-{participation.pk}.pdf"'
    return response


@methods("GET")
def certificates_zip(request: HttpRequest, session_id: str) -> HttpResponse:
    session = get_training_for(request.user, session_id, action=Action.TRAININGS_MANAGE)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for participation in selectors.participations(session):
            if participation.present:
                archive.writestr(f"attestation-{participation.pk}.pdf", services.certificate_pdf(participation))
    record_event(action=AuditAction.EXPORT, obj=session, fields=["certificates"])
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="attestations-{session.held_on}.zip"'
    return response


@methods("POST")
def material_add(request: HttpRequest, session_id: str) -> HttpResponse:
    session = get_training_for(request.user, session_id, action=Action.TRAININGS_MANAGE)
    form = MaterialForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["document"]
        try:
            clean = check_upload(upload.name or "", upload.read())
            if clean.content_type != "application/pdf":
                raise ValidationError(_("Training materials must be PDF documents."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            services.material_add(
                actor=acting_user(request),
                session=session,
                module=form.cleaned_data["module"],
                filename=clean.filename,
                content=clean.content,
                content_type=clean.content_type,
            )
            messages.success(request, _("Material added."))
            return redirect("trainings:session_detail", session_id=session.pk)
    else:
        messages.error(request, _("Choose a module and a PDF document."))
    return _detail(request, session, status=400)


@methods("GET")
def material_download(request: HttpRequest, session_id: str, material_id: str) -> HttpResponse:
    session = get_training_for(request.user, session_id, action=Action.TRAININGS_MANAGE)
    material = selectors.material_of(session, material_id)
    response = HttpResponse(bytes(material.content), content_type=material.content_type)
    response["Content-Disposition"] = f'attachment; filename="{material.filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
