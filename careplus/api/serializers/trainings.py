"""Training sessions and their participants."""

from __future__ import annotations

from rest_framework import serializers

from careplus.api.serializers.common import CarePlusSerializer
from careplus.trainings import sheets
from careplus.trainings.choices import Module, ProfessionalType, RegisteredVia, SessionStatus


class TrainingOutput(CarePlusSerializer):
    id = serializers.UUIDField()
    programme_id = serializers.UUIDField()
    title = serializers.CharField()
    city = serializers.CharField()
    venue = serializers.CharField()
    held_on = serializers.DateField()
    status = serializers.ChoiceField(choices=SessionStatus.choices)
    capacity = serializers.IntegerField()
    modules = serializers.ListField(child=serializers.ChoiceField(choices=Module.choices))
    trainers = serializers.CharField(allow_blank=True)
    registration_open = serializers.BooleanField()
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class TrainingInput(CarePlusSerializer):
    """A session's own fields; its programme, registration link and version are never taken from the body."""

    title = serializers.CharField(max_length=200)
    city = serializers.CharField(max_length=100)
    venue = serializers.CharField(max_length=200)
    held_on = serializers.DateField()
    status = serializers.ChoiceField(choices=SessionStatus.choices, required=False, default=SessionStatus.PLANNED)
    capacity = serializers.IntegerField(min_value=1, max_value=500)
    modules = serializers.ListField(child=serializers.ChoiceField(choices=Module.choices), min_length=1, max_length=3)
    trainers = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TrainingFilter(CarePlusSerializer):
    status = serializers.ChoiceField(choices=SessionStatus.choices, required=False)
    programme = serializers.UUIDField(required=False)
    held_after = serializers.DateField(required=False)
    held_before = serializers.DateField(required=False)


class ParticipantOutput(CarePlusSerializer):
    id = serializers.UUIDField()
    full_name = serializers.CharField(source="professional.full_name")
    email = serializers.EmailField(source="professional.email")
    organisation = serializers.CharField(source="professional.organisation")
    organisation_type = serializers.ChoiceField(
        source="professional.organisation_type", choices=ProfessionalType.choices
    )
    position = serializers.CharField(source="professional.position", allow_blank=True)
    registered_via = serializers.ChoiceField(choices=RegisteredVia.choices)
    present = serializers.BooleanField(allow_null=True)
    pre_score = serializers.IntegerField(allow_null=True)
    post_score = serializers.IntegerField(allow_null=True)


_LIMITS = sheets.max_lengths()  # the participant's own fields' lengths, as the sheet import checks them


class ParticipantRow(CarePlusSerializer):
    full_name = serializers.CharField(max_length=_LIMITS["full_name"])
    email = serializers.CharField(max_length=_LIMITS["email"])
    organisation = serializers.CharField(max_length=_LIMITS["organisation"])
    organisation_type = serializers.CharField(max_length=200, help_text="A type code or its French or English label.")
    position = serializers.CharField(max_length=_LIMITS["position"], required=False, allow_blank=True, default="")


class ParticipantsInput(CarePlusSerializer):
    """Participants to add, all or none (the same checks as an attendance-sheet import)."""

    participants = serializers.ListField(child=ParticipantRow(), min_length=1, max_length=500)


class ParticipantsAdded(CarePlusSerializer):
    added = serializers.IntegerField()
