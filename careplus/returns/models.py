"""Departure, arrival assistance, reintegration plan and budget, follow-up visits."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careplus.accounts.models import User
from careplus.cases.models import Case, CaseAttachment
from careplus.core.fields import EncryptedJSONField, EncryptedTextField
from careplus.core.models import BaseModel, Instrument
from careplus.programmes.choices import PlanCategory
from careplus.returns.choices import ArrivalKind, DeliveryMode, ItemStatus, VisitMode, VisitStatus

if TYPE_CHECKING:
    from careplus.returns.sustainability import Scores


class Departure(BaseModel):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="departure", verbose_name=_("case file"))
    actual_departure_on = models.DateField(_("actual departure"), null=True, blank=True)
    arrival_on = models.DateField(_("arrival"), null=True, blank=True)
    airport = EncryptedTextField(_("departure airport"), key_field="case.data_key", max_chars=100)
    return_file = EncryptedTextField(_("OFII return-assistance file reference"), key_field="case.data_key")
    escort = EncryptedTextField(_("escort"), key_field="case.data_key")
    fit_to_travel = models.BooleanField(_("fit to travel"), default=False)
    wish_reconfirmed_on = models.DateField(_("return wish reconfirmed on"), null=True, blank=True)
    wish_reconfirmed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("wish reconfirmed by")
    )
    updated_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("updated by"))

    class Meta:
        verbose_name = _("departure")

    def __str__(self) -> str:
        return f"{self.case_id} departure"


class TravelLeg(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="travel_legs", verbose_name=_("case file"))
    travel_on = models.DateField(_("date"))
    from_place = EncryptedTextField(_("from"), key_field="case.data_key", max_chars=100)
    to_place = EncryptedTextField(_("to"), key_field="case.data_key", max_chars=100)
    transit_assistance = models.BooleanField(_("transit assistance"), default=False)

    class Meta:
        ordering = ["travel_on", "created_at"]
        verbose_name = _("travel leg")

    def __str__(self) -> str:
        return f"{self.case_id} travel leg {self.travel_on}"


class ArrivalItem(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="arrival_items", verbose_name=_("case file"))
    kind = models.CharField(_("assistance"), max_length=20, choices=ArrivalKind.choices)
    details = EncryptedTextField(_("who, where"), key_field="case.data_key")
    planned_on = models.DateField(_("planned on"))
    nights = models.PositiveSmallIntegerField(_("nights"), null=True, blank=True)
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)

    class Meta:
        ordering = ["planned_on", "created_at"]
        verbose_name = _("arrival assistance")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind}"


class PlanItem(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="plan_items", verbose_name=_("case file"))
    category = models.CharField(_("category"), max_length=20, choices=PlanCategory.choices)
    description = EncryptedTextField(_("description"), key_field="case.data_key")
    provider = EncryptedTextField(_("provider"), key_field="case.data_key", max_chars=200)
    delivery_mode = models.CharField(_("in kind or cash"), max_length=10, choices=DeliveryMode.choices)
    planned_amount = models.DecimalField(_("planned amount (EUR)"), max_digits=10, decimal_places=2)
    local_currency = models.CharField(_("local currency"), max_length=3, blank=True)
    local_amount = models.DecimalField(
        _("amount in local currency"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    exchange_rate = models.DecimalField(
        _("exchange rate (local per EUR)"), max_digits=14, decimal_places=6, null=True, blank=True
    )
    rate_date = models.DateField(_("date of the exchange rate"), null=True, blank=True)
    # Nullable so that the column is added in place (the rollup triggers stay on the table).
    rate_source = models.CharField(_("source of the exchange rate"), max_length=200, null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.PLANNED)
    actual_cost = models.DecimalField(_("actual cost (EUR)"), max_digits=10, decimal_places=2, null=True, blank=True)
    # Paid in local currency: what was actually paid, and the rate of the delivery date it was converted at.
    actual_local_cost = models.DecimalField(
        _("actual cost in local currency"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    actual_exchange_rate = models.DecimalField(
        _("exchange rate at delivery (local per EUR)"), max_digits=14, decimal_places=6, null=True, blank=True
    )
    actual_rate_date = models.DateField(_("date of the exchange rate at delivery"), null=True, blank=True)
    actual_rate_source = models.CharField(
        _("source of the exchange rate at delivery"), max_length=200, null=True, blank=True
    )
    delivered_on = models.DateField(_("delivered on"), null=True, blank=True)
    evidence = models.ForeignKey(
        CaseAttachment, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("evidence")
    )
    approved_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("approved by")
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        constraints = [
            models.CheckConstraint(condition=Q(planned_amount__gte=Decimal("0")), name="planitem_amount_positive"),
            models.CheckConstraint(
                condition=Q(actual_cost__isnull=True) | Q(actual_cost__gte=Decimal("0")), name="planitem_cost_positive"
            ),
            models.CheckConstraint(condition=Q(status__in=ItemStatus.values), name="planitem_status_valid"),
        ]
        # The inbox walks the items awaiting approval oldest first and keeps those in scope.
        indexes = [models.Index(fields=["status", "created_at"], name="planitem_status_order")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.category}"


class CeilingException(BaseModel):
    """A coordinator's exception allowing a case's plan to exceed the per-beneficiary ceiling."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="ceiling_exceptions", verbose_name=_("case file")
    )
    new_ceiling = models.DecimalField(_("ceiling allowed for this case (EUR)"), max_digits=10, decimal_places=2)
    reason = EncryptedTextField(_("reason"), key_field="case.data_key")
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("granted by"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("ceiling exception")

    def __str__(self) -> str:
        return f"{self.case_id} exception {self.new_ceiling}"


# Follow-up lasts at most 12 months after arrival; returning schedules the default visits
# (careplus.cases.services.followup_plan_create).
FOLLOW_UP_MONTHS = (1, 3, 6, 12)
MAX_FOLLOW_UP_MONTHS = 12


class Visit(BaseModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="visits", verbose_name=_("case file"))
    planned_on = models.DateField(_("planned on"))
    status = models.CharField(_("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.PLANNED)
    done_on = models.DateField(_("date of the visit"), null=True, blank=True)
    mode = models.CharField(_("mode"), max_length=10, choices=VisitMode.choices, blank=True)
    conducted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("conducted by")
    )
    progress = EncryptedTextField(_("progress on the plan"), key_field="case.data_key")
    notes = EncryptedTextField(_("notes"), key_field="case.data_key")
    missed_reason = EncryptedTextField(_("reason the visit was missed"), key_field="case.data_key", max_chars=300)
    answers = EncryptedJSONField(_("questionnaire answers"), key_field="case.data_key")
    scores = models.JSONField(_("sustainability scores"), null=True, blank=True)
    # The same scores as numbers, so programme averages are computed from an index.
    score_economic = models.DecimalField(_("economic score"), max_digits=5, decimal_places=4, null=True, blank=True)
    score_social = models.DecimalField(_("social score"), max_digits=5, decimal_places=4, null=True, blank=True)
    score_psychosocial = models.DecimalField(
        _("psychosocial score"), max_digits=5, decimal_places=4, null=True, blank=True
    )
    score_composite = models.DecimalField(_("composite score"), max_digits=5, decimal_places=4, null=True, blank=True)
    instrument = models.ForeignKey(
        Instrument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("instrument version"),
    )

    class Meta:
        ordering = ["planned_on"]
        indexes = [
            # Covers the figures and the task inbox (a case's visits by status and date, with scores).
            models.Index(
                fields=[
                    "case",
                    "status",
                    "planned_on",
                    "score_economic",
                    "score_social",
                    "score_psychosocial",
                    "score_composite",
                ],
                name="visit_case_status_cover",
            ),
            # The inbox: planned visits in date order, walked until enough of them are in scope.
            models.Index(fields=["status", "planned_on", "id"], name="visit_due_order"),
        ]
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")

    def __str__(self) -> str:
        return f"{self.case_id} visit {self.planned_on}"

    def put_scores(self, scores: Scores) -> None:
        """Put the visit's scores on it: as recorded (JSON, with flags) and as numbers for the averages."""
        self.scores = scores.as_json()
        self.score_economic, self.score_social = scores.economic, scores.social
        self.score_psychosocial, self.score_composite = scores.psychosocial, scores.composite


class FollowUpAlert(models.Model):
    """A visit answer that needs a caseworker's attention at once (distress, support asked)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("case file"))
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("visit"))
    item = models.CharField(_("plan item"), max_length=40)
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("resolved by")
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("follow-up alert")
        # The inbox walks the open alerts oldest first and keeps those in scope.
        indexes = [
            models.Index(fields=["created_at"], name="alert_open_order", condition=models.Q(resolved_at__isnull=True))
        ]

    def __str__(self) -> str:
        return f"{self.case_id} alert {self.item}"


class ReminderDigest(models.Model):
    """One reminder digest per user and day, so running the command twice sends it once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", verbose_name=_("user"))
    day = models.DateField(_("day"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reminder digest")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="reminder_once_a_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"
