"""Reintegration sustainability scores (IOM RSS), computed from versioned instrument data.

Answers are recoded from 0 to 1 (1 most favourable). With the Annex 4 weights loaded, a dimension score
is the weighted sum of its items; without them every item of a dimension weighs the same and the
result is labelled "unweighted (provisional)". Missing, "don't know" and not-applicable answers are
dropped and the remaining weights renormalised; a score is "partial" when more than 20% of its
weight is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from careplus.core.instruments import InstrumentData

INSTRUMENT = "rss"  # the code of the questionnaire's versions (careplus.core.models.Instrument)
DIMENSIONS = ("economic", "social", "psychosocial")
PLACES = Decimal("0.0001")


class ScoresJSON(TypedDict):
    """Scores as stored (decimals as text)."""

    economic: str | None
    social: str | None
    psychosocial: str | None
    composite: str | None
    partial: bool
    weighted: bool


@dataclass(frozen=True)
class Scores:
    economic: Decimal | None
    social: Decimal | None
    psychosocial: Decimal | None
    composite: Decimal | None
    partial: bool
    weighted: bool

    def as_json(self) -> ScoresJSON:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "economic": text(self.economic),
            "social": text(self.social),
            "psychosocial": text(self.psychosocial),
            "composite": text(self.composite),
            "partial": self.partial,
            "weighted": self.weighted,
        }


# item: one of the instrument's items (JSON)
def _value(instrument: InstrumentData, item: dict[str, Any], answer: str | None) -> Decimal | None:
    if not answer:
        return None
    for option in instrument["scales"][item["scale"]]:
        if option["code"] == answer:
            return None if option["value"] is None else Decimal(str(option["value"]))
    return None


def _weighted_mean(pairs: list[tuple[Decimal, Decimal | None]]) -> tuple[Decimal | None, Decimal]:
    """Return the renormalised weighted mean and the share of weight that was missing."""
    total = sum((weight for weight, _value in pairs), Decimal(0))
    present = [(weight, value) for weight, value in pairs if value is not None]
    present_weight = sum((weight for weight, _value in present), Decimal(0))
    if total == 0 or present_weight == 0:
        return None, Decimal(1)
    mean = sum((weight * value for weight, value in present if value is not None), Decimal(0)) / present_weight
    return mean.quantize(PLACES, rounding=ROUND_HALF_UP), (total - present_weight) / total


def score(instrument: InstrumentData, answers: dict[str, str]) -> Scores:
    """Compute the three dimension scores and the composite from one visit's answers."""
    weighted = bool(instrument.get("weights_loaded"))
    threshold = Decimal(str(instrument.get("partial_threshold", 0.2)))
    partial = False
    dimension_scores: dict[str, Decimal | None] = {}
    composite_pairs: list[tuple[Decimal, Decimal | None]] = []
    for dimension in DIMENSIONS:
        items = [item for item in instrument["items"] if item["dimension"] == dimension]
        pairs = []
        for item in items:
            value = _value(instrument, item, answers.get(item["code"]))
            weight = Decimal(str(item["dimension_weight"])) if weighted else Decimal(1)
            pairs.append((weight, value))
            if weighted:
                composite_pairs.append((Decimal(str(item["composite_weight"])), value))
        dimension_scores[dimension], missing = _weighted_mean(pairs)
        partial = partial or missing > threshold
    if weighted and instrument.get("composite_method") == "items":
        composite, missing = _weighted_mean(composite_pairs)
        partial = partial or missing > threshold
    else:
        available = [(Decimal(1), value) for value in dimension_scores.values()]
        composite, _missing = _weighted_mean(available)
    return Scores(
        economic=dimension_scores["economic"],
        social=dimension_scores["social"],
        psychosocial=dimension_scores["psychosocial"],
        composite=composite,
        partial=partial,
        weighted=weighted,
    )


def alerts(instrument: InstrumentData, answers: dict[str, str]) -> list[str]:
    """Return the items whose answer calls for a caseworker's attention at once."""
    return [rule["item"] for rule in instrument.get("alerts", []) if answers.get(rule["item"]) == rule["answer"]]
