"""Reintegration plan items and follow-up visits."""

from __future__ import annotations

import datetime
from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from careplus.api.serializers.common import MULTILINE, CarePlusSerializer
from careplus.core.errors import RuleViolation
from careplus.core.money import parse_amount
from careplus.programmes.choices import PlanCategory
from careplus.returns.choices import ArrivalKind, DeliveryMode, ItemStatus, VisitMode, VisitStatus
from careplus.returns.services import check_recorded_offline_at


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


class AnswersOutput(serializers.DictField):
    """A visit's answers (item code → option code); null when there are none or they were erased."""

    def get_attribute(self, instance: object) -> dict[str, object] | None:
        value = super().get_attribute(instance)
        return value if isinstance(value, dict) else None  # None: the serializer writes null


class VisitSummaryOutput(CarePlusSerializer):
    """A visit in the list of a file's visits: its dates, status and scores, none of its texts."""

    id = serializers.UUIDField()
    case_id = serializers.UUIDField()
    planned_on = serializers.DateField()
    status = serializers.ChoiceField(choices=VisitStatus.choices)
    done_on = serializers.DateField(allow_null=True)
    mode = serializers.CharField(allow_blank=True)
    scores = serializers.DictField(child=serializers.JSONField(), allow_null=True)
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class VisitOutput(VisitSummaryOutput):
    """A visit as stored: after a 412 at sync, the client shows these values beside its own, field by field."""

    progress = serializers.CharField(allow_blank=True, allow_null=True)
    notes = serializers.CharField(allow_blank=True, allow_null=True)
    answers = AnswersOutput(
        child=serializers.CharField(), allow_null=True, help_text="Item code → option code, as answered."
    )
    missed_reason = serializers.CharField(allow_blank=True, allow_null=True)


@extend_schema_field(OpenApiTypes.DATETIME)
class OfflineTime(serializers.DateTimeField):
    """When an entry was made on a device offline: ISO 8601 with its offset from UTC (a time without one is refused).

    Refused when more than 5 minutes ahead of the server's clock or older than 15 days (an offline
    package expires after 14 days); the rule is the service's (`returns.services.check_recorded_offline_at`).
    """

    default_error_messages = {"naive": _("Give the time with its offset from UTC, e.g. 2026-11-30T09:15:00+05:45.")}

    def to_internal_value(self, value: datetime.datetime | str) -> datetime.datetime:
        if isinstance(value, str):
            parsed = parse_datetime(value.strip())
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        moment = super().to_internal_value(value)
        try:
            check_recorded_offline_at(moment)
        except RuleViolation as error:
            raise serializers.ValidationError(str(error.message)) from error
        return moment


def offline_time() -> OfflineTime:
    return OfflineTime(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the entry was made on a device offline (ISO 8601 with offset); kept in the audit log. "
        "Refused more than 5 minutes in the future or older than 15 days.",
    )


def _answered_on_field() -> serializers.IntegerField:
    """The questionnaire version the answers were given on (from the offline package)."""
    return serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The questionnaire version the answers were given on (from the offline package); "
        "the version in force when left out.",
    )


class VisitRecordInput(CarePlusSerializer):
    """A visit as done, with the sustainability questionnaire's answers by item code."""

    instrument_id = _answered_on_field()

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
    recorded_offline_at = offline_time()


class VisitMissedInput(CarePlusSerializer):
    """A planned visit that did not take place, with the reason."""

    reason = serializers.CharField(max_length=300)
    recorded_offline_at = offline_time()


class VisitCorrectInput(CarePlusSerializer):
    """The values chosen on the conflict screen, stored over a visit already done or missed.

    Done: `done_on`, `mode` and `progress` are required, `reason` must be empty. Missed: `reason` is
    required; `done_on`, `mode` and `answers` must be left out (a missed visit has none).
    """

    instrument_id = _answered_on_field()

    outcome = serializers.ChoiceField(choices=[(VisitStatus.DONE.value, "done"), (VisitStatus.MISSED.value, "missed")])
    done_on = serializers.DateField(required=False, allow_null=True, default=None)
    mode = serializers.ChoiceField(choices=VisitMode.choices, required=False, allow_blank=True, default="")
    progress = serializers.CharField(max_length=3000, required=False, allow_blank=True, default="", style=MULTILINE)
    notes = serializers.CharField(max_length=3000, required=False, allow_blank=True, default="", style=MULTILINE)
    answers = serializers.DictField(
        child=serializers.CharField(max_length=40),
        required=False,
        default=dict,
        help_text="Item code → option code, from the current questionnaire; unanswered items are left out.",
    )
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    recorded_offline_at = offline_time()

    def validate(self, attrs: dict[str, object]) -> dict[str, object]:
        errors: dict[str, str] = {}
        if attrs["outcome"] == VisitStatus.DONE:
            if attrs["reason"]:
                errors["reason"] = str(_("A visit done has no reason for being missed: leave it out."))
        else:
            if not attrs["reason"]:
                errors["reason"] = str(_("Give the reason the visit was missed."))
            for name in ("done_on", "mode", "answers"):
                if attrs[name]:
                    errors[name] = str(_("A missed visit has no date, mode or answers: leave it out."))
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ArrivalItemOutput(CarePlusSerializer):
    """An arrival assistance (airport reception, shelter, onward transport); who and where are not sent."""

    id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=ArrivalKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    planned_on = serializers.DateField()
    delivered_on = serializers.DateField(allow_null=True)
    version = serializers.IntegerField()


class ArrivalDeliverInput(CarePlusSerializer):
    delivered_on = serializers.DateField(help_text="Not in the future.")
    recorded_offline_at = offline_time()
