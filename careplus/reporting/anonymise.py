"""Anonymised case-level dataset (CTDC-aligned columns), k-anonymous on its quasi-identifiers.

The quasi-identifiers are generalised step by step (finer age bands, then coarser ones, then the
year dropped and only majority kept) until every combination counts at least k rows; rows still
in a smaller group are suppressed and counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from careplus.cases.models import Case
from careplus.programmes.models import Programme
from careplus.referrals.models import Referral

AGE_BANDS = [
    (0, 8, "0--8"),
    (9, 17, "9--17"),
    (18, 20, "18--20"),
    (21, 23, "21--23"),
    (24, 26, "24--26"),
    (27, 29, "27--29"),
    (30, 38, "30--38"),
    (39, 47, "39--47"),
    (48, 200, "48+"),
]
COARSE_BANDS = [(0, 17, "0--17"), (18, 29, "18--29"), (30, 47, "30--47"), (48, 200, "48+")]
QUASI_IDENTIFIERS = ("yearOfRegistration", "gender", "ageBroad", "citizenship")
COLUMNS = (
    "yearOfRegistration",
    "Datasource",
    "gender",
    "ageBroad",
    "majorityStatus",
    "citizenship",
    "CountryOfExploitation",
    "isForcedLabour",
    "isSexualExploit",
    "isOtherExploit",
    "isSexAndLabour",
    "isForcedMarriage",
    "isOrganRemoval",
    "isSlaveryAndPractices",
    "typeOfExploitConcatenated",
)
GENDER = {"f": "Female", "m": "Male", "x": "Transgender/NonConforming", "u": "Unknown"}
LEVELS = 3


@dataclass(frozen=True)
class Dataset:
    k: int
    level: int
    rows: int
    suppressed: int


def _band(age: int | None, bands: list[tuple[int, int, str]]) -> str:
    if age is None:
        return "Unknown"
    return next(label for low, high, label in bands if low <= age <= high)


def _source_rows(programme: Programme) -> Iterator[dict[str, Any]]:
    forms = dict(
        Referral.objects.filter(programme=programme, case__isnull=False).values_list("case_id", "forms_of_exploitation")
    )
    cases = Case.objects.filter(programme=programme).values_list(
        "id", "opened_on", "sex", "birth_year", "is_minor", "nationality"
    )
    for case_id, opened_on, sex, birth_year, is_minor, nationality in cases.iterator(chunk_size=2000):
        kinds = set(forms.get(case_id) or [])
        labour = bool(kinds & {"forced_labour", "domestic_servitude", "begging", "criminality", "dignity"})
        sexual = "sexual" in kinds
        yield {
            "yearOfRegistration": str(opened_on.year),
            "Datasource": "Case Management",
            "gender": GENDER.get(sex, "Unknown"),
            "age": (opened_on.year - birth_year) if birth_year else None,
            "majorityStatus": "Minor" if is_minor else "Adult",
            "citizenship": nationality or "00",
            "CountryOfExploitation": "FR",
            "isForcedLabour": int(labour),
            "isSexualExploit": int(sexual),
            "isOtherExploit": int(
                bool(
                    kinds
                    - {
                        "forced_labour",
                        "domestic_servitude",
                        "begging",
                        "criminality",
                        "dignity",
                        "sexual",
                        "forced_marriage",
                        "organ_removal",
                        "slavery",
                    }
                )
            ),
            "isSexAndLabour": int(labour and sexual),
            "isForcedMarriage": int("forced_marriage" in kinds),
            "isOrganRemoval": int("organ_removal" in kinds),
            "isSlaveryAndPractices": int("slavery" in kinds),
            "typeOfExploitConcatenated": ";".join(sorted(kinds)),
        }


def generalise(row: dict[str, Any], level: int) -> dict[str, Any]:
    """Return the published row at a generalisation level (0 finest, 2 coarsest)."""
    out = {column: row.get(column, "") for column in COLUMNS}
    if level == 0:
        out["ageBroad"] = _band(row["age"], AGE_BANDS)
    elif level == 1:
        out["ageBroad"] = _band(row["age"], COARSE_BANDS)
    else:
        out["ageBroad"] = row["majorityStatus"]
        out["yearOfRegistration"] = ""
    return out


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[column] for column in QUASI_IDENTIFIERS)


def plan(programme: Programme, k: int) -> tuple[int, Counter[tuple[Any, ...]]]:
    """Choose the first level where every group reaches k (else the coarsest); return it with its group sizes."""
    by_level: list[Counter[tuple[Any, ...]]] = [Counter() for _level in range(LEVELS)]
    for row in _source_rows(programme):  # one pass counts the groups of every level
        for level in range(LEVELS):
            by_level[level][_key(generalise(row, level))] += 1
    for level, groups in enumerate(by_level):
        if all(count >= k for count in groups.values()):
            return level, groups
    return LEVELS - 1, by_level[-1]


def export_rows(programme: Programme, k: int) -> tuple[Dataset, Iterator[list[Any]]]:
    """Return the dataset summary and an iterator over its published rows (streamed)."""
    level, groups = plan(programme, k)
    published = sum(count for count in groups.values() if count >= k)
    suppressed = sum(count for count in groups.values() if count < k)

    def rows() -> Iterator[list[Any]]:
        for source in _source_rows(programme):
            row = generalise(source, level)
            if groups[_key(row)] >= k:
                yield [row[column] for column in COLUMNS]

    return Dataset(k=k, level=level, rows=published, suppressed=suppressed), rows()
