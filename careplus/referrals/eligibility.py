"""Explainable eligibility: each rule gives pass, fail, needs review or warning with a sentence."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from careplus.core.countries import country_in_sentence
from careplus.referrals.choices import DecisionOutcome, IdentificationStatus

if TYPE_CHECKING:
    from careplus.core.instruments import InstrumentData


class RuleOutcome(models.TextChoices):
    PASS = "pass", gettext_lazy("Pass")
    FAIL = "fail", gettext_lazy("Fail")
    REVIEW = "review", gettext_lazy("Needs review")
    WARNING = "warning", gettext_lazy("Warning")


@dataclass(frozen=True)
class Facts:
    identification_status: str
    departement: str
    wishes_voluntary_return: bool
    country_of_return: str
    is_minor: bool
    has_guardian: bool
    received_on: datetime.date
    programme_starts_on: datetime.date
    programme_ends_on: datetime.date
    target_beneficiaries: int
    accepted_so_far: int


@dataclass(frozen=True)
class RuleResult:
    code: str
    outcome: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "outcome": self.outcome, "message": self.message}

    @property
    def outcome_label(self) -> str:
        return str(RuleOutcome(self.outcome).label)


def _identification(facts: Facts) -> RuleResult:
    if facts.identification_status == IdentificationStatus.IDENTIFIED:
        return RuleResult(
            "identification",
            RuleOutcome.PASS,
            _("Formally identified as a victim of trafficking by an authority."),
        )
    if facts.identification_status == IdentificationStatus.PRESUMED:
        return RuleResult(
            "identification",
            RuleOutcome.REVIEW,
            _("Presumed victim, not formally identified: the coordinator must review the indicators."),
        )
    return RuleResult(
        "identification",
        RuleOutcome.FAIL,
        _("Not identified as a victim of trafficking: the programme assists identified or presumed victims."),
    )


def _metropolitan(facts: Facts, params: InstrumentData) -> RuleResult:
    code = facts.departement.strip().upper()
    if not code:
        return RuleResult("metropolitan", RuleOutcome.REVIEW, _("The département in France is not known."))
    if code in params["overseas_departements"]:
        return RuleResult(
            "metropolitan",
            RuleOutcome.FAIL,
            _("Département %(code)s is overseas: the programme covers victims identified in metropolitan France only.")
            % {"code": code},
        )
    return RuleResult(
        "metropolitan",
        RuleOutcome.PASS,
        _("Located in metropolitan France (département %(code)s).") % {"code": code},
    )


def _voluntary(facts: Facts) -> RuleResult:
    if facts.wishes_voluntary_return:
        return RuleResult("voluntary", RuleOutcome.PASS, _("The person wishes to return voluntarily."))
    return RuleResult(
        "voluntary",
        RuleOutcome.FAIL,
        _("The person has not expressed the wish to return voluntarily."),
    )


def _outside_eu(facts: Facts, params: InstrumentData) -> RuleResult:
    code = facts.country_of_return.upper()
    name = country_in_sentence(code, start=True)  # « La Roumanie est membre… », « Le Brésil est… »
    if not code:
        return RuleResult("outside_eu", RuleOutcome.REVIEW, _("The country of return is not known."))
    if code in params["eu_member_states"]:
        return RuleResult(
            "outside_eu",
            RuleOutcome.FAIL,
            _(
                "%(country)s is a member of the European Union: the programme only covers returns outside "
                "the EU. Point the referrer to other mechanisms (for example the return assistance of the "
                "French Office for Immigration and Integration for EU nationals)."
            )
            % {"country": name},
        )
    return RuleResult(
        "outside_eu",
        RuleOutcome.PASS,
        _("%(country)s is outside the European Union.") % {"country": name},
    )


def _minor(facts: Facts) -> RuleResult:
    if not facts.is_minor:
        return RuleResult("minor", RuleOutcome.PASS, _("Adult: the child procedure does not apply."))
    if not facts.has_guardian:
        return RuleResult(
            "minor",
            RuleOutcome.FAIL,
            _("Minor without a guardian on record: a guardian must be named first."),
        )
    return RuleResult(
        "minor",
        RuleOutcome.REVIEW,
        _("Minor with a guardian on record: the stricter child procedure applies."),
    )


def _capacity(facts: Facts) -> RuleResult:
    if facts.accepted_so_far >= facts.target_beneficiaries:
        return RuleResult(
            "capacity",
            RuleOutcome.WARNING,
            ngettext(
                "The programme already assists %(count)d beneficiary for a target of %(target)d.",
                "The programme already assists %(count)d beneficiaries for a target of %(target)d.",
                facts.accepted_so_far,
            )
            % {"count": facts.accepted_so_far, "target": facts.target_beneficiaries},
        )
    return RuleResult(
        "capacity",
        RuleOutcome.PASS,
        ngettext(
            "%(count)d beneficiary assisted so far, for a target of %(target)d.",
            "%(count)d beneficiaries assisted so far, for a target of %(target)d.",
            facts.accepted_so_far,
        )
        % {"count": facts.accepted_so_far, "target": facts.target_beneficiaries},
    )


def _period(facts: Facts) -> RuleResult:
    if not facts.programme_starts_on <= facts.received_on <= facts.programme_ends_on:
        return RuleResult(
            "period",
            RuleOutcome.WARNING,
            _("Received outside the programme period (%(start)s – %(end)s).")
            % {
                "start": facts.programme_starts_on.strftime("%d/%m/%Y"),
                "end": facts.programme_ends_on.strftime("%d/%m/%Y"),
            },
        )
    return RuleResult("period", RuleOutcome.PASS, _("Received within the programme period."))


def evaluate(facts: Facts, params: InstrumentData) -> list[RuleResult]:
    """Run every rule, in the order the coordinator reads them."""
    return [
        _identification(facts),
        _metropolitan(facts, params),
        _voluntary(facts),
        _outside_eu(facts, params),
        _minor(facts),
        _capacity(facts),
        _period(facts),
    ]


def failed(results: list[RuleResult]) -> list[RuleResult]:
    """Return the rules that fail (an acceptance then needs an override reason)."""
    return [r for r in results if r.outcome == RuleOutcome.FAIL]


def referrer_guidance(*, outcome: str, rules: list[dict[str, str]]) -> str:
    """Where the referring organisation may turn after a refusal, from the rules as they stood at the
    decision: the pointer the coordinator reads, as one sentence without any personal detail (no
    name, no country), fit for the partner's status page and e-mail."""
    if outcome != DecisionOutcome.NOT_ELIGIBLE:
        return ""
    if not any(rule.get("code") == "outside_eu" and rule.get("outcome") == RuleOutcome.FAIL for rule in rules):
        return ""
    return _(
        "The programme only covers returns outside the European Union. Other mechanisms can help, for "
        "example the return assistance of the French Office for Immigration and Integration (OFII) for EU "
        "nationals. The coordination team can tell you more."
    )
