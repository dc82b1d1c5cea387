"""The database connection's state as a test sees it, on both engines: an audited read leaves the
connection outside any transaction and any pipeline, whatever happened in it."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from psycopg.pq import TransactionStatus

from django.db import connection

from careplus.audit import services


def in_a_transaction() -> bool:
    """Whether the database session is inside a transaction (one left open would swallow the next
    request's writes until the connection closed)."""
    raw = connection.connection
    if connection.vendor == "postgresql":
        return bool(raw.info.transaction_status != TransactionStatus.IDLE)
    return bool(raw.in_transaction)


def in_a_pipeline() -> bool:
    """Whether the connection is in psycopg's pipeline mode (PostgreSQL only; never on SQLite)."""
    return connection.vendor == "postgresql" and connection.connection.pgconn.pipeline_status != 0


def commits_after(ready: threading.Event, monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, bool]]:
    """On SQLite, hold each read's commit made on its thread (`audit.services._commit`) until `ready`
    is set, ten seconds at most. Returns, for each commit, whether it was made on a thread other than
    the test's and whether `ready` came: a caller that waited for the commit before setting `ready`
    would have left it waiting until the end (False)."""
    made: list[tuple[bool, bool]] = []
    commit = services._commit
    test_thread = threading.current_thread()

    def held(raw: sqlite3.Connection) -> None:
        made.append((threading.current_thread() is not test_thread, ready.wait(timeout=10)))
        commit(raw)

    monkeypatch.setattr(services, "_commit", held)
    return made
