"""The SQL of the everyday read queries, compiled once per set of inputs and run again as it is.

The home inbox reads five short lists, each filtered by the actor's scope (`scopes.case_in_scope`).
Django builds and compiles such a query anew on every request, and that Python work costs three to
four times running it. Here a query is written as a function of the actor and of plain values; its
SQL is compiled the first time those inputs are seen on a database connection, and later requests
with the same inputs run that SQL directly, its rows converted as Django converts them.

What keeps this safe is the key. It holds the function, every argument, and everything the scope
rules read from the actor in Python (`scopes.scope_key`: the account and its active grants, read
anew at each request). A revoked grant, another user or another day makes another key, so other
SQL; what the database decides at each run (a restricted file's named users, a file's office,
its status) stays in the SQL and is evaluated on every run.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ValuesListIterable
from django.db.models.sql.compiler import SQLCompiler

from careplus.access.policy import Actor
from careplus.access.scopes import scope_key

# Per database connection (a thread's own): enough for every user of a busy office and their
# few queries, while a worker's memory stays bounded (a compiled query holds a few kilobytes).
CACHE_SIZE = 512
_ATTRIBUTE = "_careplus_compiled"

_Compiled = tuple[SQLCompiler, str, tuple[Any, ...]] | None  # None: the query can match nothing


def _cache(alias: str) -> OrderedDict[Hashable, _Compiled]:
    connection = connections[alias]
    cache: OrderedDict[Hashable, _Compiled] | None = getattr(connection, _ATTRIBUTE, None)
    if cache is None:
        cache = OrderedDict()
        setattr(connection, _ATTRIBUTE, cache)
    return cache


def _compile(queryset: QuerySet[Any]) -> _Compiled:
    query = queryset.query
    if queryset._iterable_class is not ValuesListIterable or query.extra_select or query.annotation_select:
        # Only plain values_list() rows come back in the order of the compiled columns.
        raise TypeError("A compiled query must be a values_list() of fields, without annotations.")
    compiler = query.get_compiler(queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return None
    return compiler, sql, tuple(params)


def _compiled(build: Callable[..., QuerySet[Any]], actor: Actor, args: tuple[Hashable, ...], using: str) -> _Compiled:
    key = (build.__module__, build.__qualname__, scope_key(actor), args)
    cache = _cache(using)
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    compiled = cache[key] = _compile(build(actor, *args))
    if len(cache) > CACHE_SIZE:
        cache.popitem(last=False)
    return compiled


def rows(build: Callable[..., QuerySet[Any]], actor: Actor, *args: Hashable, using: str = "default") -> list[Any]:
    """The rows of `build(actor, *args)`, a values_list() query, its SQL compiled once per inputs.

    `build` must read nothing but its arguments and, from the actor, what the scope rules read
    (`scopes.scope_key`); it must be a module-level function, named in the key.
    """
    compiled = _compiled(build, actor, args, using)
    if compiled is None:
        return []
    compiler, sql, params = compiled
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    return list(compiler.results_iter(results=[fetched], tuple_expected=True))


def count(build: Callable[..., QuerySet[Any]], actor: Actor, *args: Hashable, using: str = "default") -> int:
    """How many rows `build(actor, *args)` holds, as `rows` reads them (slice the query to bound it)."""
    compiled = _compiled(build, actor, args, using)
    if compiled is None:
        return 0
    _compiler, sql, params = compiled
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) counted", params)  # noqa: S608 - Django's own SQL
        (number,) = cursor.fetchone() or (0,)
    return int(number)


def forget(using: str = "default") -> None:
    """Drop the compiled queries of this thread's connection (after a schema change)."""
    _cache(using).clear()
