"""Encrypted, checksummed database snapshots and their restore into an empty database.

File layout: MAGIC | header length (4) | header JSON | chunks, each: length (4) | nonce | data.
Each chunk is AES-256-GCM under a key derived from the current master key; its authenticated
data binds the header, the chunk number and a final-chunk flag, so a truncated, reordered or
edited file is refused. The header carries the SHA-256 of the whole snapshot.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, NotRequired, TypedDict

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from django.db import connection, connections

from careplus.core import crypto, dbfiles

MAGIC = b"CAREPLUS-BACKUP\x01"
_COUNT_TABLES = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup could not be written or restored; the message says why."""


class BackupHeader(TypedDict):
    """The header of a backup file (JSON): what the snapshot is and how its chunks are keyed."""

    format: int
    engine: str
    created: str
    master_key_id: str
    salt: str
    sha256: str
    size: int
    audit_checkpoint: NotRequired[dict[str, object]]


def _derive(master: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"careplus-backup").derive(master)


def _chunk_aad(header_digest: bytes, index: int, final: bool) -> bytes:
    return header_digest + struct.pack(">Q?", index, final)


def _program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian package postgresql-client).")
    return path


def _pg_env(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:  # a DATABASES entry
    args = [
        "-h",
        str(settings_dict.get("HOST") or "127.0.0.1"),
        "-p",
        str(settings_dict.get("PORT") or 5432),
        "-U",
        str(settings_dict.get("USER") or "postgres"),
        "-d",
        str(settings_dict["NAME"]),
    ]
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return args, env


def _snapshot(alias: str, target: Path) -> str:
    """Write a consistent snapshot of the database to target; return the engine name."""
    conn = connections[alias]
    if conn.vendor == "sqlite":
        conn.ensure_connection()
        destination = sqlite3.connect(target)
        try:
            conn.connection.backup(destination)  # online backup API: consistent copy
        finally:
            destination.close()
        return "sqlite"
    if conn.vendor == "postgresql":
        args, env = _pg_env(conn.settings_dict)
        result = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
            [_program("pg_dump"), "-Fc", "--no-owner", "--no-acl", "-f", str(target), *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        return "postgresql"
    raise BackupError(f"Backups are not supported on {conn.vendor}.")


def write_backup(
    output: Path, *, alias: str = "default", audit_checkpoint: dict[str, object] | None = None
) -> BackupHeader:
    """Snapshot the database and write it encrypted to output; return the header.

    `audit_checkpoint` (the audit chain's signed head, taken before the snapshot) goes into the
    header, which every chunk authenticates: `verify_audit --checkpoint <backup>` reads it.
    """
    ring = crypto.keyring()
    with tempfile.TemporaryDirectory() as work:
        snapshot = Path(work) / "snapshot"
        engine = _snapshot(alias, snapshot)
        digest = hashlib.sha256()
        with snapshot.open("rb") as handle:
            for block in iter(lambda: handle.read(CHUNK), b""):
                digest.update(block)
        salt = os.urandom(16)
        header: BackupHeader = {
            "format": 1,
            "engine": engine,
            "created": datetime.datetime.now(datetime.UTC).isoformat(),
            "master_key_id": ring.current_id,
            "salt": salt.hex(),
            "sha256": digest.hexdigest(),
            "size": snapshot.stat().st_size,
        }
        if audit_checkpoint is not None:
            header["audit_checkpoint"] = audit_checkpoint
        header_bytes = json.dumps(header, sort_keys=True).encode()
        header_digest = hashlib.sha256(header_bytes).digest()
        aead = AESGCM(_derive(ring.key(ring.current_id), salt))
        partial = output.with_name(output.name + ".part")
        # Created owner-only (0600): the file holds the whole database, if encrypted.
        with snapshot.open("rb") as source, os.fdopen(dbfiles.create_owner_only(partial), "wb") as sink:
            sink.write(MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes)
            for index, (block, final) in enumerate(_blocks(source)):
                nonce = os.urandom(crypto.NONCE_BYTES)
                sealed = aead.encrypt(nonce, block, _chunk_aad(header_digest, index, final))
                sink.write(struct.pack(">I", len(sealed)) + nonce + sealed)
            sink.flush()
            os.fsync(sink.fileno())
        partial.replace(output)
    return header


def checkpoint_path(backup: Path) -> Path:
    """Where the audit checkpoint of a backup is written beside it."""
    return backup.with_name(backup.name + ".checkpoint")


def write_checkpoint_file(backup: Path, checkpoint_json: str) -> Path:
    """Write the audit checkpoint beside the backup (owner-only), for `verify_audit --checkpoint`."""
    path = checkpoint_path(backup)
    partial = path.with_name(path.name + ".part")
    with os.fdopen(dbfiles.create_owner_only(partial), "w", encoding="utf-8") as sink:
        sink.write(checkpoint_json + "\n")
        sink.flush()
        os.fsync(sink.fileno())
    partial.replace(path)
    return path


def _blocks(source: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    current = source.read(CHUNK)
    while True:
        following = source.read(CHUNK)
        yield current, not following
        if not following:
            return
        current = following


def read_header(path: Path) -> tuple[BackupHeader, bytes, int]:
    """Return the header, its raw bytes and where the chunks start."""
    with path.open("rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise BackupError("This file is not a CARE+ backup.")
        raw_length = handle.read(4)
        if len(raw_length) != 4:
            raise BackupError("The backup file is truncated.")
        (length,) = struct.unpack(">I", raw_length)
        header_bytes = handle.read(length)
        if len(header_bytes) != length:
            raise BackupError("The backup file is truncated.")
        try:
            header: BackupHeader = json.loads(header_bytes)  # written by write_backup, authenticated below
        except ValueError as error:
            raise BackupError("The backup header is corrupted.") from error
        return header, header_bytes, handle.tell()


def decrypt_backup(path: Path, target: Path) -> BackupHeader:
    """Decrypt and check a backup file into target; refuse corrupted or wrongly keyed files."""
    header, header_bytes, offset = read_header(path)
    ring = crypto.keyring()
    key_id = str(header.get("master_key_id", ""))
    if key_id not in ring.keys:
        raise BackupError(f"This backup was encrypted with master key {key_id!r}, which is not configured.")
    aead = AESGCM(_derive(ring.key(key_id), bytes.fromhex(header["salt"])))
    header_digest = hashlib.sha256(header_bytes).digest()
    digest = hashlib.sha256()
    saw_final = False
    with path.open("rb") as source, target.open("wb") as sink:
        source.seek(offset)
        index = 0
        while True:
            raw_length = source.read(4)
            if not raw_length:
                break
            if saw_final:
                raise BackupError("The backup file has data after its last part: it was altered.")
            if len(raw_length) != 4:
                raise BackupError("The backup file is truncated.")
            (length,) = struct.unpack(">I", raw_length)
            nonce = source.read(crypto.NONCE_BYTES)
            sealed = source.read(length)
            if len(sealed) != length or len(nonce) != crypto.NONCE_BYTES:
                raise BackupError("The backup file is truncated.")
            block = None
            for final in (False, True):
                try:
                    block = aead.decrypt(nonce, sealed, _chunk_aad(header_digest, index, final))
                except InvalidTag:
                    continue
                saw_final = final
                break
            if block is None:
                raise BackupError(
                    "The backup cannot be decrypted with the configured key: wrong key or corrupted file."
                )
            digest.update(block)
            sink.write(block)
            index += 1
    if not saw_final:
        raise BackupError("The backup file is truncated: its last part is missing.")
    if digest.hexdigest() != header["sha256"]:
        raise BackupError("The backup checksum does not match: the file is corrupted.")
    return header


def _sqlite_is_empty(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return True
    db = sqlite3.connect(path)
    try:
        tables = db.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    finally:
        db.close()
    return bool(tables == 0)


def restore_backup(path: Path, *, settings_dict: dict[str, Any]) -> BackupHeader:  # a DATABASES entry
    """Load a backup into the empty database described by settings_dict."""
    engine = settings_dict["ENGINE"]
    with tempfile.TemporaryDirectory() as work:
        snapshot = Path(work) / "snapshot"
        header = decrypt_backup(path, snapshot)
        vendor = "sqlite" if engine.endswith("sqlite3") else "postgresql"
        if header["engine"] != vendor:
            raise BackupError(f"This backup comes from {header['engine']} and cannot be loaded into {vendor}.")
        if vendor == "sqlite":
            target = Path(settings_dict["NAME"])
            if not _sqlite_is_empty(target):
                raise BackupError("The target database is not empty: restore only into an empty database.")
            for suffix in ("-wal", "-shm"):
                Path(str(target) + suffix).unlink(missing_ok=True)
            with snapshot.open("rb") as source, os.fdopen(dbfiles.create_owner_only(target), "wb") as sink:
                shutil.copyfileobj(source, sink)
            check = sqlite3.connect(target)
            try:
                if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                    raise BackupError("The restored database fails its integrity check.")
            finally:
                check.close()
        else:
            args, env = _pg_env(settings_dict)
            count = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
                [_program("psql"), "-tA", "-c", _COUNT_TABLES, *args],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if count.returncode != 0:
                raise BackupError(f"The target database cannot be reached: {count.stderr.strip()}")
            if count.stdout.strip() != "0":
                raise BackupError("The target database is not empty: restore only into an empty database.")
            result = subprocess.run(  # noqa: S603 - fixed program, arguments from settings
                [_program("pg_restore"), "--no-owner", "--no-acl", "--exit-on-error", *args, str(snapshot)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
    return header


def default_settings() -> dict[str, Any]:  # a DATABASES entry
    settings_dict: dict[str, Any] = connection.settings_dict  # Django's type
    return settings_dict
