"""The SQL that keeps the rollups (models.py) equal to their source rows, on both engines.

For each rollup, triggers add a source row's contribution when it is inserted, take it back
when it is deleted, and move it when it is updated; for the rows that belong to a case (visits,
plan items, the referral), a trigger on the case moves all their contributions when the case's
scope attributes change (programme, opened, closed, withdrawn).
The same expressions rebuild the rollups from scratch (`rebuild`) and recompute them for a
comparison (`differences`). Installed by migration reporting 0002 from a frozen copy of this SQL
(reporting/migrations/_rollup_sql.py); a change here needs a new migration that reinstalls the
triggers from its own copy (tests/architecture/test_frozen_sql.py compares the two).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from careplus.reporting.models import SCORE_SCALE, STILL_OPEN

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper


@dataclass(frozen=True)
class Measure:
    column: str  # in the rollup
    kind: str  # rows | present (the source column is not NULL) | scaled (score sum) | cents (amount sum)
    source: str = ""  # source column(s), for all but rows


@dataclass(frozen=True)
class Part:
    """One column of a rollup's key besides the case scope, computed from the source row."""

    column: str
    kind: str  # month (of a date column) | column (as is) | text (cast to text) | constant (SQL literal)
    source: str


@dataclass(frozen=True)
class Rollup:
    name: str  # names its triggers
    table: str
    source: str
    parts: tuple[Part, ...]
    measures: tuple[Measure, ...]
    where: str = "1 = 1"  # which source rows count ({r} is the row)
    of_case: bool = True  # the source row belongs to a case (case_id); False: it is the case

    @property
    def key(self) -> str:
        columns = ", ".join(part.column for part in self.parts)
        return f"programme_id, opened_month, closed_month, withdrawn, {columns}"

    @property
    def columns(self) -> str:
        return f"{self.key}, {', '.join(measure.column for measure in self.measures)}"


SCORES = ("economic", "social", "psychosocial", "composite")


def _case_dimension(dimension: str, kind: str, source: str) -> Rollup:
    return Rollup(
        f"casefigure_{dimension}",
        "reporting_casefigure",
        "cases_case",
        (Part("dimension", "constant", f"'{dimension}'"), Part("value", kind, source)),
        (Measure("cases", "rows"),),
        of_case=False,
    )


ROLLUPS = (
    Rollup(
        "visitmonth",
        "reporting_visitmonth",
        "returns_visit",
        (Part("month", "month", "planned_on"), Part("status", "column", "status")),
        (
            Measure("visits", "rows"),
            *(Measure(name, "scaled", f"score_{name}") for name in SCORES),
            *(Measure(f"{name}_n", "present", f"score_{name}") for name in SCORES),
        ),
    ),
    Rollup(
        "deliverymonth",
        "reporting_deliverymonth",
        "returns_planitem",
        (Part("month", "month", "delivered_on"), Part("category", "column", "category")),
        (Measure("items", "rows"), Measure("cents", "cents", "actual_cost,planned_amount")),
        where="{r}.status = 'delivered' AND {r}.delivered_on IS NOT NULL",
    ),
    _case_dimension("status", "column", "status"),
    _case_dimension("country", "text", "country_of_return"),
    _case_dimension("sex", "text", "sex"),
    _case_dimension("age", "constant", "CASE WHEN {r}.is_minor THEN 'minor' ELSE 'adult' END"),
    Rollup(
        "casefigure_forms",
        "reporting_casefigure",
        "referrals_referral",
        (Part("dimension", "constant", "'forms'"), Part("value", "text", "forms_of_exploitation")),
        (Measure("cases", "rows"),),
    ),
)
# The case's columns its rollup keys read: a case update that changes none of them moves nothing.
SCOPE = ("programme_id", "opened_on", "closed_on", "status")
CASE_COLUMNS = (*SCOPE, "country_of_return", "sex", "is_minor")


class _Dialect:
    def __init__(self, vendor: str) -> None:
        if vendor not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"monthly rollups are not written for {vendor}")
        self.postgresql = vendor == "postgresql"

    def month(self, expression: str) -> str:
        if self.postgresql:
            return f"CAST(date_trunc('month', {expression}) AS date)"
        return f"date({expression}, 'start of month')"

    def scope(self, case: str) -> str:
        """The case-scope part of every key: programme, month opened, month closed, withdrawn."""
        still_open = f"DATE '{STILL_OPEN.isoformat()}'" if self.postgresql else f"'{STILL_OPEN.isoformat()}'"
        return (
            f"{case}.programme_id, {self.month(f'{case}.opened_on')}, "
            f"COALESCE({self.month(f'{case}.closed_on')}, {still_open}), ({case}.status = 'withdrawn')"
        )

    def part(self, part: Part, row: str) -> str:
        if part.kind == "month":
            return self.month(f"{row}.{part.source}")
        if part.kind == "text":
            return f"COALESCE(CAST({row}.{part.source} AS text), '')"
        if part.kind == "constant":
            return part.source.format(r=row)
        return f"{row}.{part.source}"

    def parts(self, rollup: Rollup, row: str) -> str:
        return ", ".join(self.part(part, row) for part in rollup.parts)

    def measure(self, measure: Measure, row: str) -> str:
        if measure.kind == "rows":
            return "1"
        if measure.kind == "present":
            return f"CASE WHEN {row}.{measure.source} IS NULL THEN 0 ELSE 1 END"
        value = ", ".join(f"{row}.{column}" for column in measure.source.split(","))
        value = f"COALESCE({value})" if "," in measure.source else value
        scale = SCORE_SCALE if measure.kind == "scaled" else 100
        integer = "bigint" if self.postgresql else "INTEGER"
        return f"COALESCE(CAST(ROUND({value} * {scale}) AS {integer}), 0)"

    def changed(self, columns: Sequence[str]) -> str:
        differ = "IS DISTINCT FROM" if self.postgresql else "IS NOT"
        return " OR ".join(f"OLD.{column} {differ} NEW.{column}" for column in columns)


def _on_conflict(rollup: Rollup, dialect: _Dialect) -> str:
    own = f"{rollup.table}." if dialect.postgresql else ""
    updates = ", ".join(f"{m.column} = {own}{m.column} + excluded.{m.column}" for m in rollup.measures)
    return f"ON CONFLICT ({rollup.key}) DO UPDATE SET {updates}"


def _ordinals(rollup: Rollup) -> str:
    # Group by position: PostgreSQL refuses a constant key part (the dimension) written in GROUP BY.
    return ", ".join(str(position) for position in range(1, 5 + len(rollup.parts)))


def _row_upsert(rollup: Rollup, dialect: _Dialect, row: str, sign: int) -> str:
    """Add (sign 1) or take back (sign -1) one source row's contribution."""
    measures = ", ".join(f"{sign} * ({dialect.measure(m, row)})" for m in rollup.measures)
    case = "c" if rollup.of_case else row
    source = f"FROM cases_case c WHERE c.id = {row}.case_id AND " if rollup.of_case else "WHERE "
    return (
        f"INSERT INTO {rollup.table} ({rollup.columns}) "
        f"SELECT {dialect.scope(case)}, {dialect.parts(rollup, row)}, {measures} "
        f"{source}{case}.programme_id IS NOT NULL AND {rollup.where.format(r=row)} {_on_conflict(rollup, dialect)}"
    )


def _case_upsert(rollup: Rollup, dialect: _Dialect, case: str, sign: int) -> str:
    """Add or take back the contributions of all of a case's source rows, under the case's values."""
    measures = ", ".join(f"{sign} * SUM({dialect.measure(m, 'x')})" for m in rollup.measures)
    parts = dialect.parts(rollup, "x")
    return (
        f"INSERT INTO {rollup.table} ({rollup.columns}) "
        f"SELECT {dialect.scope(case)}, {parts}, {measures} "
        f"FROM {rollup.source} x WHERE x.case_id = {case}.id AND {case}.programme_id IS NOT NULL "
        f"AND {rollup.where.format(r='x')} GROUP BY {_ordinals(rollup)} {_on_conflict(rollup, dialect)}"
    )


def _select_all(rollup: Rollup, dialect: _Dialect) -> str:
    measures = ", ".join(f"SUM({dialect.measure(m, 'x')})" for m in rollup.measures)
    case = "c" if rollup.of_case else "x"
    key = f"{dialect.scope(case)}, {dialect.parts(rollup, 'x')}"
    source = f"{rollup.source} x JOIN cases_case c ON c.id = x.case_id" if rollup.of_case else "cases_case x"
    return (
        f"SELECT {key}, {measures} FROM {source} "
        f"WHERE {case}.programme_id IS NOT NULL AND {rollup.where.format(r='x')} GROUP BY {_ordinals(rollup)}"
    )


def install_sql(vendor: str) -> list[str]:
    """Return the statements creating the triggers of every rollup."""
    dialect = _Dialect(vendor)
    statements = []
    for rollup in ROLLUPS:
        name = rollup.name
        add, take_back = _row_upsert(rollup, dialect, "NEW", 1), _row_upsert(rollup, dialect, "OLD", -1)
        # A case's own figures move when one of their columns changes; a case's rows, when its scope does.
        changed = dialect.changed(SCOPE if rollup.of_case else CASE_COLUMNS)
        update = "" if rollup.of_case else f"WHEN {changed} "
        if vendor == "sqlite":
            statements += [
                f"CREATE TRIGGER {name}_insert AFTER INSERT ON {rollup.source} BEGIN {add}; END",
                f"CREATE TRIGGER {name}_delete AFTER DELETE ON {rollup.source} BEGIN {take_back}; END",
                f"CREATE TRIGGER {name}_update AFTER UPDATE ON {rollup.source} {update}BEGIN {take_back}; {add}; END",
            ]
        else:
            update = "" if rollup.of_case else f"WHEN ({changed}) "
            statements += [
                f"CREATE FUNCTION {name}_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF TG_OP <> 'INSERT' THEN {take_back}; END IF; "
                f"IF TG_OP <> 'DELETE' THEN {add}; END IF; RETURN NULL; END $$",
                f"CREATE TRIGGER {name}_row AFTER INSERT OR DELETE ON {rollup.source} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}_row()",
                f"CREATE TRIGGER {name}_update AFTER UPDATE ON {rollup.source} FOR EACH ROW {update}"
                f"EXECUTE FUNCTION {name}_row()",
            ]
        if not rollup.of_case:
            continue
        move = f"{_case_upsert(rollup, dialect, 'OLD', -1)}; {_case_upsert(rollup, dialect, 'NEW', 1)};"
        if vendor == "sqlite":
            statements.append(f"CREATE TRIGGER {name}_case AFTER UPDATE ON cases_case WHEN {changed} BEGIN {move} END")
        else:
            statements += [
                f"CREATE FUNCTION {name}_case() RETURNS trigger LANGUAGE plpgsql "
                f"AS $$ BEGIN {move} RETURN NULL; END $$",
                f"CREATE TRIGGER {name}_case AFTER UPDATE ON cases_case FOR EACH ROW "
                f"WHEN ({changed}) EXECUTE FUNCTION {name}_case()",
            ]
    return statements


def uninstall_sql(vendor: str) -> list[str]:
    statements = []
    for rollup in ROLLUPS:
        name = rollup.name
        if vendor == "sqlite":
            statements += [f"DROP TRIGGER IF EXISTS {name}_{kind}" for kind in ("insert", "delete", "update", "case")]
        else:
            statements += [
                f"DROP TRIGGER IF EXISTS {name}_row ON {rollup.source}",
                f"DROP TRIGGER IF EXISTS {name}_update ON {rollup.source}",
                f"DROP TRIGGER IF EXISTS {name}_case ON cases_case",
                f"DROP FUNCTION IF EXISTS {name}_row()",
                f"DROP FUNCTION IF EXISTS {name}_case()",
            ]
    return statements


def _tables() -> dict[str, list[Rollup]]:
    tables: dict[str, list[Rollup]] = {}
    for rollup in ROLLUPS:
        tables.setdefault(rollup.table, []).append(rollup)
    return tables


def rebuild(connection: BaseDatabaseWrapper) -> None:
    """Recompute every rollup from its source rows (inside the caller's transaction)."""
    dialect = _Dialect(connection.vendor)
    with connection.cursor() as cursor:
        for table, members in _tables().items():
            cursor.execute(f"DELETE FROM {table}")
            for rollup in members:
                cursor.execute(f"INSERT INTO {table} ({rollup.columns}) {_select_all(rollup, dialect)}")


def _key(row: Sequence[object], width: int) -> tuple[str, ...]:
    # The same key read back from a typed column (date, boolean) or from an expression (text, 0/1).
    return tuple(str(int(value)) if isinstance(value, bool) else str(value) for value in row[:width])


def differences(connection: BaseDatabaseWrapper) -> dict[str, int]:
    """Count, per rollup table, the keys whose stored totals differ from a recomputation (0 when in step)."""
    dialect = _Dialect(connection.vendor)
    found = {}
    with connection.cursor() as cursor:
        for table, members in _tables().items():
            width = 4 + len(members[0].parts)
            expected: dict[tuple[str, ...], tuple[int, ...]] = {}
            for rollup in members:
                cursor.execute(_select_all(rollup, dialect))
                expected.update({_key(row, width): tuple(int(v) for v in row[width:]) for row in cursor.fetchall()})
            cursor.execute(f"SELECT {members[0].columns} FROM {table}")
            stored = {_key(row, width): tuple(row[width:]) for row in cursor.fetchall()}
            zero = tuple(0 for _measure in members[0].measures)
            keys = set(expected) | set(stored)
            found[table] = sum(1 for key in keys if expected.get(key, zero) != stored.get(key, zero))
    return found
