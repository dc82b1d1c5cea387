"""Anonymised case-level dataset (CTDC-aligned columns), k-anonymous on its quasi-identifiers.

The quasi-identifiers are generalised step by step (finer age bands, then coarser ones, then the
year dropped and only majority kept) until every combination counts at least k rows; rows still
in a smaller group are suppressed and counted.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, Count, TextField
from django.db.models.functions import Cast, Substr

from careplus.cases.models import Case
from careplus.programmes.models import Programme

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


LABOUR = frozenset({"forced_labour", "domestic_servitude", "begging", "criminality", "dignity"})
NAMED = LABOUR | {"sexual", "forced_marriage", "organ_removal", "slavery"}

# One case as read from the database: year opened, sex, birth year, minor, nationality.
Person = tuple[int | str, str, int | None, bool, str]


def quasi_identifiers(person: Person, level: int) -> tuple[str, str, str, str]:
    """Return the published quasi-identifiers (QUASI_IDENTIFIERS order) at a level (0 finest, 2 coarsest)."""
    year, sex, birth_year, is_minor, nationality = int(person[0]), *person[1:]
    age = (year - birth_year) if birth_year else None
    if level == 0:
        published_year, band = str(year), _band(age, AGE_BANDS)
    elif level == 1:
        published_year, band = str(year), _band(age, COARSE_BANDS)
    else:
        published_year, band = "", ("Minor" if is_minor else "Adult")
    return published_year, GENDER.get(sex, "Unknown"), band, nationality or "00"


def exploitation_columns(forms: list[str] | None) -> list[int | str]:
    """Return the isForcedLabour … typeOfExploitConcatenated cells for a referral's forms."""
    kinds = set(forms or [])
    labour = bool(kinds & LABOUR)
    sexual = "sexual" in kinds
    return [
        int(labour),
        int(sexual),
        int(bool(kinds - NAMED)),
        int(labour and sexual),
        int("forced_marriage" in kinds),
        int("organ_removal" in kinds),
        int("slavery" in kinds),
        ";".join(sorted(kinds)),
    ]


def _people(programme: Programme, *, with_forms: bool = False) -> Any:  # a values_list queryset: rows not typed
    # The year as text cut from the ISO date: plain SQL on both engines (no per-row function call).
    year = Substr(Cast("opened_on", output_field=CharField()), 1, 4)
    cases = Case.objects.filter(programme=programme).annotate(year=year)
    names = ["year", "sex", "birth_year", "is_minor", "nationality"]
    if with_forms:  # as the stored JSON text: grouped on by the database, parsed once per group
        cases = cases.annotate(forms=Cast("referral__forms_of_exploitation", output_field=TextField()))
        names.append("forms")
    return cases.order_by().values_list(*names)


def plan(programme: Programme, k: int) -> tuple[int, Counter[tuple[str, ...]]]:
    """Choose the first level where every group reaches k (else the coarsest); return it with its group sizes.

    The database counts the cases per distinct person profile; the groups of each level are
    folded from those counts, so memory depends on the number of profiles, never on the cases.
    """
    by_level: list[Counter[tuple[str, ...]]] = [Counter() for _level in range(LEVELS)]
    for *person, count in _people(programme).annotate(n=Count("id")).iterator():
        for level in range(LEVELS):
            by_level[level][quasi_identifiers(tuple(person), level)] += count
    for level, groups in enumerate(by_level):
        if all(count >= k for count in groups.values()):
            return level, groups
    return LEVELS - 1, by_level[-1]


def export_rows(
    programme: Programme, k: int, *, chunk_size: int = 5000
) -> tuple[Dataset, Iterator[tuple[int | str, ...]]]:
    """Return the dataset summary and an iterator over its published rows (streamed).

    The database counts the cases per person profile and forms of exploitation; each profile's
    published row is built once and the cases counted per published row, in memory bounded by the
    distinct published rows, never by the cases. Rows then come sorted by their published values,
    each yielded once per case as the same tuple (`core.exports.csv_rows` writes its line once):
    their order tells nothing the row does not say (not when a file was opened, nor a
    generalised-away value).
    """
    level, groups = plan(programme, k)
    published = sum(count for count in groups.values() if count >= k)
    suppressed = sum(count for count in groups.values() if count < k)

    def rows() -> Iterator[tuple[int | str, ...]]:
        cases: Counter[tuple[int | str, ...]] = Counter()
        profiles = _people(programme, with_forms=True).annotate(n=Count("id"))
        for *person, forms, count in profiles.iterator(chunk_size=chunk_size):
            year, gender, band, citizenship = quasi_identifiers(tuple(person), level)
            if groups[(year, gender, band, citizenship)] >= k:
                head = (year, "Case Management", gender, band, "Minor" if person[3] else "Adult", citizenship, "FR")
                cases[(*head, *exploitation_columns(json.loads(forms) if forms else None))] += count
        for row, count in sorted(cases.items()):
            for _case in range(count):
                yield row

    return Dataset(k=k, level=level, rows=published, suppressed=suppressed), rows()
