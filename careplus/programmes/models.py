"""Programmes: funders, period, targets, budget and the per-beneficiary ceiling."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from careplus.core.models import BaseModel
from careplus.programmes.choices import PlanCategory


class Programme(BaseModel):
    name = models.CharField(_("name"), max_length=200, unique=True)
    funder = models.CharField(_("funder"), max_length=200)
    co_funders = models.CharField(_("co-funders"), max_length=300, blank=True)
    starts_on = models.DateField(_("start of the period"))
    ends_on = models.DateField(_("end of the period"))
    target_beneficiaries = models.PositiveIntegerField(_("target: beneficiaries assisted"))
    target_trainings = models.PositiveIntegerField(_("target: trainings held"))
    target_professionals = models.PositiveIntegerField(_("target: professionals trained"), default=0)
    budget = models.DecimalField(_("budget (EUR)"), max_digits=12, decimal_places=2, default=Decimal("0"))
    ceiling_per_beneficiary = models.DecimalField(
        _("ceiling per beneficiary (EUR)"), max_digits=10, decimal_places=2, default=Decimal("0")
    )
    # ISO 4217 codes the programme pays in besides the euro (careplus.core.currencies), sorted.
    currencies = models.JSONField(_("currencies used"), default=list, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="programme_period_valid"),
        ]

    def __str__(self) -> str:
        return self.name

    def covers(self, day: datetime.date) -> bool:
        """Tell whether a date falls within the programme's period."""
        return self.starts_on <= day <= self.ends_on


class ProgrammeBudgetLine(BaseModel):
    """The part of a programme's budget set aside for one category of reintegration assistance."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="budget_lines")
    category = models.CharField(_("assistance category"), max_length=20, choices=PlanCategory.choices)
    amount = models.DecimalField(_("budget (EUR)"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["category"]
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        constraints = [
            models.UniqueConstraint(fields=["programme", "category"], name="budgetline_one_per_category"),
            models.CheckConstraint(condition=Q(amount__gte=Decimal("0")), name="budgetline_amount_positive"),
            models.CheckConstraint(condition=Q(category__in=PlanCategory.values), name="budgetline_category_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.programme_id} {self.category} {self.amount}"


class ReferenceRate(BaseModel):
    """A reference exchange rate the coordinator records: local units per euro, from a date on.

    A rate without a programme applies to every programme that has none of its own for that currency.
    """

    programme = models.ForeignKey(
        Programme, on_delete=models.CASCADE, null=True, blank=True, related_name="reference_rates"
    )
    currency = models.CharField(_("currency (ISO code)"), max_length=3)
    valid_from = models.DateField(_("valid from"))
    rate = models.DecimalField(_("rate (local units per EUR)"), max_digits=14, decimal_places=6)
    source = models.CharField(_("source"), max_length=200)

    class Meta:
        ordering = ["currency", "-valid_from"]
        verbose_name = _("reference rate")
        verbose_name_plural = _("reference rates")
        constraints = [
            models.CheckConstraint(condition=Q(rate__gt=Decimal("0")), name="referencerate_rate_positive"),
            models.UniqueConstraint(fields=["programme", "currency", "valid_from"], name="referencerate_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.valid_from} {self.rate}"
