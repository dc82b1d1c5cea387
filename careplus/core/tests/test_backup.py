"""Backups: encrypted round trip into an empty database; corrupted or wrongly keyed files refused."""

from __future__ import annotations

import base64
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings

from careplus.cases.models import Case
from careplus.core import crypto
from careplus.core.backup import BackupError, restore_backup, write_backup
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

TABLES = ["cases_case", "core_datakey", "accounts_user", "audit_auditevent"]


@pytest.fixture
def target(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """An empty database of the same engine as the test database."""
    if connection.vendor == "sqlite":
        yield {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "restored.sqlite3")}
        return
    name = f"careplus_restore_{uuid.uuid4().hex[:10]}"
    params = connection.settings_dict
    dsn = f"host={params['HOST'] or '127.0.0.1'} port={params['PORT'] or 5432} user={params['USER']} dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**params, "NAME": name}
    finally:
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rows(settings_dict: dict[str, Any] | None, table: str, columns: str = "*") -> list[tuple[Any, ...]]:
    """Read a table's rows, normalised, from the live or the restored database."""
    query = f"SELECT {columns} FROM {table} ORDER BY 1"
    if settings_dict is None:
        with connection.cursor() as cursor:
            cursor.execute(query)
            rows = cursor.fetchall()
    elif settings_dict["ENGINE"].endswith("sqlite3"):
        db = sqlite3.connect(settings_dict["NAME"])
        rows = db.execute(query).fetchall()
        db.close()
    else:
        dsn = f"host={settings_dict['HOST'] or '127.0.0.1'} port={settings_dict['PORT'] or 5432} user={settings_dict['USER']} dbname={settings_dict['NAME']}"
        with psycopg.connect(dsn) as conn:
            rows = conn.execute(query).fetchall()
    return [tuple(_norm(v) for v in row) for row in rows]


def _norm(value: Any) -> Any:
    if isinstance(value, bytes | memoryview):
        return bytes(value)
    if isinstance(value, bool):
        return str(int(value))
    return str(value)


def _decrypt_family_name(settings_dict: dict[str, Any], case: Case) -> str:
    """Decrypt a value from the restored database with the configured master keys only."""
    data_key_id = case.data_key_id
    key_rows = {r[0].replace("-", ""): r for r in _rows(settings_dict, "core_datakey", "id, master_key_id, wrapped")}
    key_row = key_rows[data_key_id.hex]
    master_id, wrapped = key_row[1], key_row[2]
    material = crypto.unwrap_key(bytes(wrapped), key_id=data_key_id, master_key_id=master_id)
    case_rows = {r[0].replace("-", ""): r for r in _rows(settings_dict, "cases_case", "id, family_name")}
    blob = case_rows[case.pk.hex][1]
    aad = crypto.value_aad("cases_case", "family_name", case.pk)
    return crypto.decrypt(bytes(blob), key=material, aad=aad).decode()


def test_round_trip_gives_identical_rows_and_values(tmp_path: Path, target: dict[str, Any]) -> None:
    case = factories.make_case(family_name=factories.CANARY)
    factories.make_user()
    path = tmp_path / "careplus.bak"
    header = write_backup(path)
    assert header["engine"] == connection.vendor
    assert factories.CANARY.encode() not in path.read_bytes()

    restore_backup(path, settings_dict=target)
    for table in TABLES:
        assert _rows(target, table) == _rows(None, table), table
    assert _decrypt_family_name(target, case) == factories.CANARY


def test_truncated_or_edited_backup_is_refused(tmp_path: Path, target: dict[str, Any]) -> None:
    factories.make_case()
    path = tmp_path / "careplus.bak"
    write_backup(path)
    data = path.read_bytes()
    truncated = tmp_path / "truncated.bak"
    truncated.write_bytes(data[: len(data) - 40])
    with pytest.raises(BackupError, match=r"truncated|cannot be decrypted"):
        restore_backup(truncated, settings_dict=target)
    edited = tmp_path / "edited.bak"
    middle = len(data) // 2
    edited.write_bytes(data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :])
    with pytest.raises(BackupError):
        restore_backup(edited, settings_dict=target)
    not_a_backup = tmp_path / "other.bak"
    not_a_backup.write_bytes(b"hello")
    with pytest.raises(BackupError, match="not a CARE\\+ backup"):
        restore_backup(not_a_backup, settings_dict=target)
    assert _target_is_empty(target)


def test_wrong_key_is_refused_with_a_clear_message(tmp_path: Path, target: dict[str, Any]) -> None:
    factories.make_case()
    path = tmp_path / "careplus.bak"
    write_backup(path)
    current_id = crypto.keyring().current_id
    wrong = f"{current_id}:" + base64.urlsafe_b64encode(os.urandom(32)).decode()
    with (
        override_settings(CAREPLUS_MASTER_KEYS=wrong),
        pytest.raises(BackupError, match="wrong key"),
    ):
        restore_backup(path, settings_dict=target)
    other = "other9:" + base64.urlsafe_b64encode(os.urandom(32)).decode()
    with (
        override_settings(CAREPLUS_MASTER_KEYS=other),
        pytest.raises(BackupError, match="not configured"),
    ):
        restore_backup(path, settings_dict=target)
    assert _target_is_empty(target)


def test_restore_refuses_a_database_that_is_not_empty(tmp_path: Path, target: dict[str, Any]) -> None:
    factories.make_case()
    path = tmp_path / "careplus.bak"
    write_backup(path)
    restore_backup(path, settings_dict=target)
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(path, settings_dict=target)


def test_backup_command_reports_and_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("backup", str(tmp_path / "out" / "careplus.bak"))
    assert "Backup written to" in capsys.readouterr().out
    with pytest.raises(CommandError, match="No backup file"):
        call_command("restore", str(tmp_path / "missing.bak"))


def _target_is_empty(settings_dict: dict[str, Any]) -> bool:
    if settings_dict["ENGINE"].endswith("sqlite3"):
        path = Path(settings_dict["NAME"])
        if not path.exists():
            return True
        db = sqlite3.connect(path)
        count = db.execute("SELECT count(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
        db.close()
        return bool(count == 0)
    result = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-d",
            settings_dict["NAME"],
            "-tA",
            "-c",
            "SELECT count(*) FROM information_schema.tables WHERE table_schema='public'",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip() == "0"


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask of a shell, under which files are created world-readable (0644)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.usefixtures("open_umask")
def test_p17_a_fresh_sqlite_database_and_its_wal_and_shm_files_are_owner_only(tmp_path: Path) -> None:
    from django.db.utils import ConnectionHandler

    from config.settings.base import database_config

    path = tmp_path / "fresh.sqlite3"
    handler = ConnectionHandler({"default": database_config(f"sqlite:///{path}")})
    fresh = handler["default"]
    try:
        with fresh.cursor() as cursor:
            cursor.execute("CREATE TABLE person (name TEXT)")
            cursor.execute("INSERT INTO person VALUES ('x')")
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        fresh.close()


@pytest.mark.usefixtures("open_umask")
def test_p17_an_existing_world_readable_database_is_narrowed_on_connection(tmp_path: Path) -> None:
    from django.db.utils import ConnectionHandler

    from config.settings.base import database_config

    path = tmp_path / "old.sqlite3"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    fresh = ConnectionHandler({"default": database_config(f"sqlite:///{path}")})["default"]
    try:
        fresh.ensure_connection()
        assert _mode(path) == 0o600
    finally:
        fresh.close()


@pytest.mark.usefixtures("open_umask")
def test_p17_backup_files_and_a_restored_database_are_owner_only(tmp_path: Path, target: dict[str, Any]) -> None:
    factories.make_case()
    path = tmp_path / "careplus.bak"
    call_command("backup", str(path))
    assert _mode(path) == 0o600
    restore_backup(path, settings_dict=target)
    if target["ENGINE"].endswith("sqlite3"):
        assert _mode(Path(target["NAME"])) == 0o600
