"""Referral input and output; the input is checked by the same form as the portal's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django_countries import countries
from rest_framework import serializers

from careplus.api.serializers.common import MULTILINE, CarePlusSerializer
from careplus.cases.choices import Sex
from careplus.referrals.choices import ExploitationForm, IdentificationStatus, IdentifyingAuthority, ReferralStatus

if TYPE_CHECKING:
    from careplus.referrals.models import Referral

COUNTRY_CODES = [code for code, _name in countries]
PERSON_FIELDS = (
    "given_names",
    "family_name",
    "date_of_birth",
    "estimated_age",
    "sex",
    "nationality",
    "country_of_return",
    "identification_status",
    "forms_of_exploitation",
    "is_minor",
    "possible_duplicate",
    "case_id",
)


class ReferralCreateInput(CarePlusSerializer):
    """What a partner (or a coordinator) sends; office, status and programme are never taken from it."""

    organisation = serializers.UUIDField(
        required=False, help_text="The referring organisation; needed only when you refer for several."
    )
    received_on = serializers.DateField(
        required=False, help_text="Coordinators only; partners' referrals are dated today."
    )
    referrer_name = serializers.CharField(max_length=150)
    referrer_contact = serializers.CharField(max_length=150)
    given_names = serializers.CharField(max_length=100)
    family_name = serializers.CharField(max_length=100)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    estimated_age = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=120)
    sex = serializers.ChoiceField(choices=Sex.choices)
    nationality = serializers.ChoiceField(choices=COUNTRY_CODES)
    languages = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    departement = serializers.CharField(max_length=3)
    identification_status = serializers.ChoiceField(choices=IdentificationStatus.choices)
    identified_by = serializers.ChoiceField(choices=IdentifyingAuthority.choices, required=False, allow_blank=True)
    forms_of_exploitation = serializers.ListField(
        child=serializers.ChoiceField(choices=ExploitationForm.choices), min_length=1, max_length=20
    )
    wishes_voluntary_return = serializers.BooleanField()
    country_of_return = serializers.ChoiceField(choices=COUNTRY_CODES)
    guardian_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    guardian_contact = serializers.CharField(max_length=150, required=False, allow_blank=True)
    safety_concerns = serializers.CharField(max_length=2000, required=False, allow_blank=True, style=MULTILINE)
    consent_referral = serializers.BooleanField()
    consent_data_processing = serializers.BooleanField()
    consent_date = serializers.DateField()
    confirm_duplicate = serializers.BooleanField(
        required=False, default=False, help_text="Send anyway after a possible-duplicate answer (409)."
    )

    def form_data(self) -> dict[str, Any]:  # JSON values, as the form reads them
        """Return the validated values as the portal form expects them."""
        data = dict(self.validated_data)
        data["wishes_voluntary_return"] = "yes" if data["wishes_voluntary_return"] else "no"
        data["channel"] = "portal"
        return {key: value for key, value in data.items() if value is not None}


class ReferralOutput(CarePlusSerializer):
    """A referral; partners get its status only, readers of person data get the person fields too."""

    id = serializers.UUIDField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=ReferralStatus.choices)
    received_on = serializers.DateField()
    organisation_id = serializers.UUIDField()
    programme_id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    given_names = serializers.CharField(required=False)
    family_name = serializers.CharField(required=False)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    estimated_age = serializers.IntegerField(required=False, allow_null=True)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    nationality = serializers.CharField(required=False)
    country_of_return = serializers.CharField(required=False)
    identification_status = serializers.CharField(required=False)
    forms_of_exploitation = serializers.ListField(child=serializers.CharField(), required=False)
    is_minor = serializers.BooleanField(required=False)
    possible_duplicate = serializers.BooleanField(required=False)
    case_id = serializers.UUIDField(required=False, allow_null=True)

    def to_representation(self, instance: Referral) -> dict[str, Any]:  # JSON
        data: dict[str, Any] = super().to_representation(instance)  # JSON
        # The person of a restricted file's referral is read only with the file's reason (detail
        # endpoint, X-Access-Reason): never in a list.
        restricted = instance.case is not None and instance.case.restricted
        if not self.context.get("person") or (restricted and not self.context.get("reason_given")):
            for name in PERSON_FIELDS:
                data.pop(name, None)
        return data


class ReferralFilter(CarePlusSerializer):
    status = serializers.ChoiceField(choices=ReferralStatus.choices, required=False)
    programme = serializers.UUIDField(required=False)
    received_after = serializers.DateField(required=False)
    received_before = serializers.DateField(required=False)
