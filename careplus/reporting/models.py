"""Rollups of the tables the dashboard counts (cases, referrals, visits, delivered assistance).

A programme accumulates about a dozen visits and a few plan items per case; at 100,000 cases
the dashboard cannot rescan them on every view. Each rollup row holds the totals for one
combination of the case attributes the dashboard's scope depends on (programme, month opened,
month closed, withdrawn) and of what is counted (a month and a status, a category, a value),
so that any period made of whole months is answered exactly by summing a few thousand rows.

The rows are maintained by database triggers (migration 0001) in the same transaction as the
change, whatever wrote it (services, bulk loads, the admin shell): they cannot drift from the
source rows. `manage.py rebuild_figures` recomputes them from scratch and `--check` compares.
"""

from __future__ import annotations

import datetime

from django.db import models

from careplus.programmes.models import Programme

# Month recorded for a case that is still open (a date, so the key never holds NULL).
STILL_OPEN = datetime.date(9999, 12, 1)
# Scores are stored with four decimals; their sums are kept as integers of 1/10,000.
SCORE_SCALE = 10_000


class _CaseScope(models.Model):
    programme = models.ForeignKey(
        Programme, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", db_index=False
    )
    opened_month = models.DateField()
    closed_month = models.DateField()
    withdrawn = models.BooleanField()

    class Meta:
        abstract = True


def _key(name: str, *parts: str) -> list[models.BaseConstraint]:
    """The rollup's key: the case scope, then what is counted (the triggers upsert on it)."""
    return [
        models.UniqueConstraint(fields=["programme", "opened_month", "closed_month", "withdrawn", *parts], name=name)
    ]


class CaseFigure(_CaseScope):
    """Cases counted by one attribute (dimension: status, country, sex, age, forms of exploitation)."""

    dimension = models.CharField(max_length=10)
    value = models.TextField()  # a form-of-exploitation list can be long; never cut
    cases = models.IntegerField(default=0)

    class Meta:
        constraints = _key("casefigure_key", "dimension", "value")

    def __str__(self) -> str:
        return f"{self.dimension}={self.value}: {self.cases}"


class VisitMonth(_CaseScope):
    """Follow-up visits planned in a month, by status, with the sums of their scores."""

    month = models.DateField()
    status = models.CharField(max_length=10)
    visits = models.IntegerField(default=0)
    economic = models.BigIntegerField(default=0)
    social = models.BigIntegerField(default=0)
    psychosocial = models.BigIntegerField(default=0)
    composite = models.BigIntegerField(default=0)
    economic_n = models.IntegerField(default=0)
    social_n = models.IntegerField(default=0)
    psychosocial_n = models.IntegerField(default=0)
    composite_n = models.IntegerField(default=0)

    class Meta:
        constraints = _key("visitmonth_key", "month", "status")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.status}: {self.visits}"


class DeliveryMonth(_CaseScope):
    """Reintegration assistance delivered in a month, by category, in cents."""

    month = models.DateField()
    category = models.CharField(max_length=20)
    items = models.IntegerField(default=0)
    cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = _key("deliverymonth_key", "month", "category")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.category}: {self.cents / 100:.2f}"
