"""SQL pieces the ORM does not write on its own."""

from __future__ import annotations

import re

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import CharField, Value
from django.db.models.sql.compiler import SQLCompiler

_CODE = re.compile(r"[a-z0-9_]{1,40}")


class Code(Value):
    """One of the application's own codes (an action, a status) written into the SQL text, not bound.

    A partial index whose condition names the code can then serve the query: a bound value could
    be anything, so neither SQLite nor a plan PostgreSQL prepared for any value may use that index.
    Only lower-case letters, digits and underscores are taken, so the text needs no escaping.
    """

    def __init__(self, code: str) -> None:
        if not _CODE.fullmatch(code):
            raise ValueError(f"Not an application code: {code!r}")
        super().__init__(str(code), output_field=CharField())

    def as_sql(self, compiler: SQLCompiler, connection: BaseDatabaseWrapper) -> tuple[str, tuple[()]]:
        return f"'{self.value}'", ()


def several_statements_per_message(connection: BaseDatabaseWrapper) -> bool:
    """Whether one `execute` may carry several statements, separated by semicolons, to the server
    in one message: on PostgreSQL when Django's cursor binds the values on the client (psycopg's
    `ClientCursor`), as it does unless the database's OPTIONS ask for `server_side_binding`. A
    statement the server binds must be sent alone."""
    return connection.vendor == "postgresql" and not connection.settings_dict["OPTIONS"].get("server_side_binding")
