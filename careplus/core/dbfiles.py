"""Owner-only file modes for the SQLite database, its -wal and -shm files (never world-readable)."""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from django.db.backends.base.base import BaseDatabaseWrapper

OWNER_ONLY = 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def sqlite_path(connection: BaseDatabaseWrapper) -> Path | None:
    """Return the file of a SQLite connection, or None for an in-memory database."""
    if connection.vendor != "sqlite":
        return None
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
        return None
    return Path(name)


def restrict(path: Path) -> None:
    """Make an existing file readable and writable by its owner only."""
    with contextlib.suppress(FileNotFoundError):
        if stat.S_IMODE(path.stat().st_mode) != OWNER_ONLY:
            path.chmod(OWNER_ONLY)


def restrict_sqlite_files(sender: object, connection: BaseDatabaseWrapper, **kwargs: object) -> None:
    """On each new connection: the database and its companions become 0600.

    SQLite gives the -wal and -shm files it creates the mode of the database file, so once
    the database is 0600 they are created 0600 too; those already there are narrowed here.
    """
    path = sqlite_path(connection)
    if path is None:
        return
    for suffix in SQLITE_COMPANIONS:
        restrict(Path(str(path) + suffix))


def create_owner_only(path: Path) -> int:
    """Open a file for writing, created 0600 (and narrowed to 0600 if it existed)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY)
    os.fchmod(descriptor, OWNER_ONLY)
    return descriptor
