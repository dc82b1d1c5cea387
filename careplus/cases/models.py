"""The case file of a beneficiary; personal data encrypted under the case's own data key."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from careplus.accounts.models import Office, User
from careplus.cases.choices import CaseStatus, Sex
from careplus.core.fields import (
    EncryptedBytesField,
    EncryptedDateField,
    EncryptedJSONField,
    EncryptedTextField,
)
from careplus.core.models import BaseModel, DataKey


class Case(BaseModel):
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN)
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("office of the country of return"),
    )
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")
    given_names = EncryptedTextField(_("given names"))
    family_name = EncryptedTextField(_("family name"))
    date_of_birth = EncryptedDateField(_("date of birth"))
    safe_contact = EncryptedJSONField(_("safe contact preferences"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    nationality = models.CharField(_("nationality (ISO code)"), max_length=2, blank=True)
    country_of_return = models.CharField(_("country of return (ISO code)"), max_length=2, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    person_index = models.CharField(max_length=64, blank=True, db_index=True)
    opened_on = models.DateField(_("opened on"))
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_on", "reference"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=CaseStatus.values), name="case_status_valid"),
        ]

    def __str__(self) -> str:
        return self.reference


class CaseAttachment(BaseModel):
    """A document of the case file, stored encrypted."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    filename = EncryptedTextField(_("file name"), key_field="case.data_key")
    content = EncryptedBytesField(_("contents"), key_field="case.data_key")
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return f"{self.case.reference} attachment"
