"""REL-BACKUP-DRILL: base backup + WAL archive restored to a point in time, encrypted dump restored.

    .venv/bin/python -m drills.backup [--cases 2000] [--rto-from postgres://…/careplus_bench]

Runs on throw-away PostgreSQL clusters of its own (two free loopback ports, under a folder of
its own in the temporary directory), never on the machine's main cluster; two drills can run
at once (say, the SQLite and the PostgreSQL runs of the suite) without meeting:

1. a source cluster with WAL archiving gets the schema and `--cases` synthetic cases;
2. `pg_basebackup` takes a base backup, checked with `pg_verifybackup`;
3. more cases are written (phase A), every table is checksummed, the time T is noted, and more
   cases are written after T (phase B); `manage.py backup` then writes an encrypted dump;
4. the base backup is restored into a fresh cluster and replayed from the archive up to T;
   every table must match its checksum at T (nothing after T, nothing missing before it), the
   audit chain and the rollups must verify;
5. the encrypted dump is restored into an empty database of that cluster (`manage.py restore`):
   every table must match the source's final state; the time it took is the RTO.

With `--rto-from`, the database at that URL (e.g. the 100,000-case bench database) is also
backed up and restored into the drill cluster, and that restore time is reported as the RTO at
its size. Prints the figures; exits 1 if anything does not match.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drills.common import ROOT


def _free_ports(count: int) -> list[int]:
    """Ports nobody listens on now: held open together so the kernel gives distinct ones."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


WORK = Path(tempfile.gettempdir()) / f"careplus-backup-drill-{os.getpid()}"
SOURCE_PORT, RESTORE_PORT = _free_ports(2)
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def _bin(name: str) -> str:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    if not versions:
        raise SystemExit("PostgreSQL server binaries not found under /usr/lib/postgresql.")
    return str(versions[-1] / name)


def _as_postgres(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL program as the postgres user (the server refuses to run as root)."""
    run = ["/usr/sbin/runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)
    result = subprocess.run(run, capture_output=True, text=True, check=False)  # noqa: S603 - fixed programs
    if check and result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:2])} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


def _url(port: int, database: str = "careplus") -> str:
    return f"postgres://postgres@127.0.0.1:{port}/{database}"


def _manage(url: str, *arguments: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    result = subprocess.run(  # noqa: S603 - the project's own manage.py
        [PYTHON, str(ROOT / "manage.py"), *arguments], capture_output=True, text=True, env=env, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {arguments[0]} failed: {result.stderr.strip()[-2000:]}")
    return result.stdout


def _sql(port: int, query: str, database: str = "careplus") -> list[list[str]]:
    result = _as_postgres(
        _bin("psql"),
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "-U",
        "postgres",
        "-d",
        database,
        "-AtX",
        "-F",
        "\t",
        "-c",
        query,
    )
    return [line.split("\t") for line in result.stdout.splitlines() if line]


def _start_cluster(data: Path, port: int, extra: dict[str, str]) -> None:
    settings = {
        "port": str(port),
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": f"'{WORK}'",
        **extra,
    }
    with (data / "postgresql.auto.conf").open("a") as conf:
        conf.writelines(f"{name} = {value}\n" for name, value in settings.items())
    log = WORK / f"{data.name}.log"
    started = _as_postgres(_bin("pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "300", "start", check=False)
    if started.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise SystemExit(f"pg_ctl start on port {port} failed: {started.stderr.strip()}\n{tail}")


def _stop_cluster(data: Path) -> None:
    if (data / "postmaster.pid").exists():
        _as_postgres(_bin("pg_ctl"), "-D", str(data), "-m", "fast", "stop", check=False)


def _checksums(port: int, database: str = "careplus", *, audit_upto: int = 0) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of every table of the public schema.

    With `audit_upto`, the audit log is compared up to that event and its head left out: the
    restore command appends its own event, which the source cannot hold.
    """
    tables = [row[0] for row in _sql(port, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'", database)]
    sums = {}
    for table in sorted(tables):
        if audit_upto and table == "audit_audithead":
            continue
        where = f" WHERE seq <= {int(audit_upto)}" if audit_upto and table == "audit_auditevent" else ""
        (count, digest), *_rest = _sql(
            port,
            f"SELECT COUNT(*), md5(COALESCE(string_agg(md5(t::text), '' ORDER BY md5(t::text)), '')) "  # noqa: S608 - names from pg_tables, quoted
            f'FROM "{table}" t{where}',
            database,
        )
        sums[table] = (int(count), digest)
    return sums


def _cases(port: int, database: str = "careplus") -> int:
    return int(_sql(port, "SELECT COUNT(*) FROM cases_case", database)[0][0])


def _prepare() -> tuple[Path, Path]:
    for data in (WORK / "source", WORK / "restored"):
        _stop_cluster(data)
    shutil.rmtree(WORK, ignore_errors=True)
    archive = WORK / "archive"
    archive.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(WORK, "postgres", "postgres")
        shutil.chown(archive, "postgres", "postgres")
    return WORK / "source", archive


Sums = dict[str, tuple[int, str]]


@dataclass
class Drill:
    archive: Path
    figures: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def compare(self, what: str, expected: Sums, found: Sums) -> int:
        """Count the tables matching; name the others as a failure."""
        mismatched = [table for table in expected if found.get(table) != expected[table]]
        if mismatched:
            self.failures.append(f"tables differing {what}: {', '.join(mismatched)}")
        return len(expected) - len(mismatched)


def _seconds(call: Any) -> float:
    started = time.monotonic()
    call()
    return round(time.monotonic() - started, 1)


def _source(drill: Drill, source: Path, cases: int, more: int) -> tuple[Sums, str, int, Sums, Path]:
    """Build the source, take and check the base backup, write around T; return what T and the dump hold."""
    _as_postgres(_bin("initdb"), "-D", str(source), "-U", "postgres", "-A", "trust", "--encoding", "UTF8")
    archive_command = f"'test ! -f {drill.archive}/%f && cp %p {drill.archive}/%f'"
    _start_cluster(
        source, SOURCE_PORT, {"wal_level": "replica", "archive_mode": "on", "archive_command": archive_command}
    )
    _sql(SOURCE_PORT, "CREATE DATABASE careplus", "postgres")
    _manage(_url(SOURCE_PORT), "migrate", "--noinput", "-v0")
    _manage(_url(SOURCE_PORT), "generate_synthetic", "--cases", str(cases), "-v0")
    _as_postgres(
        _bin("pg_basebackup"), "-h", "127.0.0.1", "-p", str(SOURCE_PORT), "-U", "postgres", "-D", str(WORK / "base"),
        "-X", "stream", "-c", "fast",
    )  # fmt: skip
    _as_postgres(_bin("pg_verifybackup"), str(WORK / "base"))
    drill.figures["pg_verifybackup"] = "ok"
    _manage(_url(SOURCE_PORT), "generate_synthetic", "--cases", str(more), "--seed", "1", "-v0")
    at_t = _checksums(SOURCE_PORT)
    target = _sql(SOURCE_PORT, "SELECT clock_timestamp()")[0][0]
    cases_at_t = _cases(SOURCE_PORT)
    time.sleep(2)
    _manage(_url(SOURCE_PORT), "generate_synthetic", "--cases", str(more), "--seed", "2", "-v0")
    segment = _sql(SOURCE_PORT, "SELECT pg_walfile_name(pg_switch_wal())")[0][0]
    deadline = time.monotonic() + 60
    while not (drill.archive / segment).exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    dump = WORK / "careplus.cpbak"
    _manage(_url(SOURCE_PORT), "backup", str(dump))
    final = _checksums(SOURCE_PORT)  # the backup's own audit event is in the dump
    return at_t, target, cases_at_t, final, dump


def _point_in_time(drill: Drill, restored: Path, target: str, at_t: Sums, cases_at_t: int) -> None:
    """Replay the base backup from the archive up to T in a fresh cluster, then compare with T."""
    shutil.copytree(WORK / "base", restored)
    if os.geteuid() == 0:
        for path in [restored, *restored.rglob("*")]:
            shutil.chown(path, "postgres", "postgres")
    restored.chmod(0o700)
    (restored / "recovery.signal").touch()
    recovery = {
        "archive_mode": "off",
        "restore_command": f"'cp {drill.archive}/%f %p'",
        "recovery_target_time": f"'{target}'",
        "recovery_target_action": "'promote'",
    }

    def recover() -> None:
        _start_cluster(restored, RESTORE_PORT, recovery)
        deadline = time.monotonic() + 600
        while _sql(RESTORE_PORT, "SELECT pg_is_in_recovery()", "postgres")[0][0] == "t":
            if time.monotonic() > deadline:
                raise SystemExit("point-in-time recovery did not finish within 10 minutes")
            time.sleep(0.5)

    figures = drill.figures
    figures["pitr_seconds"] = _seconds(recover)
    figures["tables_checked"] = len(at_t)
    figures["tables_matching_at_t"] = drill.compare("from their state at T", at_t, _checksums(RESTORE_PORT))
    figures["cases_at_t"] = cases_at_t
    figures["cases_after_pitr"] = _cases(RESTORE_PORT)
    figures["cases_written_after_t_present"] = max(0, figures["cases_after_pitr"] - cases_at_t)
    figures["cases_before_t_missing"] = max(0, cases_at_t - figures["cases_after_pitr"])
    if figures["cases_written_after_t_present"] or figures["cases_before_t_missing"]:
        drill.failures.append("the recovered database is not the state at T")
    figures["audit_after_pitr"] = _manage(_url(RESTORE_PORT), "verify_audit").strip()
    figures["rollups_after_pitr"] = _manage(_url(RESTORE_PORT), "rebuild_figures", "--check").strip()


def _restore(drill: Drill, dump: Path, final: Sums) -> None:
    """The encrypted dump restored into an empty database: the RTO."""
    url = _url(RESTORE_PORT, "careplus_restored")
    _sql(RESTORE_PORT, "CREATE DATABASE careplus_restored", "postgres")
    drill.figures["rto_seconds"] = _seconds(lambda: _manage(url, "restore", str(dump)))
    events = final["audit_auditevent"][0]
    expected = {table: sums for table, sums in final.items() if table != "audit_audithead"}
    found = _checksums(RESTORE_PORT, "careplus_restored", audit_upto=events)
    matching = drill.compare("after the dump's restore", expected, found)
    drill.figures["tables_matching_dump"] = f"{matching} of {len(expected)} (audit log compared up to event {events})"
    drill.figures["audit_after_restore"] = _manage(url, "verify_audit").strip()


def _large(drill: Drill, source_url: str) -> None:
    """Back up the database at source_url and restore it into the drill cluster, timed."""
    large, url = WORK / "large.cpbak", _url(RESTORE_PORT, "careplus_large")
    drill.figures["large_backup_seconds"] = _seconds(lambda: _manage(source_url, "backup", str(large)))
    _sql(RESTORE_PORT, "CREATE DATABASE careplus_large", "postgres")
    drill.figures["large_rto_seconds"] = _seconds(lambda: _manage(url, "restore", str(large)))
    drill.figures["large_cases"] = _cases(RESTORE_PORT, "careplus_large")
    drill.figures["large_audit"] = _manage(url, "verify_audit").strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--more", type=int, default=100, help="cases written before and after T")
    parser.add_argument("--rto-from", default="", help="also back up and restore this database, timed")
    parser.add_argument("--keep", action="store_true", help="leave the clusters running for inspection")
    args = parser.parse_args()
    source, archive = _prepare()
    restored = WORK / "restored"
    drill = Drill(archive)
    try:
        at_t, target, cases_at_t, final, dump = _source(drill, source, args.cases, args.more)
        _point_in_time(drill, restored, target, at_t, cases_at_t)
        _restore(drill, dump, final)
        if args.rto_from:
            _large(drill, args.rto_from)
    finally:
        if not args.keep:
            _stop_cluster(restored)
            _stop_cluster(source)
            shutil.rmtree(WORK, ignore_errors=True)
    width = max(len(name) for name in drill.figures)
    for name, value in drill.figures.items():
        print(f"{name:<{width}}  {value}")
    for failure in drill.failures:
        print(f"FAILED: {failure}")
    return 1 if drill.failures else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
