"""Referrals received from partners, their screening and the coordinator's decisions."""

from __future__ import annotations

from django_countries.fields import CountryField

from django.db import models
from django.utils.translation import gettext_lazy as _

from careplus.accounts.models import Organisation, User
from careplus.cases.choices import Sex
from careplus.cases.models import Case
from careplus.core.fields import EncryptedDateField, EncryptedJSONField, EncryptedTextField
from careplus.core.models import BaseModel, DataKey, Instrument
from careplus.programmes.models import Programme
from careplus.referrals.choices import (
    Channel,
    DecisionOutcome,
    IdentificationStatus,
    IdentifyingAuthority,
    ReferralStatus,
    ScreeningList,
)


class Referral(BaseModel):
    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("programme")
    )
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("referring organisation"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    submitted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("submitted by")
    )
    received_on = models.DateField(_("received on"))
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, related_name="+")

    referrer_name = EncryptedTextField(_("referrer"))
    referrer_contact = EncryptedTextField(_("referrer's contact"))
    given_names = EncryptedTextField(_("given names"))
    family_name = EncryptedTextField(_("family name"))
    date_of_birth = EncryptedDateField(_("date of birth"))
    estimated_age = models.PositiveSmallIntegerField(_("estimated age"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    nationality = CountryField(_("nationality"))
    languages = EncryptedTextField(_("languages spoken"), max_chars=200)
    city = EncryptedTextField(_("place of residence in France"))
    departement = models.CharField(_("département"), max_length=3)
    identification_status = models.CharField(_("identification"), max_length=20, choices=IdentificationStatus.choices)
    identified_by = models.CharField(
        _("identified by"), max_length=20, choices=IdentifyingAuthority.choices, blank=True
    )
    forms_of_exploitation = models.JSONField(_("forms of exploitation"), default=list)
    wishes_voluntary_return = models.BooleanField(_("wishes to return voluntarily"))
    country_of_return = CountryField(_("intended country of return"))
    is_minor = models.BooleanField(_("minor"), default=False)
    guardian_name = EncryptedTextField(_("guardian (tuteur / administrateur ad hoc)"))
    guardian_contact = EncryptedTextField(_("guardian's contact"))
    safety_concerns = EncryptedTextField(_("safety concerns"))
    consent_referral = models.BooleanField(_("consents to the referral"))
    consent_data_processing = models.BooleanField(_("consents to the processing of their data"))
    consent_date = models.DateField(_("date of consent"))
    person_index = models.CharField(max_length=64, db_index=True)
    name_index = models.CharField(max_length=64, blank=True, db_index=True)
    possible_duplicate = models.BooleanField(_("possible duplicate"), default=False)
    case = models.OneToOneField(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="referral", verbose_name=_("case file")
    )
    # Set when the referral is crypto-shredded: on the person's request (a referral that never became a
    # case, privacy.erasure) or with the case file it became (cases.services.case_erase).
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_on", "-reference"]
        indexes = [
            models.Index(fields=["programme", "received_on", "organisation"], name="referral_figures_cover"),
            models.Index(fields=["case", "forms_of_exploitation"], name="referral_case_forms"),
            # The referral list in its order: everyone's, by status, an organisation's.
            models.Index(fields=["-received_on", "-reference"], name="referral_list_order"),
            models.Index(fields=["status", "-received_on", "-reference"], name="referral_status_order"),
            # The programme is repeated so that the dashboard's count per organisation is covered
            # here too: with planner statistics (ANALYZE) SQLite skip-scans this index for it,
            # and without the programme it read 100,000 rows from the table (about 100 ms).
            models.Index(
                fields=["organisation", "-received_on", "-reference", "programme"], name="referral_partner_order"
            ),
        ]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=ReferralStatus.values), name="referral_status_valid"),
            models.CheckConstraint(
                condition=~models.Q(status=ReferralStatus.ACCEPTED) | models.Q(case__isnull=False),
                name="referral_accepted_has_case",
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class Screening(BaseModel):
    """Identification screening on the ILO/EU indicators: decision support, never identification."""

    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, related_name="screenings", verbose_name=_("referral")
    )
    instrument = models.ForeignKey(
        Instrument, on_delete=models.PROTECT, related_name="+", verbose_name=_("instrument version")
    )
    indicator_list = models.CharField(_("indicator list"), max_length=20, choices=ScreeningList.choices)
    answers = EncryptedJSONField(_("indicators present"), key_field="referral.data_key")
    result = EncryptedJSONField(_("result"), key_field="referral.data_key")
    done_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("done by"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("screening")
        verbose_name_plural = _("screenings")

    def __str__(self) -> str:
        return f"{self.referral.reference} screening"


class ReferralDecision(BaseModel):
    referral = models.ForeignKey(
        Referral, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("referral")
    )
    outcome = models.CharField(_("decision"), max_length=20, choices=DecisionOutcome.choices)
    reason = EncryptedTextField(_("reasons"), key_field="referral.data_key")
    redirected_to = EncryptedTextField(_("redirected to"), key_field="referral.data_key", max_chars=200)
    override_reason = EncryptedTextField(_("reason for overriding a failed rule"), key_field="referral.data_key")
    eligibility = models.JSONField(_("eligibility at the time of the decision"), default=list)
    eligibility_version = models.CharField(_("eligibility parameters version"), max_length=40, blank=True)
    decided_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("decided by"))

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return f"{self.referral.reference} {self.outcome}"
