"""The SQL of the everyday read queries, compiled once and run again as it is.

The home inbox reads five short lists, each filtered by the actor's scope (`scopes.case_in_scope`);
the case list a bounded count and a page; a case page the file, its summary and its history.
Django builds and compiles such a query anew on every request, and that Python work costs two to
four times running it. Here a query is written as a function of plain values (and of the actor,
for a query the scope rules filter); its SQL is compiled the first time those inputs are seen on
a database connection, and later requests run that SQL directly, their rows converted (or their
records built) as Django does.

What keeps this safe is the key. It holds the function and every argument, which must be plain
values (text, numbers, dates, ids: never a model instance, whose other attributes the function
could read); for a scoped query, everything the scope rules read from the actor in Python too
(`policy.scope_key`: the account and its active grants, read anew at each request). A revoked
grant, another user or another day makes another key, so other SQL; what the database decides at
each run (a restricted file's named users, a file's office, its status) stays in the SQL.

An argument wrapped in `Param` (a file's id) is not keyed but bound: the SQL is compiled with a
stand-in value and each run puts the real one in its place among the SQL's parameters, so one
compiled query serves every file. The function must hand such an argument to the ORM as a value to
compare with, and nothing else; compiling checks that it reaches the SQL as a bound parameter.
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Generic, Protocol, Self, TypeVar, cast

import psycopg
from psycopg import abc as pg
from psycopg.pq import Format
from psycopg.rows import TupleRow

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.psycopg_any import register_tzloader
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Expression, Model, QuerySet
from django.db.models.query import (  # type: ignore[attr-defined]  # the stubs lack the populators
    ModelIterable,
    ValuesListIterable,
    get_related_populators,
)
from django.db.models.sql.compiler import SQLCompiler

from careplus.access.policy import Actor, scope_key

if TYPE_CHECKING:
    from django.db.backends.utils import _SQLType

# Per database connection (a thread's own): the everyday pages' queries of a few dozen users
# (about ten each, a file's id bound rather than keyed). A compiled query holds about 33 KB
# (measured with tracemalloc), so a full cache about 8 MB per worker thread.
CACHE_SIZE = 256
_ATTRIBUTE = "_careplus_compiled"
# What a compiled query's arguments may be: values whose equality is all they say.
_PLAIN = (str, int, float, Decimal, datetime.date, datetime.time, uuid.UUID, type(None))


M = TypeVar("M", bound=Model)
Row = TypeVar("Row")
Query = Callable[..., QuerySet[M, Row]]


class _Populator(Protocol):  # django.db.models.query.RelatedPopulator
    def populate(self, row: Sequence[object], from_obj: Model) -> None: ...


@dataclass(frozen=True, slots=True)
class Param:
    """An argument bound into the compiled SQL at each run, not keyed: a file's id."""

    value: uuid.UUID | str


class _StandInsMatchNothing(Exception):
    """The query compiled with stand-ins for its Params can match nothing (`EmptyResultSet`)."""


@dataclass(frozen=True, slots=True)
class _Slot:
    """Where a `Param` goes among the SQL's parameters, and in which form the database takes it."""

    index: int  # in the SQL's parameters
    argument: int  # in the function's arguments
    form: str  # "as is", "hex" (a UUID on SQLite) or "text"


@dataclass(frozen=True, slots=True)
class _Records:
    """How Django builds a row's record and its related ones (`ModelIterable`), worked out once."""

    model: type[Model]
    start: int
    stop: int
    names: list[str]
    populators: list[_Populator]


@dataclass(frozen=True, slots=True)
class _Query:
    compiler: SQLCompiler
    sql: str
    params: tuple[_SQLType, ...]
    slots: tuple[_Slot, ...]
    records: _Records | None  # None: values_list() rows
    # What Django's results_iter works out at every read: each column's converters (by position).
    converters: dict[int, tuple[list[Callable[..., object]], Expression]]

    def converted(self, fetched: list[Sequence[object]]) -> Iterable[Sequence[object]]:
        """The rows fetched, each value as Django's own reading of the query would give it."""
        return self.compiler.apply_converters(fetched, self.converters) if self.converters else fetched


def _cache(alias: str) -> OrderedDict[Hashable, _Query | None]:
    connection = connections[alias]
    cache: OrderedDict[Hashable, _Query | None] | None = getattr(connection, _ATTRIBUTE, None)
    if cache is None:
        cache = OrderedDict()
        setattr(connection, _ATTRIBUTE, cache)
    return cache


def _key_of(args: tuple[Hashable, ...]) -> tuple[Hashable, ...]:
    key: list[Hashable] = []
    for arg in args:
        if isinstance(arg, Param):
            key.append((Param, type(arg.value)))
            continue
        values = arg if isinstance(arg, tuple | frozenset) else (arg,)
        if not all(isinstance(value, _PLAIN) for value in values):
            raise TypeError(f"A compiled query's arguments are plain values, not {type(arg).__name__}.")
        key.append(arg)
    return tuple(key)


def _stand_in(value: uuid.UUID | str) -> uuid.UUID | str:
    return uuid.uuid4() if isinstance(value, uuid.UUID) else f"compiled-{uuid.uuid4().hex}"


def _slots(sql: str, params: tuple[_SQLType, ...], stand_ins: dict[int, uuid.UUID | str]) -> tuple[_Slot, ...]:
    slots = []
    for argument, stand_in in stand_ins.items():
        forms = [("as is", stand_in)]
        if isinstance(stand_in, uuid.UUID):
            forms += [("hex", stand_in.hex), ("text", str(stand_in))]
        found = [
            _Slot(index, argument, form)
            for index, param in enumerate(params)
            for form, written in forms
            if type(param) is type(written) and param == written
        ]
        if not found or any(str(written) in sql for _form, written in forms):
            raise TypeError("A Param must reach the SQL as a bound parameter, and only so.")
        slots += found
    return tuple(slots)


def _records(compiler: SQLCompiler, alias: str) -> _Records:
    klass_info = compiler.klass_info
    if klass_info is None:
        raise TypeError("A compiled query of records must select a model.")
    fields = klass_info["select_fields"]
    start, stop = fields[0], fields[-1] + 1
    return _Records(
        model=klass_info["model"],
        start=start,
        stop=stop,
        names=[column[0].target.attname for column in compiler.select[start:stop]],
        populators=get_related_populators(klass_info, compiler.select, alias),
    )


def _in_compiled_order(queryset: QuerySet[Model, object]) -> bool:
    """Whether Django gives the rows' columns in the order the SQL selects them: no aggregate, or
    a values_list() of fields followed by its aggregates (`values_list("status").annotate(n=...)`),
    which `ValuesListIterable` would otherwise reorder."""
    query = queryset.query
    if not query.annotation_select:
        return True
    named: tuple[str, ...] = getattr(queryset, "_fields", None) or ()  # values_list()'s names (untyped in the stubs)
    if queryset._iterable_class is not ValuesListIterable or not named:
        return False
    fields = [*named, *(name for name in query.annotation_select if name not in named)]
    return fields == [*query.values_select, *query.annotation_select]


def _compile(queryset: QuerySet[Model, object], stand_ins: dict[int, uuid.UUID | str]) -> _Query | None:
    query = queryset.query
    kind = queryset._iterable_class
    if kind not in (ValuesListIterable, ModelIterable) or query.extra_select or not _in_compiled_order(queryset):
        # values_list() rows come back in the order of the compiled columns; records as Django builds them.
        raise TypeError("A compiled query is a values_list() of fields (then aggregates) or a plain query of records.")
    if getattr(queryset, "_prefetch_related_lookups", ()) or getattr(queryset, "_known_related_objects", {}):
        raise TypeError("A compiled query of records prefetches nothing.")
    compiler = query.get_compiler(queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        if stand_ins:
            raise _StandInsMatchNothing from None
        return None
    records = _records(compiler, queryset.db) if kind is ModelIterable else None
    columns = [column for column, _sql, _alias in compiler.select[: compiler.col_count]]
    if compiler.has_composite_fields(columns):
        raise TypeError("A compiled query reads no composite primary key.")
    converters = compiler.get_converters(columns)
    return _Query(compiler, sql, tuple(params), _slots(sql, tuple(params), stand_ins), records, converters)


def _compiled(
    build: Query[Model, object], args: tuple[Hashable, ...], actor: Actor | None, using: str
) -> _Query | None:
    scope = () if actor is None else scope_key(actor)
    key = (build.__module__, build.__qualname__, scope, _key_of(args))
    cache = _cache(using)
    if key in cache:
        cache.move_to_end(key)
        return cache[key]

    def built(values: list[Hashable]) -> QuerySet[Model, object]:
        return build(*values) if actor is None else build(actor, *values)

    stand_ins = {index: _stand_in(arg.value) for index, arg in enumerate(args) if isinstance(arg, Param)}
    try:
        compiled = _compile(built([stand_ins.get(index, arg) for index, arg in enumerate(args)]), stand_ins)
    except _StandInsMatchNothing:
        # Said by the rest of the query (a user who may see no file) or by a stand-in read in
        # Python: the real values' query tells which. Nothing is kept either way.
        if _compile(built([arg.value if isinstance(arg, Param) else arg for arg in args]), {}) is not None:
            raise TypeError("A Param must reach the SQL as a bound parameter, and only so.") from None
        return None
    cache[key] = compiled
    if len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
    return compiled


def _params(query: _Query, args: tuple[Hashable, ...]) -> list[_SQLType]:
    """The SQL's parameters with each Param's value in its places, in the form of its stand-in."""
    params = list(query.params)
    for slot in query.slots:
        bound = cast(Param, args[slot.argument]).value  # the key holds a Param at this place
        if isinstance(bound, uuid.UUID) and slot.form != "as is":
            params[slot.index] = bound.hex if slot.form == "hex" else str(bound)
        else:
            params[slot.index] = bound
    return params


class _Prepared(psycopg.Cursor[TupleRow]):
    """A psycopg cursor (the server binds the values) that prepares the statements it runs outside
    any transaction, and runs those already prepared inside one.

    A statement prepared inside a transaction is gone when the transaction, or the savepoint it was
    prepared in (Django's nested `atomic`), rolls back, and psycopg's list of its statements need
    not follow: the suite saw "prepared statement does not exist". So none is prepared there.
    In a pipeline (`Batch`) the connection is busy once the first query is sent: whether it was
    outside any transaction before is given (`outside`).
    """

    def __init__(
        self, connection: psycopg.Connection[TupleRow], *, outside: bool | None = None, never: bool = False
    ) -> None:
        super().__init__(connection)
        self.outside = outside
        self.never = never  # neither prepare nor run a prepared statement

    def execute(  # type: ignore[override]  # psycopg's overloads add Python 3.14's t-strings: Django passes none
        self,
        query: pg.QueryNoTemplate,
        params: pg.Params | None = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> Self:
        if self.never:
            return super().execute(query, params, prepare=False, binary=binary)
        outside = self.outside if self.outside is not None else _idle(self.connection)
        return super().execute(query, params, prepare=True if outside else None, binary=binary)


def _idle(connection: psycopg.Connection[TupleRow]) -> bool:
    """Whether the connection is outside any transaction, with no query under way: in autocommit
    too, for inside Django's `atomic` psycopg opens the transaction with the next statement, and
    until then the connection looks idle."""
    return connection.autocommit and connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def _connected(connection: BaseDatabaseWrapper) -> psycopg.Connection[TupleRow]:
    """The open psycopg connection, after the health check Django runs before a query (a pipeline
    is opened on the connection itself, before any cursor of Django's would run it)."""
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw: psycopg.Connection[TupleRow] = connection.connection
    return raw


# The queries PostgreSQL plans with their values at each run, never prepared (`planned_each_run`).
_PLANNED_EACH_RUN: set[Callable[..., object]] = set()
B = TypeVar("B", bound=Callable[..., object])


def planned_each_run(build: B) -> B:
    """Have PostgreSQL plan `build`'s SQL with its values at each run, instead of preparing it.

    After five runs of a prepared statement PostgreSQL may keep one plan for any values (its
    "generic plan"), made without them. For an aggregate over a range whose size the values decide
    (a programme's referrals between two dates), that plan guesses a few thousand rows: at a million
    files it read the programme's million referrals in one process, 120 ms, where the plan made for
    the values reads them with parallel workers, 74 ms. The SQL is still compiled once; planning
    such a query costs a fraction of a millisecond. (A query whose kept plan is slow for another
    reason may need no more than that reason taken out: `planned_without_memoize`.)
    """
    _PLANNED_EACH_RUN.add(build)
    return build


# The queries PostgreSQL plans without Memoize (`planned_without_memoize`), and the setting sent
# before them: `true` makes it last to the end of the transaction, here the pipeline's own.
_WITHOUT_MEMOIZE: set[Callable[..., object]] = set()
_NO_MEMOIZE = "SELECT set_config('enable_memoize', 'off', true)"


def planned_without_memoize(build: B) -> B:
    """Have PostgreSQL plan `build`'s SQL without Memoize when run outside any transaction: prepared
    there, as the other compiled reads. Inside a transaction, or in a `Batch`, it is planned with its
    values at each run, Memoize allowed, and never run as the statement prepared outside.

    A Memoize node keeps the rows of a join's inner side by key, in a table it sets up before the
    first row, sized for the planner's guess of the keys met whatever the LIMIT. For the inbox's
    visits due, the plan PostgreSQL keeps for a prepared statement (its generic plan) sets up two
    such tables of cases to read fifty rows: 1.6 ms a run at 100,000 and at a million files, 3.0-3.4
    ms in an earlier machine's database, against 0.33-0.37 ms for the same plan without Memoize.
    Outside a transaction the statement is sent in one pipeline after `set_config('enable_memoize',
    'off', true)`: PostgreSQL runs the two in one implicit transaction, plans the statement (each of
    its first runs, then its generic plan, kept) without Memoize, and the setting ends with the
    transaction. Planned with its values at each run, without the setting, it took 0.63-0.66 ms, of
    which planning 0.3. Inside a transaction the setting would last to the transaction's end, and
    nothing is prepared there: the statement is sent alone, planned with its values.
    """
    _WITHOUT_MEMOIZE.add(build)
    return build


def _fetch(
    build: Query[Model, object], query: _Query, args: tuple[Hashable, ...], using: str, sql: str | None = None
) -> list[Sequence[object]]:
    connection = connections[using]
    if build in _WITHOUT_MEMOIZE and connection.vendor == "postgresql" and _idle(_connected(connection)):
        return _fetch_without_memoize(connection, sql or query.sql, _params(query, args))
    with _cursor_for(build, connection) as cursor:
        cursor.execute(sql or query.sql, _params(query, args))
        fetched: list[Sequence[object]] = cursor.fetchall()
    return fetched


def _fetch_without_memoize(connection: BaseDatabaseWrapper, sql: str, params: list[_SQLType]) -> list[Sequence[object]]:
    """The setting and the prepared statement in one pipeline, one implicit transaction."""
    with (
        connection.wrap_database_errors,  # a failure at the pipeline's end too, as Django's errors
        connection.connection.pipeline(),
        connection.cursor() as setting,
        _prepared_cursor(connection, outside=True) as cursor,
    ):
        setting.execute(_NO_MEMOIZE)
        cursor.execute(sql, params)
        fetched: list[Sequence[object]] = cursor.fetchall()
    return fetched


def _cursor_for(
    build: Query[Model, object], connection: BaseDatabaseWrapper, *, outside: bool | None = None
) -> CursorWrapper:
    # Django's own cursor never prepares: PostgreSQL plans each of its statements with the values.
    if connection.vendor != "postgresql" or build in _PLANNED_EACH_RUN:
        return connection.cursor()
    if build in _WITHOUT_MEMOIZE:
        # Prepared only after its setting (`_fetch_without_memoize`). Elsewhere (in a transaction,
        # in a `Batch`'s pipeline) planned with its values, and never run as the statement prepared
        # after the setting: a plan made there without it (its first runs', the generic plan made
        # at the sixth, a plan made again after an invalidation) would be kept for the runs outside.
        # With `server_side_binding` Django's own cursor would run that statement by its name.
        return _prepared_cursor(connection, never=True)
    return _prepared_cursor(connection, outside=outside)


def _prepared_cursor(
    connection: BaseDatabaseWrapper, *, outside: bool | None = None, never: bool = False
) -> CursorWrapper:
    """A cursor whose statements PostgreSQL prepares once per connection, their values bound by the
    server, so that a compiled query is planned once too: a file's summary, which joins a dozen
    tables, took 1.9 ms to plan for 0.25 ms to run (2.9 ms a row, 0.5 ms prepared). Django's own
    cursors write the values into the text and never prepare. Wrapped as Django wraps its cursors
    (its errors, query log and execute wrappers apply); `forget` deallocates the statements.
    `never`: a cursor that neither prepares a statement nor runs one prepared, the server binding
    the values and planning them at each run."""
    connection.ensure_connection()
    raw = connection.connection
    loader = raw.adapters.get_loader(psycopg.adapters.types["timestamptz"].oid, Format.TEXT)
    mismatched = getattr(loader, "timezone", None) != connection.timezone  # Django sets it per cursor
    if mismatched and not never:
        return connection.cursor()
    if raw.prepare_threshold is None:  # Django's setting: psycopg never prepares on its own
        raw.prepare_threshold = 2**31  # then only what is asked with prepare=True, never by count
    cursor = _Prepared(raw, outside=outside, never=never)
    if mismatched:
        register_tzloader(connection.timezone, cursor)  # as Django's own cursors
    wrapper = CursorDebugWrapper if connection.queries_logged else CursorWrapper  # as Django's own cursors
    return wrapper(cursor, connection)


def rows(build: Query[M, Row], *args: Hashable, actor: Actor | None = None, using: str = "default") -> list[Row]:
    """The rows of `build(*args)`, or of `build(actor, *args)` for a query the actor's scope
    filters: a values_list() query, its SQL compiled once per inputs.

    `build` must be a module-level function (it is named in the key) that reads nothing but its
    arguments and, from the actor, what the scope rules read (`policy.scope_key`).
    """
    query = _compiled(build, args, actor, using)
    if query is None:
        return []
    if query.records is not None:
        raise TypeError("This query gives records: read it with `records`.")
    found = [tuple(row) for row in query.converted(_fetch(build, query, args, using))]
    return cast(list[Row], found)  # the rows of `build`'s values_list(), converted


def records(build: Query[M, M], *args: Hashable, actor: Actor | None = None, using: str = "default") -> list[M]:
    """The records of `build(...)` (with those `select_related` names), as `rows` reads rows."""
    query = _compiled(build, args, actor, using)
    if query is None:
        return []
    shape = query.records
    if shape is None:
        raise TypeError("This query gives values_list() rows: read it with `rows`.")
    found: list[Model] = []
    for row in query.converted(_fetch(build, query, args, using)):
        record = shape.model.from_db(using, shape.names, row[shape.start : shape.stop])
        for populator in shape.populators:
            populator.populate(row, record)
        found.append(record)
    return cast(list[M], found)  # records of `build`'s model


def count(build: Query[M, Row], *args: Hashable, actor: Actor | None = None, using: str = "default") -> int:
    """How many rows `rows` would read (slice the query to bound the count)."""
    query = _compiled(build, args, actor, using)
    if query is None:
        return 0
    counted = f"SELECT COUNT(*) FROM ({query.sql}) counted"  # noqa: S608 - Django's own SQL
    ((number,),) = _fetch(build, query, args, using, counted)
    return int(cast(int, number))


class Batch:
    """Compiled queries read together: on PostgreSQL sent at once, in one pipeline.

    Each query is queued with `rows` (as `compiled.rows` takes it), which answers a `Pending`; the
    first `Pending.get` reads every query of the batch. PostgreSQL then runs them back to back,
    instead of waiting for the client to read each answer before it sends the next query: the
    dashboard's seven queries cost one wait for the server, not seven. Elsewhere (SQLite) they run
    one after the other. A query is planned or prepared as `rows` would run it (`planned_each_run`),
    but for a query planned without Memoize, which a batch plans with its values at each run.

    Inside `sent()`, the queries are sent when the block starts and read at the first `get`: the
    server runs them while the caller's Python goes on (the dashboard renders its layout meanwhile).
    """

    def __init__(self, using: str = "default") -> None:
        self.using = using
        self._queued: list[tuple[Query[Model, object], tuple[Hashable, ...], Actor | None]] = []
        self._read: list[list[object]] | None = None
        self._in_flight: tuple[contextlib.ExitStack, list[tuple[CursorWrapper, _Query] | None]] | None = None
        self._sent = False  # by `sent()` or a read: no query can join it after

    def rows(self, build: Query[M, Row], *args: Hashable, actor: Actor | None = None) -> Pending[Row]:
        """Queue `build`'s query (see `rows`); its rows are read with the batch's others."""
        if self._sent:
            raise RuntimeError("This batch has been sent: queue its queries before sending or reading any.")
        self._queued.append((cast("Query[Model, object]", build), args, actor))
        return Pending(self, len(self._queued) - 1)

    def read(self) -> list[list[object]]:
        """Every queued query's rows, in the order queued (read once)."""
        if self._read is None:
            self._sent = True
            if self._in_flight is not None:
                stack, sent = self._in_flight
                self._in_flight = None
                with stack:  # the pipeline left once its answers are read
                    self._read = self._rows(sent)
                return self._read
            connection = connections[self.using]
            compiled = self._compile()
            if connection.vendor == "postgresql":
                with self._pipeline(connection, compiled) as sent:
                    self._read = self._rows(sent)
            else:
                self._read = [
                    []
                    if query is None
                    else [tuple(row) for row in query.converted(_fetch(build, query, args, self.using))]
                    for (build, args, _actor), query in zip(self._queued, compiled, strict=True)
                ]
        return self._read

    @contextlib.contextmanager
    def sent(self) -> Iterator[Self]:
        """Send the queued queries when the block starts; read them at the first `get`.

        On PostgreSQL the server runs them while the block goes on, and the connection stays in a
        pipeline until they are read: a statement the block makes before has the batch read first
        (it waits for them), so the block's work before the first `get` should be Python alone; a
        transaction opened there fails (psycopg will not change the connection's mode while a
        command is under way). Whatever happens in the block, the batch is read or its pipeline
        left when it ends. Elsewhere the queries run at the first `get`, as without the block.
        """
        if self._sent:
            raise RuntimeError("This batch has been sent already.")
        self._sent = True
        connection = connections[self.using]
        if connection.vendor != "postgresql":
            yield self
            return
        with contextlib.ExitStack() as stack:  # left at the read, or here if nothing read them
            self._in_flight = (stack, stack.enter_context(self._pipeline(connection, self._compile())))
            stack.enter_context(connection.execute_wrapper(self._read_first))
            try:
                yield self
            finally:
                self._in_flight = None

    def _read_first(
        self, execute: Callable[..., object], sql: str, params: object, many: bool, context: Mapping[str, object]
    ) -> object:
        """Another statement while the batch is in flight: the batch is read first, and the pipeline
        left (psycopg runs not every statement in one: a server-side cursor, for one)."""
        self.read()
        return execute(sql, params, many, context)

    def _compile(self) -> list[_Query | None]:
        compiled = [_compiled(build, args, actor, self.using) for build, args, actor in self._queued]
        if any(query is not None and query.records is not None for query in compiled):
            raise TypeError("A batch reads values_list() rows: read records with `records`.")
        return compiled

    @contextlib.contextmanager
    def _pipeline(
        self, connection: BaseDatabaseWrapper, compiled: list[_Query | None]
    ) -> Iterator[list[tuple[CursorWrapper, _Query] | None]]:
        """Send the queries in one pipeline; the block reads their answers before the pipeline ends."""
        outside = _idle(_connected(connection))
        sent: list[tuple[CursorWrapper, _Query] | None] = []
        with (
            contextlib.ExitStack() as cursors,
            connection.wrap_database_errors,  # a failure at the pipeline's end too, as Django's errors
            connection.connection.pipeline(),
        ):
            for (build, args, _actor), query in zip(self._queued, compiled, strict=True):
                if query is None:  # matches nothing: no query
                    sent.append(None)
                    continue
                cursor = cursors.enter_context(_cursor_for(build, connection, outside=outside))
                cursor.execute(query.sql, _params(query, args))
                sent.append((cursor, query))
            yield sent

    @staticmethod
    def _rows(sent: list[tuple[CursorWrapper, _Query] | None]) -> list[list[object]]:
        return [[] if each is None else [tuple(row) for row in each[1].converted(each[0].fetchall())] for each in sent]


@dataclass(frozen=True, slots=True)
class Pending(Generic[Row]):
    """A query queued in a `Batch`: `get` gives its rows (reading the whole batch the first time)."""

    batch: Batch
    index: int

    def get(self) -> list[Row]:
        return cast(list[Row], self.batch.read()[self.index])  # the rows of the query's values_list()


def forget(using: str = "default") -> None:
    """Drop the compiled queries of this thread's connection, and on PostgreSQL the statements it
    prepared (after a schema change)."""
    _cache(using).clear()
    connection = connections[using]
    if connection.vendor == "postgresql" and connection.connection is not None:
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")  # psycopg forgets its own names on seeing it
