"""The ILO/EU decision rule on crafted indicator sets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from careplus.referrals.screening import Conclusion, dimension_positive, evaluate, known_indicators

DATA = json.loads((Path(__file__).resolve().parent.parent / "instruments" / "ilo_indicators_2009.json").read_text())
ADULT = DATA["lists"]["adult_labour"]
CHILD = DATA["lists"]["child_labour"]


@pytest.mark.parametrize(
    ("strong", "medium", "weak", "positive"),
    [
        (0, 0, 0, False),
        (0, 0, 1, False),
        (0, 0, 5, False),  # weak-only is never positive
        (1, 0, 0, False),
        (1, 0, 1, True),  # 1 strong + 1 weak
        (1, 1, 0, True),
        (2, 0, 0, True),
        (0, 2, 0, False),
        (0, 3, 0, True),  # 3 medium
        (0, 2, 1, True),
        (0, 1, 4, False),
    ],
)
def test_dimension_rule(strong: int, medium: int, weak: int, positive: bool) -> None:
    assert dimension_positive(strong, medium, weak) is positive


def _dims(result: Any) -> dict[str, bool]:
    return {d.code: d.positive for d in result.dimensions}


def test_lists_have_the_published_sizes() -> None:
    sizes = [len(d["indicators"]) for d in ADULT["dimensions"]]
    assert sizes == [10, 10, 16, 9, 15, 7]
    assert ADULT["verified"] is True
    assert DATA["lists"]["child_sexual"]["verified"] is False
    assert all(i["strength"] != "W" for d in CHILD["dimensions"] for i in d["indicators"])


def test_weak_indicators_only_are_never_positive() -> None:
    weak = [i["code"] for d in ADULT["dimensions"] for i in d["indicators"] if i["strength"] == "W"]
    result = evaluate(ADULT, weak, child=False)
    assert not any(d.positive for d in result.dimensions)
    assert result.conclusion == Conclusion.NONE


def test_one_strong_and_one_weak_make_a_dimension_positive() -> None:
    result = evaluate(ADULT, ["d1.nature_job", "d1.education"], child=False)
    assert _dims(result)["d1"] is True


def test_three_medium_make_a_dimension_positive() -> None:
    result = evaluate(ADULT, ["d4.hazardous", "d4.low_salary", "d4.wage_manipulation"], child=False)
    assert _dims(result)["d4"] is True
    assert result.conclusion == Conclusion.EXPLOITED


def test_full_adult_pattern_is_consistent_with_trafficking() -> None:
    present = [
        "d2.violence",
        "d2.debt",
        "d4.excessive_hours",
        "d4.low_salary",
        "d5.documents",
        "d5.isolation",
    ]
    result = evaluate(ADULT, present, child=False)
    assert result.conclusion == Conclusion.CONSISTENT


def test_adult_without_coercion_at_destination_is_not_consistent() -> None:
    present = ["d1.nature_job", "d1.wages", "d4.excessive_hours", "d4.low_salary"]
    result = evaluate(ADULT, present, child=False)
    assert result.conclusion == Conclusion.DECEIVED_EXPLOITED


def test_child_without_means_is_positive() -> None:
    """A child recruited (one indicator, no positive means) into exploitative work."""
    present = ["d1.travel", "d4.excessive_hours", "d4.hazardous"]
    child = evaluate(CHILD, present, child=True)
    assert _dims(child)["d1"] is False
    assert not any(_dims(child)[c] for c in ("d5", "d6"))
    assert child.conclusion == Conclusion.CONSISTENT_CHILD
    adult = evaluate(ADULT, present, child=False)
    assert adult.conclusion != Conclusion.CONSISTENT


def test_child_list_strengths_differ_where_the_reference_says() -> None:
    strengths = known_indicators(CHILD)
    assert strengths["d1.education"] == "S"
    assert strengths["d5.threats_inform"] == "M"
    assert "d3.false_law" not in strengths


def test_result_round_trips_through_json() -> None:
    from careplus.referrals.screening import ScreeningResult

    result = evaluate(ADULT, ["d2.violence", "d2.debt"], child=False)
    assert ScreeningResult.from_json(result.as_json()) == result
