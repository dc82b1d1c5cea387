"""Reintegration plan items and follow-up visits."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from careplus.returns.choices import DeliveryMode, ItemStatus, PlanCategory, VisitMode, VisitStatus


class PlanItemOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    case_id = serializers.UUIDField()
    category = serializers.ChoiceField(choices=PlanCategory.choices)
    description = serializers.CharField()
    provider = serializers.CharField()
    delivery_mode = serializers.ChoiceField(choices=DeliveryMode.choices)
    planned_amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    local_currency = serializers.CharField(allow_blank=True)
    local_amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    exchange_rate = serializers.DecimalField(max_digits=14, decimal_places=6, allow_null=True)
    status = serializers.ChoiceField(choices=ItemStatus.choices)
    actual_cost = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    delivered_on = serializers.DateField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PlanItemInput(serializers.Serializer[Any]):
    """A new plan item; its status, approval and case come from the workflow, never from the body."""

    category = serializers.ChoiceField(choices=PlanCategory.choices)
    description = serializers.CharField(max_length=500)
    provider = serializers.CharField(max_length=200)
    delivery_mode = serializers.ChoiceField(choices=DeliveryMode.choices)
    planned_amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    local_currency = serializers.CharField(max_length=3, required=False, allow_blank=True)
    local_amount = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, allow_null=True)
    exchange_rate = serializers.DecimalField(max_digits=14, decimal_places=6, required=False, allow_null=True)


class PlanDeliverInput(serializers.Serializer[Any]):
    actual_cost = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    delivered_on = serializers.DateField()


class VisitOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    case_id = serializers.UUIDField()
    planned_on = serializers.DateField()
    status = serializers.ChoiceField(choices=VisitStatus.choices)
    done_on = serializers.DateField(allow_null=True)
    mode = serializers.CharField(allow_blank=True)
    missed_reason = serializers.CharField(allow_blank=True, allow_null=True)
    scores = serializers.DictField(child=serializers.JSONField(), allow_null=True)
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class VisitRecordInput(serializers.Serializer[Any]):
    """A visit as done, with the sustainability questionnaire's answers by item code."""

    done_on = serializers.DateField()
    mode = serializers.ChoiceField(choices=VisitMode.choices)
    progress = serializers.CharField(max_length=3000)
    notes = serializers.CharField(max_length=3000, required=False, allow_blank=True, default="")
    answers = serializers.DictField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=dict,
        help_text="Item code → option code, from the current questionnaire; unanswered items are left out.",
    )
