"""Eligibility rules, one by one and combined."""

from __future__ import annotations

import dataclasses
import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from careplus.referrals.eligibility import Facts, RuleOutcome, evaluate, failed

PARAMS = json.loads((Path(__file__).resolve().parent.parent / "instruments" / "eligibility_2018.json").read_text())
BASE = Facts(
    identification_status="identified",
    departement="69",
    wishes_voluntary_return=True,
    country_of_return="TN",
    is_minor=False,
    has_guardian=False,
    received_on=datetime.date(2018, 4, 3),
    programme_starts_on=datetime.date(2017, 11, 1),
    programme_ends_on=datetime.date(2019, 4, 30),
    target_beneficiaries=15,
    accepted_so_far=2,
)


def outcome(code: str, **changes: Any) -> tuple[str, str]:
    results = {r.code: r for r in evaluate(dataclasses.replace(BASE, **changes), PARAMS)}
    return results[code].outcome, results[code].message


def test_a_typical_referral_passes_every_rule() -> None:
    results = evaluate(BASE, PARAMS)
    assert [r.outcome for r in results] == [RuleOutcome.PASS] * 7
    assert failed(results) == []


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("identified", RuleOutcome.PASS),
        ("presumed", RuleOutcome.REVIEW),
        ("not_identified", RuleOutcome.FAIL),
    ],
)
def test_identification(status: str, expected: str) -> None:
    assert outcome("identification", identification_status=status)[0] == expected


@pytest.mark.parametrize(
    ("departement", "expected"),
    [
        ("69", RuleOutcome.PASS),
        ("2A", RuleOutcome.PASS),
        ("971", RuleOutcome.FAIL),
        ("974", RuleOutcome.FAIL),
        ("976", RuleOutcome.FAIL),
        ("", RuleOutcome.REVIEW),
    ],
)
def test_metropolitan_france_only(departement: str, expected: str) -> None:
    assert outcome("metropolitan", departement=departement)[0] == expected


def test_overseas_message_names_the_departement() -> None:
    assert "972" in outcome("metropolitan", departement="972")[1]


def test_voluntary_return() -> None:
    assert outcome("voluntary", wishes_voluntary_return=False)[0] == RuleOutcome.FAIL


@pytest.mark.parametrize(
    ("country", "expected"),
    [
        ("TN", RuleOutcome.PASS),
        ("NP", RuleOutcome.PASS),
        ("RO", RuleOutcome.FAIL),
        ("BG", RuleOutcome.FAIL),
        ("FR", RuleOutcome.FAIL),
        ("", RuleOutcome.REVIEW),
    ],
)
def test_country_of_return_outside_the_eu(country: str, expected: str) -> None:
    assert outcome("outside_eu", country_of_return=country)[0] == expected


def test_romania_points_to_other_mechanisms() -> None:
    result, message = outcome("outside_eu", country_of_return="RO")
    assert result == RuleOutcome.FAIL
    assert "Roumanie" in message
    assert "autres dispositifs" in message


@pytest.mark.parametrize(
    ("minor", "guardian", "expected"),
    [
        (False, False, RuleOutcome.PASS),
        (True, False, RuleOutcome.FAIL),
        (True, True, RuleOutcome.REVIEW),
    ],
)
def test_minor_needs_a_guardian(minor: bool, guardian: bool, expected: str) -> None:
    assert outcome("minor", is_minor=minor, has_guardian=guardian)[0] == expected


def test_capacity_and_period_are_warnings_never_failures() -> None:
    facts = dataclasses.replace(BASE, accepted_so_far=15, received_on=datetime.date(2019, 6, 1))
    results = {r.code: r.outcome for r in evaluate(facts, PARAMS)}
    assert results["capacity"] == RuleOutcome.WARNING
    assert results["period"] == RuleOutcome.WARNING
    assert failed(evaluate(facts, PARAMS)) == []


def test_combination_lists_every_failure() -> None:
    facts = dataclasses.replace(BASE, country_of_return="RO", departement="971", wishes_voluntary_return=False)
    assert [r.code for r in failed(evaluate(facts, PARAMS))] == [
        "metropolitan",
        "voluntary",
        "outside_eu",
    ]
