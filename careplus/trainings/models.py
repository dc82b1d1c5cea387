"""Training sessions, professionals trained, participation, feedback and materials."""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careplus.accounts.models import User
from careplus.core.models import BaseModel
from careplus.programmes.models import Programme
from careplus.trainings.choices import Module, ProfessionalType, RegisteredVia, SessionStatus


def new_token() -> str:
    return secrets.token_urlsafe(24)


class TrainingSession(BaseModel):
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="trainings")
    title = models.CharField(_("title"), max_length=200)
    city = models.CharField(_("city"), max_length=100)
    venue = models.CharField(_("venue"), max_length=200)
    held_on = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.PLANNED)
    capacity = models.PositiveIntegerField(_("capacity"))
    modules = models.JSONField(_("modules delivered"), default=list)
    trainers = models.CharField(
        _("trainers"), max_length=500, blank=True, help_text=_("Internal trainers and guest experts.")
    )
    registration_token = models.CharField(max_length=64, unique=True, default=new_token)
    registration_open = models.BooleanField(_("registration link open"), default=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-held_on"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        constraints = [models.CheckConstraint(condition=Q(capacity__gte=1), name="training_capacity_positive")]

    def __str__(self) -> str:
        return f"{self.title} ({self.city}, {self.held_on})"

    def module_labels(self) -> list[str]:
        return [str(Module(code).label) for code in self.modules if code in Module.values]


class Professional(BaseModel):
    """A professional trained; the same e-mail across sessions is the same person."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    organisation = models.CharField(_("organisation"), max_length=200)
    organisation_type = models.CharField(_("organisation type"), max_length=20, choices=ProfessionalType.choices)
    position = models.CharField(_("position"), max_length=150, blank=True)

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("professional")
        verbose_name_plural = _("professionals")

    def __str__(self) -> str:
        return self.full_name


class Participation(BaseModel):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="participations")
    professional = models.ForeignKey(Professional, on_delete=models.PROTECT, related_name="participations")
    registered_via = models.CharField(_("registered via"), max_length=10, choices=RegisteredVia.choices)
    present = models.BooleanField(_("present"), null=True, blank=True)
    pre_score = models.PositiveSmallIntegerField(_("pre-test score"), null=True, blank=True)
    post_score = models.PositiveSmallIntegerField(_("post-test score"), null=True, blank=True)
    # What a registration typed that differs from the professional's record (field name → value):
    # a public form never edits a person; the trainer applies or dismisses the proposal.
    proposed_details = models.JSONField(_("details proposed at registration"), default=dict, blank=True)

    class Meta:
        ordering = ["professional__full_name"]
        verbose_name = _("participation")
        constraints = [
            models.UniqueConstraint(fields=["session", "professional"], name="participation_once_per_session"),
            models.CheckConstraint(condition=Q(pre_score__lte=100) | Q(pre_score__isnull=True), name="pre_score_range"),
            models.CheckConstraint(
                condition=Q(post_score__lte=100) | Q(post_score__isnull=True), name="post_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.professional} @ {self.session_id}"

    @property
    def ratings(self) -> dict[str, ModuleFeedback]:
        """Return this participant's feedback by module (uses the prefetched rows)."""
        return {feedback.module: feedback for feedback in self.feedback.all()}


class ModuleFeedback(models.Model):
    participation = models.ForeignKey(Participation, on_delete=models.CASCADE, related_name="feedback")
    module = models.CharField(_("module"), max_length=3, choices=Module.choices)
    rating = models.PositiveSmallIntegerField(_("satisfaction (1–5)"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("module feedback")
        constraints = [
            models.UniqueConstraint(fields=["participation", "module"], name="feedback_once_per_module"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="feedback_rating_range"),
        ]

    def __str__(self) -> str:
        return f"{self.participation_id} {self.module} {self.rating}"


class SessionMaterial(BaseModel):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="materials")
    module = models.CharField(_("module"), max_length=3, choices=Module.choices)
    filename = models.CharField(_("file name"), max_length=150)
    content = models.BinaryField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["module", "filename"]
        verbose_name = _("training material")

    def __str__(self) -> str:
        return self.filename
