"""Concurrency tests on both engines: SQLite's own locking needs a file database.

The SQLite test database is in memory and shared between threads, where a second writer is answered
"table is locked" at once instead of queueing behind the first (as it does on a file, with the
IMMEDIATE transactions and busy timeout of `config.settings.base`). A concurrency test therefore runs
as is on PostgreSQL and, on SQLite, runs itself again in a subprocess whose test database is a file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
ON_SQLITE_FILE = bool(os.environ.get("CAREPLUS_TEST_SQLITE_FILE"))


def needs_a_file_database() -> bool:
    """Tell whether this run must hand the test to a subprocess on a SQLite file."""
    return connection.vendor == "sqlite" and not ON_SQLITE_FILE


def run_on_a_sqlite_file(test_file: str, test_name: str, tmp_path: Path) -> None:
    """Run one test in a subprocess on a SQLite file database; fail with its output unless it passed."""
    env = {**os.environ, "CAREPLUS_TEST_SQLITE_FILE": str(tmp_path / "concurrency.sqlite3")}
    env.pop("DATABASE_URL", None)
    node = f"{Path(test_file).resolve().relative_to(ROOT)}::{test_name}"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", node],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 passed" in result.stdout, result.stdout[-3000:]
