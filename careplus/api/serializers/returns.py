"""Reintegration plan items and follow-up visits."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from django.core.exceptions import ValidationError

from careplus.api.serializers.common import MULTILINE, CarePlusSerializer
from careplus.core.money import parse_amount
from careplus.programmes.choices import PlanCategory
from careplus.returns.choices import DeliveryMode, ItemStatus, VisitMode, VisitStatus


@extend_schema_field(OpenApiTypes.STR)
class MoneyInput(serializers.Field):  # type: ignore[type-arg]
    """An amount read by the same parser as the pages: a JSON number, "1234.50" or "1 234,50"."""

    def to_internal_value(self, data: object) -> Decimal | None:
        try:
            return parse_amount(data)
        except ValidationError as error:
            raise serializers.ValidationError(error.messages) from error

    def to_representation(self, value: object) -> str:
        return str(value)


class PlanItemOutput(CarePlusSerializer):
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
    rate_date = serializers.DateField(allow_null=True)
    rate_source = serializers.CharField(allow_blank=True, allow_null=True)
    status = serializers.ChoiceField(choices=ItemStatus.choices)
    actual_cost = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    actual_local_cost = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    actual_exchange_rate = serializers.DecimalField(max_digits=14, decimal_places=6, allow_null=True)
    actual_rate_date = serializers.DateField(allow_null=True)
    actual_rate_source = serializers.CharField(allow_blank=True, allow_null=True)
    delivered_on = serializers.DateField(allow_null=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class PlanItemInput(CarePlusSerializer):
    """A new plan item; its status, approval and case come from the workflow, never from the body."""

    category = serializers.ChoiceField(choices=PlanCategory.choices)
    description = serializers.CharField(max_length=500)
    provider = serializers.CharField(max_length=200)
    delivery_mode = serializers.ChoiceField(choices=DeliveryMode.choices)
    planned_amount = MoneyInput(
        required=False,
        allow_null=True,
        help_text="In euros, only when paid in euros; otherwise computed from the local amount and the reference rate.",
    )
    local_currency = serializers.CharField(max_length=3, required=False, allow_blank=True)
    local_amount = MoneyInput(required=False, allow_null=True)


class PlanDeliverInput(CarePlusSerializer):
    """The cost actually paid: in euros for an item paid in euros, else in the item's local currency."""

    actual_cost = MoneyInput(required=False, allow_null=True, help_text="In euros, only for an item paid in euros.")
    actual_local_cost = MoneyInput(
        required=False,
        allow_null=True,
        help_text="In the item's local currency, for an item paid locally; "
        "converted to euros at the reference rate of the delivery date.",
    )
    delivered_on = serializers.DateField()


class VisitOutput(CarePlusSerializer):
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


class VisitRecordInput(CarePlusSerializer):
    """A visit as done, with the sustainability questionnaire's answers by item code."""

    done_on = serializers.DateField()
    mode = serializers.ChoiceField(choices=VisitMode.choices)
    progress = serializers.CharField(max_length=3000, style=MULTILINE)
    notes = serializers.CharField(max_length=3000, required=False, allow_blank=True, default="", style=MULTILINE)
    answers = serializers.DictField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=dict,
        help_text="Item code → option code, from the current questionnaire; unanswered items are left out.",
    )
