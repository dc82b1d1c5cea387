"""Programmes and their indicators (suppressed for readers without exact figures)."""

from __future__ import annotations

from rest_framework import serializers

from careplus.api.serializers.common import CarePlusSerializer


class ProgrammeOutput(CarePlusSerializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    funder = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    target_beneficiaries = serializers.IntegerField()
    target_trainings = serializers.IntegerField()
    target_professionals = serializers.IntegerField()
    budget = serializers.DecimalField(max_digits=12, decimal_places=2)


class IndicatorRow(CarePlusSerializer):
    category = serializers.CharField()
    value = serializers.JSONField(help_text='A number, or "< 5"-style text or null where suppressed.')


class IndicatorBlock(CarePlusSerializer):
    key = serializers.CharField()
    component = serializers.CharField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=["count", "amount", "score"])
    total = serializers.JSONField()
    target = serializers.JSONField(allow_null=True)
    suppressed = serializers.BooleanField()
    rows = IndicatorRow(many=True)


class IndicatorsOutput(CarePlusSerializer):
    programme_id = serializers.UUIDField()
    period = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    exact = serializers.BooleanField(help_text="False when small counts are suppressed (disclosure control).")
    k = serializers.IntegerField(help_text="Smallest count shown in a breakdown.")
    blocks = IndicatorBlock(many=True)


class IndicatorsQuery(CarePlusSerializer):
    period = serializers.CharField(required=False, max_length=20, help_text="`all`, a semester or month key.")
    start = serializers.DateField(required=False)
    end = serializers.DateField(required=False)
