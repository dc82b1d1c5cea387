"""Data-subject requests: the erasure request (GDPR art. 17) with its second approval and certificate."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext as _gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from careplus.accounts.models import User
from careplus.cases.models import Case
from careplus.core.models import BaseModel
from careplus.referrals.models import Referral


class ErasureStatus(models.TextChoices):
    REQUESTED = "requested", _("Awaiting approval")
    ERASED = "erased", _("Approved and erased")
    REFUSED = "refused", pgettext_lazy("erasure request", "Refused")  # feminine in French: la demande


class ErasureRequest(BaseModel):
    """A request to crypto-shred one case file, or one referral that never became a case, decided by a second person.

    Only the case or referral number identifies the file: the request, its reasons and its
    certificate hold no personal data, so they stay readable after the erasure. Exactly one of
    `case` and `referral` is set.
    """

    case = models.ForeignKey(
        Case,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="erasure_requests",
        verbose_name=_("case"),
    )
    referral = models.ForeignKey(
        Referral,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="erasure_requests",
        verbose_name=_("referral"),
    )
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
            models.UniqueConstraint(
                fields=["referral"],
                condition=models.Q(status="requested"),
                name="erasure_one_open_request_per_referral",
            ),
            # A request names one file: a case file, or a referral that never became one.
            models.CheckConstraint(
                condition=(
                    models.Q(case__isnull=False, referral__isnull=True)
                    | models.Q(case__isnull=True, referral__isnull=False)
                ),
                name="erasure_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id or self.referral_id} erasure"

    @property
    def is_referral(self) -> bool:
        """Whether the request names a referral (that never became a case) rather than a case file."""
        return self.referral_id is not None

    @property
    def subject(self) -> Case | Referral:
        """The case file or referral to erase."""
        subject = self.referral if self.referral_id is not None else self.case
        assert subject is not None  # the check constraint sets exactly one
        return subject

    @property
    def reference(self) -> str:
        """The number of the file to erase (CARE-… or ORI-…), the one thing that names it."""
        return self.subject.reference

    @property
    def subject_label(self) -> str:
        """The kind and number of the file ("Case file CARE-…", "Referral ORI-…") in the active language."""
        if self.is_referral:
            return _gettext("Referral %(reference)s") % {"reference": self.reference}
        return _gettext("Case file %(reference)s") % {"reference": self.reference}
