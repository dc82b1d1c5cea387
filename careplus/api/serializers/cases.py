"""Case files: summary, detail with the transitions the workflow offers, transition input."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from careplus.api.serializers.common import MULTILINE, CarePlusSerializer
from careplus.cases.choices import CaseStatus, Sex
from careplus.returns.choices import ClosureReason

if TYPE_CHECKING:
    from careplus.cases.models import Case


class CaseOutput(CarePlusSerializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    office_id = serializers.UUIDField()
    programme_id = serializers.UUIDField(allow_null=True)
    opened_on = serializers.DateField()
    is_minor = serializers.BooleanField()
    restricted = serializers.BooleanField()
    sex = serializers.ChoiceField(choices=Sex.choices)
    nationality = serializers.CharField(allow_blank=True)
    country_of_return = serializers.CharField(allow_blank=True)
    planned_departure_on = serializers.DateField(allow_null=True)
    closed_on = serializers.DateField(allow_null=True)
    closure_reason = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class TransitionOption(CarePlusSerializer):
    target = serializers.ChoiceField(choices=CaseStatus.choices)
    needs_reason = serializers.BooleanField()
    missing = serializers.ListField(child=serializers.CharField())


class CaseDetailOutput(CaseOutput):
    given_names = serializers.CharField()
    family_name = serializers.CharField()
    date_of_birth = serializers.DateField(allow_null=True)
    transitions = serializers.SerializerMethodField(help_text="Where the case may go next, with what is still missing.")

    @extend_schema_field(TransitionOption(many=True))
    def get_transitions(self, case: Case) -> list[dict[str, Any]]:  # JSON: TransitionOption's fields
        transitions: list[dict[str, Any]] = self.context.get("transitions", [])  # JSON
        return transitions


class CaseFilter(CarePlusSerializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices, required=False)
    office = serializers.UUIDField(required=False)
    programme = serializers.UUIDField(required=False)
    opened_after = serializers.DateField(required=False)
    opened_before = serializers.DateField(required=False)


class TransitionInput(CarePlusSerializer):
    target = serializers.ChoiceField(choices=CaseStatus.choices)
    reason = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="", style=MULTILINE)
    closure_reason = serializers.ChoiceField(
        choices=ClosureReason.choices, required=False, allow_blank=True, default=""
    )


class AssessmentOutput(CarePlusSerializer):
    section = serializers.CharField()
    title = serializers.CharField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    values = serializers.DictField(child=serializers.JSONField(), help_text="The fields of the section's form.")


class AssessmentSummary(CarePlusSerializer):
    section = serializers.CharField()
    title = serializers.CharField()
    recorded = serializers.BooleanField()
    version = serializers.IntegerField(allow_null=True)


class AssessmentInput(CarePlusSerializer):
    values = serializers.DictField(
        child=serializers.JSONField(),
        help_text="The section's form fields (e.g. for `risque`: factor_<name>, overall, mitigation).",
    )
