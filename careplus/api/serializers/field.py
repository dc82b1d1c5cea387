"""The offline package of field visits (issue 23)."""

from __future__ import annotations

from rest_framework import serializers

from careplus.api.serializers.common import CarePlusSerializer


class PackageQuery(CarePlusSerializer):
    days = serializers.IntegerField(required=False, help_text="Days ahead the package covers (1 to 60, 14 by default).")


class OfflineOption(CarePlusSerializer):
    code = serializers.CharField()
    # The serializer metaclass takes declared fields out of the class, so `label` does not shadow
    # Field.label at run time; the stubs cannot know.
    label = serializers.CharField()  # type: ignore[assignment]


class OfflineQuestion(CarePlusSerializer):
    code = serializers.CharField()
    dimension = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # as in OfflineOption
    options = OfflineOption(many=True)
    alerting = serializers.ListField(
        child=serializers.CharField(), help_text="Option codes that raise an alert for the caseworker at once."
    )


class OfflineQuestionnaire(CarePlusSerializer):
    instrument_id = serializers.IntegerField(help_text="Send it back with each visit: the server scores with it.")
    version = serializers.CharField()
    questions = OfflineQuestion(many=True)


class OfflineVisitOutput(CarePlusSerializer):
    id = serializers.UUIDField()
    version = serializers.IntegerField(help_text="Send it as If-Match when the visit is synced.")
    case_id = serializers.UUIDField()
    case_reference = serializers.CharField()
    person = serializers.CharField(help_text="The safe-contact alias, else the first given name.")
    planned_on = serializers.DateField()
    overdue = serializers.BooleanField()
    last_scores = serializers.DictField(child=serializers.CharField(), allow_null=True)


class OfflineArrivalOutput(CarePlusSerializer):
    id = serializers.UUIDField()
    version = serializers.IntegerField()
    case_id = serializers.UUIDField()
    case_reference = serializers.CharField()
    person = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    planned_on = serializers.DateField()


class PackageOutput(CarePlusSerializer):
    id = serializers.UUIDField()
    user_id = serializers.UUIDField()
    generated_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    days = serializers.IntegerField()
    questionnaire = OfflineQuestionnaire()
    visits = OfflineVisitOutput(many=True)
    arrivals = OfflineArrivalOutput(many=True)
    files_left_out = serializers.IntegerField(help_text="Files with something due that did not fit (at most 50).")
    restricted_left_out = serializers.IntegerField(help_text="Restricted files: never taken offline.")
