"""Sustainability scores against hand-computed values (full, partial, empty questionnaires)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

from careplus.core.dates import add_months
from careplus.returns.sustainability import alerts, score

DATA = json.loads((Path(__file__).resolve().parent.parent / "instruments" / "rss_2017.json").read_text())
ECO = [i["code"] for i in DATA["items"] if i["dimension"] == "economic"]
SOC = [i["code"] for i in DATA["items"] if i["dimension"] == "social"]
PSY = [i["code"] for i in DATA["items"] if i["dimension"] == "psychosocial"]


def best_answers() -> dict[str, str]:
    answers = {}
    for item in DATA["items"]:
        options = DATA["scales"][item["scale"]]
        answers[item["code"]] = max((o for o in options if o["value"] is not None), key=lambda o: o["value"])["code"]
    return answers


def test_full_best_questionnaire_scores_one_everywhere() -> None:
    scores = score(DATA, best_answers())
    assert (scores.economic, scores.social, scores.psychosocial, scores.composite) == (Decimal("1.0000"),) * 4
    assert not scores.partial
    assert not scores.weighted  # unweighted (provisional) until the Annex 4 weights are loaded


def test_hand_computed_mixed_questionnaire() -> None:
    answers = best_answers()
    answers["eco_satisfaction"] = "dissatisfied"  # 0.25
    answers["eco_working"] = "no"  # 0
    # economic: 9 items, values 1*7 + 0.25 + 0 = 7.25 / 9 = 0.80555…
    answers["psy_distress"] = "sometimes"  # 0.5 ; psychosocial: 9 items: 8 + 0.5 = 8.5/9 = 0.9444…
    scores = score(DATA, answers)
    assert (len(ECO), len(PSY), len(SOC)) == (9, 9, 8)
    assert scores.economic == Decimal("0.8056")
    assert scores.social == Decimal("1.0000")
    assert scores.psychosocial == Decimal("0.9444")
    # composite = mean of the three dimension scores (unweighted): (0.8056 + 1 + 0.9444) / 3 = 0.9167
    assert scores.composite == Decimal("0.9167")


def test_partial_questionnaire_renormalises_and_flags() -> None:
    answers = dict.fromkeys(["eco_satisfaction"], "very_satisfied")
    answers.update({"eco_working": "yes", "eco_debt": "spending_larger"})  # 1, 1, 0.5 -> 2.5/3
    scores = score(DATA, answers)
    assert scores.economic == Decimal("0.8333")
    assert scores.social is None
    assert scores.psychosocial is None
    assert scores.composite == Decimal("0.8333")
    assert scores.partial


def test_not_applicable_is_dropped_not_counted_as_zero() -> None:
    answers = best_answers()
    answers["soc_school"] = "na"
    scores = score(DATA, answers)
    assert scores.social == Decimal("1.0000")
    assert not scores.partial  # 1 of 8 items missing is under 20%


def test_empty_questionnaire_has_no_scores() -> None:
    scores = score(DATA, {})
    assert (scores.economic, scores.social, scores.psychosocial, scores.composite) == (None, None, None, None)
    assert scores.partial


def test_weighted_instrument_uses_the_item_weights() -> None:
    data = copy.deepcopy(DATA)
    data["weights_loaded"] = True
    data["composite_method"] = "items"
    for item in data["items"]:
        item["dimension_weight"] = (
            0 if item["dimension"] != "economic" else (0.5 if item["code"] == "eco_satisfaction" else 0.0625)
        )
        item["composite_weight"] = 1 / len(data["items"])
    for item in data["items"]:
        if item["dimension"] != "economic":
            item["dimension_weight"] = 1
    answers = best_answers()
    answers["eco_satisfaction"] = "very_dissatisfied"  # 0 with weight 0.5 -> economic = 0.5
    scores = score(data, answers)
    assert scores.weighted
    assert scores.economic == Decimal("0.5000")


def test_distress_very_often_and_support_wanted_raise_alerts() -> None:
    assert alerts(DATA, {"psy_distress": "very_often", "psy_support_wanted": "yes"}) == [
        "psy_distress",
        "psy_support_wanted",
    ]
    assert alerts(DATA, {"psy_distress": "often"}) == []


def test_months_clamp_to_the_end_of_shorter_months() -> None:
    import datetime

    assert add_months(datetime.date(2018, 1, 31), 1) == datetime.date(2018, 2, 28)
    assert add_months(datetime.date(2019, 11, 30), 3) == datetime.date(2020, 2, 29)
    assert add_months(datetime.date(2018, 5, 20), 12) == datetime.date(2019, 5, 20)
