"""Training component: sessions, registration, import, attendance, scores and feedback."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from careplus.accounts.models import User
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.core.errors import RuleViolation, StaleObject
from careplus.programmes.models import Programme
from careplus.trainings import sheets
from careplus.trainings.choices import Module, RegisteredVia
from careplus.trainings.models import ModuleFeedback, Participation, Professional, SessionMaterial, TrainingSession


@transaction.atomic
def session_create(*, actor: User, programme: Programme, **values: Any) -> TrainingSession:
    session = TrainingSession(programme=programme, created_by=actor, **values)
    session.full_clean()
    session.save()
    record_event(action=AuditAction.CREATE, obj=session, actor=actor, fields=sorted(values))
    return session


@transaction.atomic
def session_update(*, actor: User, session: TrainingSession, expected_version: int, **values: Any) -> TrainingSession:
    locked = TrainingSession.objects.select_for_update().get(pk=session.pk)
    if locked.version != expected_version:
        raise StaleObject(_("Someone else changed this session meanwhile. Reload the page."))
    for name, value in values.items():
        setattr(locked, name, value)
    locked.version += 1
    locked.full_clean()
    locked.save()
    record_event(action=AuditAction.CHANGE, obj=locked, actor=actor, fields=sorted(values))
    return locked


def _professional(values: dict[str, str]) -> Professional:
    email = values["email"].strip().lower()
    professional, created = Professional.objects.get_or_create(
        email=email,
        defaults={
            "full_name": values["full_name"].strip(),
            "organisation": values["organisation"].strip(),
            "organisation_type": values["organisation_type"],
            "position": values.get("position", "").strip(),
        },
    )
    if not created:
        for name in ("full_name", "organisation", "organisation_type", "position"):
            if values.get(name):
                setattr(professional, name, values[name].strip())
        professional.save()
    return professional


@transaction.atomic
def register(*, session: TrainingSession, values: dict[str, str]) -> Participation:
    """Register someone through the session's public link (capacity and duplicate checked)."""
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    if not session.registration_open:
        raise RuleViolation(_("Registration for this session is closed."))
    email = values["email"].strip().lower()
    if session.participations.filter(professional__email=email).exists():
        raise RuleViolation(_("This e-mail address is already registered for this session."))
    if session.participations.count() >= session.capacity:
        raise RuleViolation(_("This session is full. Contact the organisers to be told of the next ones."))
    participation = Participation.objects.create(
        session=session, professional=_professional(values), registered_via=RegisteredVia.LINK
    )
    record_event(action=AuditAction.CREATE, obj=participation, actor=None, actor_label="registration link")
    transaction.on_commit(partial(_confirm, participation_id=participation.pk))
    return participation


def _confirm(*, participation_id: Any) -> None:
    participation = Participation.objects.select_related("session", "professional").get(pk=participation_id)
    context = {"session": participation.session, "professional": participation.professional}
    send_mail(
        _("Registration confirmed: %(title)s") % {"title": participation.session.title},
        render_to_string("trainings/email/confirmation.txt", context),
        None,
        [participation.professional.email],
    )


@transaction.atomic
def registration_toggle(*, actor: User, session: TrainingSession, open_link: bool) -> TrainingSession:
    TrainingSession.objects.filter(pk=session.pk).update(registration_open=open_link)
    record_event(action=AuditAction.CHANGE, obj=session, actor=actor, fields=["registration_open"])
    session.refresh_from_db()
    return session


def import_preview(*, session: TrainingSession, rows: list[sheets.Row]) -> list[sheets.Row]:
    """Check the rows against the session; nothing is saved."""
    registered = set(session.participations.values_list("professional__email", flat=True))
    return sheets.check_rows(rows, already_registered=registered)


@transaction.atomic
def import_commit(*, actor: User, session: TrainingSession, rows: list[sheets.Row]) -> int:
    """Save every row or none: any row with an error refuses the whole import."""
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    checked = import_preview(session=session, rows=rows)
    if any(row.errors for row in checked):
        raise RuleViolation(_("Some rows still have errors: nothing was saved."))
    if session.participations.count() + len(checked) > session.capacity:
        raise RuleViolation(_("The sheet has more people than the session's capacity: nothing was saved."))
    for row in checked:
        values = {**row.values, "organisation_type": sheets.organisation_type(row.values["organisation_type"]) or ""}
        Participation.objects.create(
            session=session, professional=_professional(values), registered_via=RegisteredVia.IMPORT
        )
    record_event(action=AuditAction.CHANGE, obj=session, actor=actor, fields=["participations"])
    return len(checked)


@transaction.atomic
def attendance_save(*, actor: User, session: TrainingSession, rows: dict[Any, dict[str, Any]]) -> None:
    """Record presence, pre/post scores (0–100) and satisfaction per module for each participant."""
    participations = {p.pk: p for p in session.participations.select_for_update()}
    for pk, values in rows.items():
        participation = participations.get(pk)
        if participation is None:
            raise RuleViolation(_("A participant of another session was sent: nothing was saved."))
        participation.present = values["present"]
        participation.pre_score = values["pre_score"]
        participation.post_score = values["post_score"]
        participation.save(update_fields=["present", "pre_score", "post_score"])
        for module, (rating, comment) in values.get("feedback", {}).items():
            if rating is None:
                ModuleFeedback.objects.filter(participation=participation, module=module).delete()
            else:
                ModuleFeedback.objects.update_or_create(
                    participation=participation, module=module, defaults={"rating": rating, "comment": comment}
                )
    record_event(action=AuditAction.CHANGE, obj=session, actor=actor, fields=["attendance", "scores", "feedback"])


@transaction.atomic
def material_add(
    *, actor: User, session: TrainingSession, module: str, filename: str, content: bytes, content_type: str
) -> SessionMaterial:
    if module not in Module.values:
        raise RuleViolation(_("Unknown module."))
    material = SessionMaterial.objects.create(
        session=session, module=module, filename=filename, content=content, content_type=content_type, uploaded_by=actor
    )
    record_event(action=AuditAction.CHANGE, obj=session, actor=actor, fields=["materials"])
    return material


def certificate_pdf(participation: Participation) -> bytes:
    """Render the attendance certificate of a present participant (French)."""
    from weasyprint import HTML

    if participation.present is not True:
        raise RuleViolation(_("A certificate is only issued to a participant marked present."))
    with translation.override("fr"):  # certificates are issued in French
        html = render_to_string(
            "trainings/certificate.html",
            {
                "participation": participation,
                "session": participation.session,
                "modules": participation.session.module_labels(),
            },
        )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
