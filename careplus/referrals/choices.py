"""Choices of a referral."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ReferralStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACCEPTED = "accepted", pgettext_lazy("referral status", "Accepted")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")
    REDIRECTED = "redirected", _("Redirected")
    WITHDRAWN = "withdrawn", pgettext_lazy("referral status", "Withdrawn")


class DecisionOutcome(models.TextChoices):
    ACCEPT = "accept", _("Accept: open a case")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")
    REDIRECT = "redirect", _("Redirect to another mechanism")
    WITHDRAW = "withdraw", _("Withdrawn")


OUTCOME_STATUS = {
    DecisionOutcome.ACCEPT: ReferralStatus.ACCEPTED,
    DecisionOutcome.NOT_ELIGIBLE: ReferralStatus.NOT_ELIGIBLE,
    DecisionOutcome.REDIRECT: ReferralStatus.REDIRECTED,
    DecisionOutcome.WITHDRAW: ReferralStatus.WITHDRAWN,
}


class Channel(models.TextChoices):
    PORTAL = "portal", _("Partner portal")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Telephone")
    OTHER = "other", _("Other")


class IdentificationStatus(models.TextChoices):
    IDENTIFIED = "identified", _("Formally identified by an authority")
    PRESUMED = "presumed", _("Presumed victim (NGO or other professional)")
    NOT_IDENTIFIED = "not_identified", _("Not identified")


class IdentifyingAuthority(models.TextChoices):
    POLICE = "police", _("Police")
    GENDARMERIE = "gendarmerie", _("Gendarmerie")
    JUDICIAL = "judicial", _("Judicial authority")
    NGO = "ngo", _("NGO")
    LABOUR_INSPECTION = "labour_inspection", _("Labour inspection")
    OTHER = "other", _("Other")


class ExploitationForm(models.TextChoices):
    SEXUAL = "sexual", _("Sexual exploitation")
    FORCED_LABOUR = "forced_labour", _("Forced labour or services")
    DOMESTIC_SERVITUDE = "domestic_servitude", _("Domestic servitude")
    SLAVERY = "slavery", _("Slavery")
    BEGGING = "begging", _("Forced begging")
    CRIMINALITY = "criminality", _("Forced criminality")
    ORGAN_REMOVAL = "organ_removal", _("Organ removal")
    DIGNITY = "dignity", _("Work or housing contrary to dignity")
    FORCED_MARRIAGE = "forced_marriage", _("Forced marriage")
    ILLEGAL_ADOPTION = "illegal_adoption", _("Illegal adoption")
    SURROGACY = "surrogacy", _("Surrogacy")
    OTHER = "other", _("Other")


class ScreeningList(models.TextChoices):
    ADULT_LABOUR = "adult_labour", _("Adults — labour exploitation")
    ADULT_SEXUAL = "adult_sexual", _("Adults — sexual exploitation")
    CHILD_LABOUR = "child_labour", _("Children — labour exploitation")
    CHILD_SEXUAL = "child_sexual", _("Children — sexual exploitation")
