"""Referrals: partners create and follow their own (status only); coordinators read all."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from careplus.access import rules
from careplus.access.fetch import get_referral_for, require
from careplus.access.policy import can
from careplus.access.reading import record_case_read
from careplus.access.roles import Action
from careplus.api.base import ApiView
from careplus.api.concurrency import tagged
from careplus.api.pagination import NewestFirst
from careplus.api.serializers.common import CountOutput, cleaned, read_filters
from careplus.api.serializers.referrals import ReferralCreateInput, ReferralFilter, ReferralOutput
from careplus.api.views.cases import header_reason
from careplus.core.errors import RuleViolation
from careplus.referrals import selectors, services
from careplus.referrals.choices import Channel
from careplus.referrals.forms import ReferralForm
from careplus.referrals.models import Referral


def _filtered(request: Request) -> QuerySet[Referral]:
    require(request.user, Action.REFERRALS_VIEW)
    filters = read_filters(ReferralFilter, request.query_params)
    referrals = selectors.referral_list(actor=request.user, status=filters.get("status", "")).select_related("case")
    if "programme" in filters:
        referrals = referrals.filter(programme_id=filters["programme"])
    if "received_after" in filters:
        referrals = referrals.filter(received_on__gte=filters["received_after"])
    if "received_before" in filters:
        referrals = referrals.filter(received_on__lte=filters["received_before"])
    return referrals


class ReferralList(ApiView):
    audit_type = "referrals.referral"
    is_listing = True
    pagination_class = NewestFirst
    serializer_class = ReferralOutput

    @extend_schema(operation_id="referrals_list", parameters=[ReferralFilter], responses=ReferralOutput(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(_filtered(request))
        person = can(request.user, Action.REFERRALS_READ_PERSON)
        return self.get_paginated_response(ReferralOutput(page, many=True, context={"person": person}).data)

    @extend_schema(operation_id="referrals_create", request=ReferralCreateInput, responses={201: ReferralOutput})
    def post(self, request: Request) -> Response:
        """Submit a referral; a possible duplicate answers 409 until `confirm_duplicate` is true."""
        require(request.user, Action.REFERRALS_SUBMIT)
        actor = self.actor
        coordinator = rules.enters_for_any_organisation(actor)
        programme = selectors.current_programme()
        if programme is None:
            raise RuleViolation(_("No programme receives referrals yet."))
        payload = ReferralCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.form_data()
        data.setdefault("received_on", timezone.localdate())
        organisations = selectors.organisations_for(actor=actor, coordinator=coordinator)
        form = ReferralForm(data, organisations=organisations, coordinator=coordinator)
        values = cleaned(form)
        referral = services.referral_submit(
            actor=actor,
            programme=programme,
            organisation=form.referring_organisation(),
            channel=Channel.PORTAL,
            received_on=values.get("received_on") or timezone.localdate(),
            person=form.person(),
            confirm_duplicate=bool(values.get("confirm_duplicate")),
        )
        body = ReferralOutput(referral, context={"person": can(actor, Action.REFERRALS_READ_PERSON)}).data
        return tagged(Response(body, status=status.HTTP_201_CREATED), referral)


class ReferralCount(ApiView):
    audit_type = "referrals.referral"
    is_listing = True
    serializer_class = CountOutput

    @extend_schema(operation_id="referrals_count", parameters=[ReferralFilter], responses=CountOutput)
    def get(self, request: Request) -> Response:
        return Response({"count": _filtered(request).count()})


class ReferralDetail(ApiView):
    audit_type = "referrals.referral"
    id_kwarg = "referral_id"
    serializer_class = ReferralOutput

    @extend_schema(operation_id="referrals_retrieve", responses=ReferralOutput)
    def get(self, request: Request, referral_id: str) -> Response:
        referral = get_referral_for(request.user, referral_id, action=Action.REFERRALS_VIEW)
        person = can(request.user, Action.REFERRALS_READ_PERSON)
        reason_given = False
        if person and referral.case is not None and referral.case.restricted:
            # The person of a restricted file's referral is read only with the file's reason.
            reason = header_reason(request, referral.case)
            record_case_read(actor=self.actor, case=referral.case, part="referral", reason=reason)
            reason_given = True
        context = {"person": person, "reason_given": reason_given}
        return tagged(Response(ReferralOutput(referral, context=context).data), referral)
