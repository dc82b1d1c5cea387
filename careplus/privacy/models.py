"""Data-subject requests: the erasure request (GDPR art. 17) with its second approval and certificate."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from careplus.accounts.models import User
from careplus.cases.models import Case
from careplus.core.models import BaseModel


class ErasureStatus(models.TextChoices):
    REQUESTED = "requested", _("Awaiting approval")
    ERASED = "erased", _("Approved and erased")
    REFUSED = "refused", _("Refused")


class ErasureRequest(BaseModel):
    """A request to crypto-shred one case file, decided by a second person.

    Only the case number identifies the file: the request, its reasons and its certificate hold no
    personal data, so they stay readable after the erasure.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="erasure_requests", verbose_name=_("case"))
    reason = models.TextField(_("reason for the erasure"))
    status = models.CharField(
        _("status"), max_length=20, choices=ErasureStatus.choices, default=ErasureStatus.REQUESTED
    )
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by"))
    decided_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the refusal"), blank=True)
    # What was destroyed and what statistical fields remain (labels only, never values).
    certificate = models.JSONField(_("erasure certificate"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=ErasureStatus.values), name="erasure_status_valid"),
            # One open request per file: a second one would be approved twice.
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status="requested"),
                name="erasure_one_open_request_per_case",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} erasure"
