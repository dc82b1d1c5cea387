"""Choices of the training component."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SessionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held")
    CANCELLED = "cancelled", _("Cancelled")


class Module(models.TextChoices):
    MODULE_I = "I", _("Module I — definitions, legal framework, facts and figures")
    MODULE_II = "II", _("Module II — identification: indicators and interview techniques")
    MODULE_III = "III", _("Module III — referral of victims")


class ProfessionalType(models.TextChoices):
    OFII = "ofii", _("French Office for Immigration and Integration (OFII)")
    CHILD_WELFARE = "ase", _("Child welfare (ASE)")
    GENDARMERIE = "gendarmerie", _("Gendarmerie")
    BORDER_POLICE = "paf", _("Border police (PAF)")
    POLICE = "police", _("Police")
    JUDICIARY = "judiciary", _("Judiciary")
    LABOUR_INSPECTION = "labour_inspection", _("Labour inspection")
    NGO = "ngo", _("NGO (non-specialised)")
    NGO_SPECIALISED = "ngo_specialised", _("NGO (specialised)")
    OTHER = "other", _("Other")


class RegisteredVia(models.TextChoices):
    LINK = "link", _("Registration link")
    IMPORT = "import", _("Attendance sheet")
    MANUAL = "manual", _("Entered by a trainer")
