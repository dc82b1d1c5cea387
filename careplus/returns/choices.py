"""Choices of departure, arrival, reintegration plan and follow-up."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ArrivalKind(models.TextChoices):
    AIRPORT_RECEPTION = "airport_reception", _("Airport reception")
    SHELTER = "shelter", _("Shelter")
    ONWARD_TRANSPORT = "onward_transport", _("Onward transport")


class DeliveryMode(models.TextChoices):
    IN_KIND = "in_kind", _("In kind")
    CASH = "cash", _("Cash")


class ItemStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    APPROVED = "approved", _("Approved")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class VisitMode(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Telephone")
    VIDEO = "video", _("Video")


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    MISSED = "missed", _("Missed")


class ClosureReason(models.TextChoices):
    COMPLETED = "completed", _("Completed 12-month follow-up")
    REINTEGRATED = "reintegrated", _("Reintegrated early")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    REMIGRATED = "remigrated", _("Re-migrated")
    RETRAFFICKED = "retrafficked", _("Re-trafficked")
    DECEASED = "deceased", _("Deceased")
    REFUSED = "refused", _("Refused further assistance")
    OTHER = "other", _("Other")
