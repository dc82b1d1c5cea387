"""Choices of the case file."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CaseStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("case status", "Open")
    PRE_DEPARTURE = "pre_departure", _("Pre-departure")
    READY_TO_DEPART = "ready_to_depart", _("Ready to depart")
    RETURNED = "returned", _("Returned")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SUSPENDED = "suspended", _("Suspended")


class Sex(models.TextChoices):
    FEMALE = "f", _("Female")
    MALE = "m", _("Male")
    OTHER = "x", _("Other")
    UNKNOWN = "u", _("Unknown")


class Rating(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Priority(models.TextChoices):
    NONE = "none", _("No need")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


RISK_FACTORS = [
    ("re_trafficking", _("Re-trafficking")),
    ("network_threats", _("Threats from the trafficking network in the country of return")),
    ("family_involvement", _("Family involvement")),
    ("debts", _("Debts")),
    ("stigma", _("Stigma or rejection")),
    ("health", _("Health")),
    ("area_security", _("Security of the destination area")),
]
CHILD_RISK_FACTORS = [
    ("child_care", _("Child: care arrangements on arrival")),
    ("child_schooling", _("Child: access to school")),
]
NEED_CATEGORIES = [
    ("medical", _("Medical")),
    ("housing", _("Housing")),
    ("psychosocial", _("Psychosocial")),
    ("legal", _("Legal")),
    ("documentation", _("Documentation")),
    ("education", _("Education and training")),
    ("employment", _("Employment and income")),
    ("family_mediation", _("Family mediation")),
]


class PreferredPath(models.TextChoices):
    EMPLOYMENT = "employment", _("Employment")
    TRAINING = "training", _("Training")
    IGA = "iga", _("Income-generating activity")
    EDUCATION = "education", _("Education")


class ConsentScope(models.TextChoices):
    DATA_PROCESSING = "data_processing", _("Processing of personal data")
    SHARE_RETURN_OFFICE = "share_return_office", _("Sharing with the office in the country of return")
    SHARE_PROVIDERS = "share_providers", _("Sharing with service providers")
    GUARDIAN = "guardian", _("Guardian's consent to the return (minor)")


class PermitStatus(models.TextChoices):
    NONE = "none", _("None")
    APPLIED = "applied", _("Applied for")
    GRANTED = "granted", _("Granted (CESEDA L.425-1)")


class OfiiLevel(models.TextChoices):
    NONE = "none", _("No OFII file")
    LEVEL_1 = "level_1", _("Level 1")
    LEVEL_2 = "level_2", _("Level 2")
    LEVEL_3 = "level_3", _("Level 3")


class SafeContactChannel(models.TextChoices):
    """The usual ways of reaching the person safely (the field also takes a channel typed freely)."""

    PHONE = "phone", _("Phone call")
    SMS = "sms", _("Text message")
    MESSAGING = "messaging_app", _("Messaging app")
    EMAIL = "email", _("E-mail")
    IN_PERSON = "in_person", _("In person")
