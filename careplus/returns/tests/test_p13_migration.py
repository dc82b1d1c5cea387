"""The migrations that encrypt the free text kept in clear, run on a database holding such rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from django.db import connection

pytestmark = pytest.mark.django_db

SCRIPT = Path(__file__).with_name("migration_p13_script.py")
ROOT = Path(__file__).resolve().parents[3]
CLEAR = [
    "Aéroport-Canari-Lyon",
    "Ville-Canari-Départ",
    "Village-Canari-Arrivée",
    "Atelier-Canari-Couture",
    "Canari: hospitalisée",
    "canari, tigrinya",
    "Foyer-Canari-Secret",
]


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the test database's engine."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'before.sqlite3'}"
        return
    params = connection.settings_dict
    name = f"careplus_p13_{uuid.uuid4().hex[:10]}"
    host, port, user = params["HOST"] or "127.0.0.1", params["PORT"] or 5432, params["USER"] or "postgres"
    dsn = f"host={host} port={port} user={user} dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
        yield f"postgres://{user}{password}@{host}:{port}/{name}"
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _triggers() -> int:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")
        return int(cursor.fetchone()[0])


def test_p13_existing_clear_values_are_encrypted_by_the_migration_and_read_back(fresh_database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": fresh_database_url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    # The application reads the same text as before the migration...
    assert outcome["read"]["live"] == CLEAR
    # ...an erased file's values are gone for good (its data key was destroyed)...
    assert outcome["read"]["erased"] == ["[effacé]"] * len(CLEAR)
    # ...an empty value stays empty, and no column holds any of the texts in clear.
    assert outcome["empty"] == ["None", "None"]
    assert outcome["clear_left"] == []
    # No table was rebuilt: every trigger is still there.
    assert outcome["triggers"] == _triggers()
