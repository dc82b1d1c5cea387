"""The database connection's state as a test sees it, on both engines: an audited read leaves the
connection outside any transaction and any pipeline, whatever happened in it."""

from __future__ import annotations

from psycopg.pq import TransactionStatus

from django.db import connection


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
