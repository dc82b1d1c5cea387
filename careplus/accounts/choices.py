"""Choices for offices and organisations."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OfficeKind(models.TextChoices):
    COORDINATING = "coordinating", _("Coordinating office")
    RETURN_COUNTRY = "return_country", _("Office in a country of return")


class OrganisationType(models.TextChoices):
    OFII = "ofii", _("French Office for Immigration and Integration (OFII)")
    CHILD_WELFARE = "ase", _("Child welfare (ASE)")
    NGO = "ngo", _("NGO")
    POLICE = "police", _("Police")
    GENDARMERIE = "gendarmerie", _("Gendarmerie")
    LABOUR_INSPECTION = "labour_inspection", _("Labour inspection")
    COURT = "court", _("Court")


class Language(models.TextChoices):
    FRENCH = "fr", _("French")
    ENGLISH = "en", _("English")
