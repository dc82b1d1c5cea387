"""Reads on referrals, from the access scopes."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from careplus.access.policy import Actor
from careplus.access.scopes import partner_organisations, referrals_visible_to
from careplus.accounts.models import Organisation
from careplus.core import instruments
from careplus.programmes.models import Programme
from careplus.referrals import eligibility, screening
from careplus.referrals.models import Referral, ReferralDecision, Screening


def referral_list(*, actor: Actor, status: str = "") -> QuerySet[Referral]:
    referrals = referrals_visible_to(actor).select_related("organisation", "data_key")
    if status:
        referrals = referrals.filter(status=status)
    return referrals


def organisations_for(*, actor: Actor, coordinator: bool) -> QuerySet[Organisation]:
    """Return the organisations the actor may refer for (a deactivated one is offered to no one).

    A partner's organisation whose portal is suspended stays in the list: the service refuses the
    referral with the reason (access.offices.may_refer_for).
    """
    if coordinator:
        return Organisation.objects.filter(active=True)
    return Organisation.objects.filter(pk__in=partner_organisations(actor), active=True)


def programme_covering(day: _dt.date) -> Programme | None:
    """Return the programme whose period covers a day (the most recent one if several do)."""
    return Programme.objects.filter(starts_on__lte=day, ends_on__gte=day).order_by("-starts_on").first()


def current_programme() -> Programme | None:
    """Return the programme that receives new referrals: the one covering today, else the most recent."""
    return programme_covering(timezone.localdate()) or Programme.objects.order_by("-starts_on").first()


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    label: str
    who: str


def latest_screening(referral: Referral) -> Screening | None:
    return referral.screenings.select_related("instrument").order_by("-created_at").first()


def decisions(referral: Referral) -> list[ReferralDecision]:
    return list(referral.decisions.select_related("decided_by").order_by("created_at"))


def referrer_guidance(referral: Referral) -> str:
    """Where the referrer may turn after the latest decision (empty when there is nothing to add)."""
    latest = referral.decisions.order_by("-created_at").values_list("outcome", "eligibility").first()
    if latest is None:
        return ""
    outcome, rules = latest
    return eligibility.referrer_guidance(outcome=outcome, rules=rules or [])


def screening_view(item: Screening) -> dict[str, Any]:  # a template's context
    """Return what the screening panel shows: each dimension's reason and the conclusion."""
    list_data = item.instrument.data["lists"][item.indicator_list]
    labels = {d["code"]: screening.label(d["label"]) for d in list_data["dimensions"]}
    result = screening.ScreeningResult.from_json(item.result)
    return {
        "item": item,
        "list_label": screening.label(list_data["label"]),
        "verified": list_data.get("verified", False),
        "note": screening.label(list_data["note"]) if list_data.get("note") else "",
        "reasons": [
            {"positive": d.positive, "text": screening.dimension_reason(d, labels[d.code])} for d in result.dimensions
        ],
        "conclusion": screening.conclusion_text(result.conclusion),
        "consistent": result.conclusion in {screening.Conclusion.CONSISTENT, screening.Conclusion.CONSISTENT_CHILD},
    }


def indicator_checklist(indicator_list: str) -> dict[str, Any]:  # a template's context
    """Return the dimensions and indicators of one list, labelled in the active language."""
    instrument = instruments.current("ilo_indicators")
    list_data = instrument.data["lists"][indicator_list]
    return {
        "version": instrument.version,
        "label": screening.label(list_data["label"]),
        "verified": list_data.get("verified", False),
        "note": screening.label(list_data["note"]) if list_data.get("note") else "",
        "dimensions": [
            {
                "code": dim["code"],
                "label": screening.label(dim["label"]),
                "indicators": [
                    {
                        "code": ind["code"],
                        "label": screening.label(ind["label"]),
                        "strength": ind["strength"],
                        "strength_label": screening.STRENGTHS[ind["strength"]],
                        "unverified": ind.get("unverified", False),
                    }
                    for ind in dim["indicators"]
                ],
            }
            for dim in list_data["dimensions"]
        ],
        "codes": [ind["code"] for dim in list_data["dimensions"] for ind in dim["indicators"]],
    }


def timeline(referral: Referral) -> list[TimelineItem]:
    """Return what happened to a referral, oldest first: receipt, screenings, decisions."""
    items = [
        TimelineItem(
            at=referral.created_at,
            label=_("Referral received (%(channel)s)") % {"channel": referral.get_channel_display()},
            who=referral.submitted_by.full_name if referral.submitted_by else "",
        )
    ]
    items += [
        TimelineItem(at=s.created_at, label=_("Identification screening recorded"), who=s.done_by.full_name)
        for s in referral.screenings.select_related("done_by")
    ]
    items += [
        TimelineItem(
            at=d.created_at,
            label=_("Decision: %(outcome)s") % {"outcome": d.get_outcome_display()},
            who=d.decided_by.full_name,
        )
        for d in referral.decisions.select_related("decided_by")
    ]
    return sorted(items, key=lambda item: item.at)
