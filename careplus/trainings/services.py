"""Training component: sessions, registration, import, attendance, scores and feedback."""

from __future__ import annotations

from functools import partial
from typing import Any, TypedDict
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from careplus.accounts.models import User
from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.core.errors import RuleViolation
from careplus.core.locking import bump, lock_for_edit
from careplus.programmes.models import Programme
from careplus.trainings import sheets
from careplus.trainings.choices import Module, RegisteredVia
from careplus.trainings.models import ModuleFeedback, Participation, Professional, SessionMaterial, TrainingSession


@transaction.atomic
# values: the model's fields, passed through
def session_create(*, actor: User, programme: Programme, **values: Any) -> TrainingSession:
    session = TrainingSession(programme=programme, created_by=actor, **values)
    session.full_clean()
    session.save()
    record_event(action=AuditAction.CREATE, obj=session, actor=actor, fields=sorted(values))
    return session


@transaction.atomic
# values: the model's fields, passed through
def session_update(*, actor: User, session: TrainingSession, expected_version: int, **values: Any) -> TrainingSession:
    locked = lock_for_edit(TrainingSession, session.pk, expected_version, required=True)
    for name, value in values.items():
        setattr(locked, name, value)
    locked.full_clean()
    bump(locked)
    record_event(action=AuditAction.CHANGE, obj=locked, actor=actor, fields=sorted(values))
    return locked


DETAILS = ("full_name", "organisation", "organisation_type", "position")


def _professional(values: dict[str, str]) -> tuple[Professional, dict[str, str]]:
    """Return the professional of an e-mail address (created when new) and what the values would change.

    An existing professional is never edited here: their name and organisation print on earlier
    certificates and feed the indicators. What differs is returned as a proposal for the trainer.
    """
    email = values["email"].strip().lower()
    typed = {name: str(values.get(name) or "").strip() for name in DETAILS}
    professional, created = Professional.objects.get_or_create(email=email, defaults=typed)
    if created:
        return professional, {}
    proposed = {name: value for name, value in typed.items() if value and value != getattr(professional, name)}
    return professional, proposed


@transaction.atomic
def register(*, session: TrainingSession, values: dict[str, str]) -> Participation | None:
    """Register someone through the session's public link.

    The answer never tells whether the address was already registered: a repeated registration
    changes nothing and the address is told by e-mail (returns None). The checks that refuse
    (closed, full) do not depend on the address.
    """
    session = TrainingSession.objects.select_for_update().get(pk=session.pk)
    if not session.registration_open:
        raise RuleViolation(_("Registration for this session is closed."))
    if session.participations.count() >= session.capacity:
        raise RuleViolation(_("This session is full. Contact the organisers to be told of the next ones."))
    email = values["email"].strip().lower()
    existing = session.participations.filter(professional__email=email).first()
    if existing is not None:
        transaction.on_commit(partial(_send, participation_id=existing.pk, template="already_registered"))
        return None
    professional, proposed = _professional(values)
    participation = Participation.objects.create(
        session=session, professional=professional, registered_via=RegisteredVia.LINK, proposed_details=proposed
    )
    record_event(
        action=AuditAction.CREATE,
        obj=participation,
        actor=None,
        actor_label="registration link",
        fields=["proposed_details"] if proposed else (),
    )
    transaction.on_commit(partial(_send, participation_id=participation.pk, template="confirmation"))
    return participation


def _send(*, participation_id: UUID, template: str) -> None:
    """E-mail the registered address: confirmation, or that it was already registered."""
    participation = Participation.objects.select_related("session", "professional").get(pk=participation_id)
    context = {
        "session": participation.session,
        "professional": participation.professional,
        "has_proposal": bool(participation.proposed_details),
    }
    subjects = {
        "confirmation": _("Registration confirmed: %(title)s"),
        "already_registered": _("Already registered: %(title)s"),
    }
    send_mail(
        subjects[template] % {"title": participation.session.title},
        render_to_string(f"trainings/email/{template}.txt", context),
        None,
        [participation.professional.email],
    )


@transaction.atomic
def proposal_decide(*, actor: User, participation: Participation, apply: bool) -> Participation:
    """Apply the details proposed at registration to the professional's record, or dismiss them."""
    locked = Participation.objects.select_for_update().get(pk=participation.pk)
    proposed = {name: str(value) for name, value in (locked.proposed_details or {}).items() if name in DETAILS}
    if not proposed:
        raise RuleViolation(_("This registration proposes no change (any longer)."))
    if apply:
        professional = Professional.objects.select_for_update().get(pk=locked.professional_id)
        for name, value in proposed.items():
            setattr(professional, name, value)
        try:
            professional.full_clean()
        except ValidationError as error:
            raise RuleViolation(_("The proposed details are not valid: dismiss them.")) from error
        professional.save()
        record_event(action=AuditAction.CHANGE, obj=professional, actor=actor, fields=sorted(proposed))
    locked.proposed_details = {}
    locked.save(update_fields=["proposed_details"])
    record_event(action=AuditAction.CHANGE, obj=locked, actor=actor, fields=["proposed_details"])
    return locked


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
        professional, proposed = _professional(values)
        Participation.objects.create(
            session=session, professional=professional, registered_via=RegisteredVia.IMPORT, proposed_details=proposed
        )
    record_event(action=AuditAction.CHANGE, obj=session, actor=actor, fields=["participations"])
    return len(checked)


class Attendance(TypedDict):
    """One participant's row of the attendance grid."""

    present: bool | None
    pre_score: int | None
    post_score: int | None
    feedback: dict[str, tuple[int | None, str]]  # by module: rating (1-5) and comment


@transaction.atomic
def attendance_save(*, actor: User, session: TrainingSession, rows: dict[UUID, Attendance]) -> None:
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
