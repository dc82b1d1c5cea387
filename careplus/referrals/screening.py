"""Identification screening on the ILO/EU operational indicators (decision support only).

A dimension is positive with at least 2 strong, or 1 strong and 1 medium or weak, or 3 medium,
or 2 medium and 1 weak indicators. An adult pattern needs recruitment (deceptive, coercive or by
abuse of vulnerability), exploitative conditions, and coercion or abuse of vulnerability at
destination. For a child the means are not required: an act of recruitment and exploitative
conditions are enough.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from careplus.core.instruments import InstrumentData

# An indicator's strength, by its code in the instrument's lists.
STRENGTHS: dict[str, StrOrPromise] = {
    "S": gettext_lazy("strong"),
    "M": gettext_lazy("medium"),
    "W": gettext_lazy("weak"),
}

RECRUITMENT = ("d1", "d2", "d3")
EXPLOITATION = "d4"
DESTINATION = ("d5", "d6")


class Conclusion:
    CONSISTENT = "consistent"
    CONSISTENT_CHILD = "consistent_child"
    DECEIVED_EXPLOITED = "deceived_exploited"
    EXPLOITED = "exploited"
    PARTIAL = "partial"
    NONE = "none"


def dimension_positive(strong: int, medium: int, weak: int) -> bool:
    """Apply the ILO rule to one dimension's counts; weak indicators alone are never enough."""
    return strong >= 2 or (strong >= 1 and medium + weak >= 1) or medium >= 3 or (medium >= 2 and weak >= 1)


@dataclass(frozen=True)
class DimensionResult:
    code: str
    strong: int
    medium: int
    weak: int
    positive: bool

    @property
    def any_present(self) -> bool:
        return self.strong + self.medium + self.weak > 0


class DimensionJSON(TypedDict):
    code: str
    strong: int
    medium: int
    weak: int
    positive: bool


class ScreeningJSON(TypedDict):
    """A screening's result as stored (Screening.result)."""

    child: bool
    conclusion: str
    dimensions: list[DimensionJSON]


@dataclass(frozen=True)
class ScreeningResult:
    dimensions: tuple[DimensionResult, ...]
    child: bool
    conclusion: str

    def positive(self, code: str) -> bool:
        return any(d.positive for d in self.dimensions if d.code == code)

    def as_json(self) -> ScreeningJSON:
        return {
            "child": self.child,
            "conclusion": self.conclusion,
            "dimensions": [
                {
                    "code": d.code,
                    "strong": d.strong,
                    "medium": d.medium,
                    "weak": d.weak,
                    "positive": d.positive,
                }
                for d in self.dimensions
            ],
        }

    @classmethod
    def from_json(cls, data: ScreeningJSON) -> ScreeningResult:
        dims = tuple(DimensionResult(**d) for d in data["dimensions"])
        return cls(dimensions=dims, child=bool(data["child"]), conclusion=str(data["conclusion"]))


def known_indicators(list_data: InstrumentData) -> dict[str, str]:
    """Return indicator code → strength for one list."""
    return {ind["code"]: ind["strength"] for dim in list_data["dimensions"] for ind in dim["indicators"]}


def evaluate(list_data: InstrumentData, present: Iterable[str], *, child: bool) -> ScreeningResult:
    """Score the indicators present in one list and combine the dimensions."""
    chosen = set(present)
    results = []
    for dim in list_data["dimensions"]:
        counts = {"S": 0, "M": 0, "W": 0}
        for indicator in dim["indicators"]:
            if indicator["code"] in chosen:
                counts[indicator["strength"]] += 1
        results.append(
            DimensionResult(
                code=dim["code"],
                strong=counts["S"],
                medium=counts["M"],
                weak=counts["W"],
                positive=dimension_positive(counts["S"], counts["M"], counts["W"]),
            )
        )
    by_code = {r.code: r for r in results}

    def pos(code: str) -> bool:
        return code in by_code and by_code[code].positive

    recruitment = any(pos(c) for c in RECRUITMENT)
    recruitment_act = any(by_code[c].any_present for c in RECRUITMENT if c in by_code)
    exploitation = pos(EXPLOITATION)
    destination = any(pos(c) for c in DESTINATION)
    if child and exploitation and (recruitment_act or recruitment):
        conclusion = Conclusion.CONSISTENT_CHILD
    elif recruitment and exploitation and destination:
        conclusion = Conclusion.CONSISTENT
    elif pos("d1") and exploitation:
        conclusion = Conclusion.DECEIVED_EXPLOITED
    elif exploitation:
        conclusion = Conclusion.EXPLOITED
    elif any(r.positive for r in results):
        conclusion = Conclusion.PARTIAL
    else:
        conclusion = Conclusion.NONE
    return ScreeningResult(dimensions=tuple(results), child=child, conclusion=conclusion)


def label(labels: dict[str, str]) -> str:
    """Pick the label in the active language (French by default)."""
    language = (get_language() or "fr")[:2]
    return labels.get(language) or labels.get("fr") or next(iter(labels.values()))


def dimension_reason(result: DimensionResult, dimension_label: str) -> str:
    """Explain one dimension's verdict in a sentence."""
    verdict = _("positive") if result.positive else _("not positive")
    return _("%(strong)d strong, %(medium)d medium and %(weak)d weak indicators in “%(dimension)s” → %(verdict)s.") % {
        "strong": result.strong,
        "medium": result.medium,
        "weak": result.weak,
        "dimension": dimension_label,
        "verdict": verdict,
    }


def conclusion_text(conclusion: str) -> str:
    """Explain the combined result; always framed as decision support."""
    texts = {
        Conclusion.CONSISTENT: _(
            "Recruitment, exploitative conditions and coercion or abuse at destination are all "
            "positive: the indicators are consistent with trafficking."
        ),
        Conclusion.CONSISTENT_CHILD: _(
            "For a child no means are needed: an act of recruitment and exploitative conditions "
            "are present, so the indicators are consistent with trafficking."
        ),
        Conclusion.DECEIVED_EXPLOITED: _(
            "Deceptive recruitment and exploitation are positive, but not coercion at destination: "
            "pattern of a deceived and exploited migrant."
        ),
        Conclusion.EXPLOITED: _("Only the exploitation dimension is positive: pattern of an exploited migrant."),
        Conclusion.PARTIAL: _("Some dimensions are positive but the pattern is incomplete: look for more information."),
        Conclusion.NONE: _("No dimension is positive."),
    }
    return texts[conclusion]
