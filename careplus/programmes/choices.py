"""Choices of programmes: the categories a programme budgets and a reintegration plan spends."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanCategory(models.TextChoices):
    MEDICAL = "medical", _("Medical care")
    HOUSING = "housing", _("Temporary housing")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    VOCATIONAL = "vocational", _("Vocational training")
    IGA = "iga", _("Income-generating activity")
    EDUCATION = "education", _("Education")
    LEGAL = "legal", _("Legal aid")
    FAMILY = "family", _("Family mediation")
    OTHER = "other", _("Other")
