"""The performance bench: one command, one table, one JSON file (product.md, Performance).

    .venv/bin/python -m bench.run [--cases 100000] [--repeat 20]

Builds the synthetic database once (`generate_synthetic`; SQLite under var/bench/, or the
database of DATABASE_URL) and reuses it afterwards. Every page is requested through the whole
middleware stack with Django's test client (server time, no network). Each figure is printed
with its ratio to a floor measured in the same run, in turn with it (one request of each, round
after round), so that both meet the same moments of noise:

- pages: the trivial view, an empty page in the application's layout for the same signed-in
  user (`/banc/page-vide/`, bench settings only), through the same middleware stack; the bare
  health check (`/sante/`, no template) is measured too and its ratio kept in the JSON;
- dashboard: hand-written SQL computing the same figures (bench/floors.py); the coordinator's
  empty page is timed in the same rounds, and `dashboard_own_work` (no target) is the dashboard
  less that empty page, to the SQL;
- exports: a bare CSV file write of the same number of rows;
- the full audit check: no floor. It verifies each segment between two stored checkpoints with
  the one seal made when the segment was verified event by event (`AuditSegmentSeal`), and the
  events after the last checkpoint one by one; `hmac_one_core`, event seals computed in one
  process with nothing read, is the ceiling of that event-by-event part and shows how fast the
  machine was during the run.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Issue 24's targets (tighter than product.md's 3x, 2x and 200,000 events/s, which they imply).
TARGETS: dict[str, dict[str, float]] = {
    "case_list": {"p95_ms": 50, "floor_ratio": 2},
    "case_detail": {"p95_ms": 50, "floor_ratio": 2},
    "case_history": {"p95_ms": 50, "floor_ratio": 2},
    "task_list": {"p95_ms": 50, "floor_ratio": 2},
    "dashboard": {"p95_ms": 500, "floor_ratio": 1.5},
    "dataset_export": {"rows_per_s": 50_000},
    "verify_audit": {"events_per_s": 500_000},
    # The routine check verifies only the events after the last stored checkpoint: under a second.
    "verify_audit_routine": {"max_seconds": 1},
}


def _setup(cases: int) -> None:
    if not os.environ.get("DATABASE_URL"):
        work = ROOT / "var" / "bench"
        work.mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{work / f'synthetic-{cases}.sqlite3'}"
        os.environ.setdefault("CAREPLUS_VAR_DIR", str(work / "var"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.bench")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    _create_postgres_database()


def _create_postgres_database() -> None:
    """Create the PostgreSQL database named by DATABASE_URL when it does not exist yet."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    import psycopg
    from psycopg import sql

    params = connection.get_connection_params()
    name = params.pop("dbname")
    with psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _timed(call: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _index in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return times, result


def _stats(name: str, times: list[float], queries: int, peak: float, **extra: Any) -> dict[str, Any]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "benchmark": name,
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(p95, 2),
        "queries": queries,
        "peak_mb": round(peak, 2),
        **extra,
    }


def _profile(call: Callable[[], Any]) -> tuple[int, float]:
    """Warm the caches (templates, translations, database pages), then count the queries and the peak memory."""
    from django.db import connection

    call()
    count = [0]

    def counting(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        count[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counting):
        call()
    tracemalloc.start()
    call()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return count[0], peak / 1e6


def _measure(name: str, call: Callable[[], Any], repeat: int, **extra: Any) -> dict[str, Any]:
    queries, peak = _profile(call)
    times, _result = _timed(call, repeat)
    return _stats(name, times, queries, peak, **extra)


def _measure_together(calls: dict[str, Callable[[], Any]], rounds: int) -> dict[str, dict[str, Any]]:
    """Time the calls in turn, round after round, so that a figure and its floor share the machine's
    moments of noise (2 cores, other processes) instead of being measured minutes apart."""
    profiles = {name: _profile(call) for name, call in calls.items()}
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _round in range(rounds):
        for name, call in calls.items():
            started = time.perf_counter()
            call()
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: _stats(name, times[name], *profiles[name]) for name in calls}


def _client_for(email: str) -> Any:
    from careplus.accounts.models import User
    from drills.common import verified_client

    return verified_client(User.objects.get(email=email))


def _long_history_case() -> Any:
    """A returned case of the Kathmandu office given a long history (2,000 timeline events)."""
    from careplus.cases.models import Case, CaseEvent

    case = Case.objects.filter(office__code="SKTM", status="returned").order_by("reference").first()
    if case is None:
        raise SystemExit("No returned case in the synthetic data; generate more cases.")
    missing = 2000 - CaseEvent.objects.filter(case=case).count()
    if missing > 0:
        CaseEvent.objects.bulk_create(
            [CaseEvent(case=case, kind="section_saved", params={"label": "Visite"}) for _i in range(missing)]
        )
    return case


def _stream_rows(response: Any) -> tuple[int, int]:
    rows = size = 0
    for chunk in response.streaming_content:
        rows += chunk.count(b"\n")
        size += len(chunk)
    return rows, size


def _file_floor(rows: int, width: int) -> float:
    """Seconds to write the same number of CSV rows of the same width to a file."""
    import csv

    line = ["x" * max(1, width - 1)]
    with tempfile.TemporaryFile("w", newline="") as handle:
        writer = csv.writer(handle)
        started = time.perf_counter()
        for _index in range(rows):
            writer.writerow(line)
        handle.flush()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    _setup(args.cases)

    from django.core.management import call_command
    from django.db import connection

    from careplus.audit.models import AuditEvent
    from careplus.cases.models import Case
    from careplus.programmes.models import Programme
    from careplus.returns.models import Visit

    call_command("migrate", verbosity=0)
    existing = Case.objects.filter(reference__startswith="SYN-").count()
    if existing < args.cases:
        print(f"Generating {args.cases - existing} synthetic cases (once; reused afterwards)...", flush=True)
        call_command("generate_synthetic", cases=args.cases - existing, verbosity=0)
    # Planner statistics, as a maintained database has them: autovacuum after a bulk load on
    # PostgreSQL (with the visibility map), `PRAGMA optimize` on SQLite (docs/deploy.md).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    programme = Programme.objects.get(name="Programme synthétique")
    results = _pages(args.repeat) + _reports(programme, args.repeat) + _verify()
    _judge(results)
    summary = {
        "engine": connection.vendor,
        "cases": Case.objects.count(),
        "visits": Visit.objects.count(),
        "audit_events": AuditEvent.objects.count(),
        "disk_mb": _disk_mb(),
        "results": results,
    }
    _print(summary)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"bench-{connection.vendor}.json").write_text(json.dumps(summary, indent=2, default=str))


def _get(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return response


def _pages(repeat: int) -> list[dict[str, Any]]:
    caseworker = _client_for("sktm@synthetique.test")
    case = _long_history_case()
    pages = {
        "health_check": "/sante/",
        "trivial_view": "/banc/page-vide/",
        "case_list": "/dossiers/?status=returned&page=40",
        "case_detail": f"/dossiers/{case.pk}/",
        "case_history": f"/dossiers/{case.pk}/?onglet=historique",
        "task_list": "/",
    }
    rows = _measure_together(
        {name: functools.partial(_get, caseworker, url) for name, url in pages.items()}, rounds=repeat * 5
    )
    bare, trivial = rows["health_check"], rows["trivial_view"]
    for name in ("case_list", "case_detail", "case_history", "task_list"):
        row = rows[name]
        row["floor"] = "trivial_view"
        row["ratio_to_floor"] = round(row["p95_ms"] / trivial["p95_ms"], 2)
        row["ratio_to_health_check"] = round(row["p95_ms"] / bare["p95_ms"], 2)
    return list(rows.values())


def _reports(programme: Any, repeat: int) -> list[dict[str, Any]]:
    from django.db import connection

    from bench import floors
    from careplus.reporting import periods

    coordinator = _client_for("coordination@synthetique.test")
    period = periods.resolve(programme, "all")
    together = _measure_together(
        {
            "dashboard_sql_floor": lambda: floors.dashboard_sql(connection, programme, period),
            "dashboard": lambda: _get(coordinator, f"/tableau-de-bord/?programme={programme.pk}"),
            "coordinator_empty_page": lambda: _get(coordinator, "/banc/page-vide/"),
        },
        rounds=repeat * 5,  # as many as the pages': the p95 of 40 rounds was their third slowest
    )
    sql_floor, dashboard, empty = (
        together[name] for name in ("dashboard_sql_floor", "dashboard", "coordinator_empty_page")
    )
    dashboard["floor"] = "dashboard_sql_floor"
    dashboard["ratio_to_floor"] = round(dashboard["p95_ms"] / sql_floor["p95_ms"], 2)
    # No target: the dashboard less what every page of the coordinator's costs (the middleware and
    # the layout, the empty page), to its SQL. It shows the page's own work against the SQL it runs.
    own = {
        "benchmark": "dashboard_own_work",
        "median_ms": round(dashboard["median_ms"] - empty["median_ms"], 2),
        "p95_ms": round(dashboard["p95_ms"] - empty["p95_ms"], 2),
        "floor": "dashboard_sql_floor",
        "ratio_to_floor": round((dashboard["p95_ms"] - empty["p95_ms"]) / sql_floor["p95_ms"], 2),
    }
    # For comparison only: the same figures recomputed from the source rows (what the rollups save).
    from careplus.reporting import figures

    unrolled = _measure("figures_from_source", lambda: figures.compute(programme, period, from_rollups=False), 3)
    xlsx = _measure(
        "donor_xlsx", lambda: _get(coordinator, f"/tableau-de-bord/rapport.xlsx?programme={programme.pk}"), 3
    )

    def export() -> tuple[int, int]:
        url = f"/tableau-de-bord/donnees-anonymisees.csv?programme={programme.pk}"
        return _stream_rows(_get(coordinator, url))

    times, (rows, size) = _timed(export, 3)
    tracemalloc.start()
    export()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    floor_seconds = _file_floor(rows, size // max(rows, 1))
    row = _stats("dataset_export", times, 0, peak / 1e6, rows=rows, rows_per_s=round(rows / (min(times) / 1000)))
    row["floor"] = "bare_file_write"
    row["floor_rows_per_s"] = round(rows / floor_seconds)
    row["ratio_to_floor"] = round(row["floor_rows_per_s"] / row["rows_per_s"], 2)
    return [sql_floor, dashboard, empty, own, unrolled, xlsx, row]


def _verify() -> list[dict[str, Any]]:
    """The full check (one process per core) and the routine one (from the last stored checkpoint).

    The full check runs twice and the quicker is kept, as the export keeps its quickest of three:
    its first run may read the audit log's pages from the disk, which a virtual machine may have
    dropped from its cache (one here shrank it from 5.5 GB to 1.9 GB in fifteen minutes with 22 GB
    free): both times are in the JSON."""
    from careplus.audit.services import verify_chain

    def checked(name: str, routine: bool) -> Any:
        verdict = verify_chain(since_last_checkpoint=routine)
        if not verdict.ok:  # every run
            raise SystemExit(f"{name}: the audit chain does not verify: {verdict.reason}")
        return verdict

    rows = []
    for name, routine, runs in (("verify_audit", False, 2), ("verify_audit_routine", True, 1)):
        times, verdict = _timed(functools.partial(checked, name, routine), runs)
        seconds = min(times) / 1000
        rows.append(
            {
                "benchmark": name,
                "events": verdict.verified,
                "ok": verdict.ok,
                "seconds": round(seconds, 3),
                "runs_seconds": [round(run / 1000, 3) for run in times],
                "median_ms": round(seconds * 1000, 1),
                "events_per_s": round(verdict.verified / seconds),
            }
        )
    return [*rows, _append(), _hmac_one_core()]


def _append(count: int = 2000) -> dict[str, Any]:
    """Audit events appended one transaction each, as requests do: every server queues on the head's
    row lock, so this rate bounds the audited requests per second of the whole deployment."""
    from careplus.audit.services import record_event

    started = time.perf_counter()
    for index in range(count):
        record_event(action="view", object_type="bench.append", object_id=str(index), actor=None)
    seconds = time.perf_counter() - started
    return {
        "benchmark": "audit_append",
        "events": count,
        "seconds": round(seconds, 3),
        "median_ms": round(seconds * 1000 / count, 3),
        "events_per_s": round(count / seconds),
    }


def _hmac_one_core(count: int = 200_000) -> dict[str, Any]:
    """The machine's own ceiling for a check event by event: seals of event-sized messages (240
    bytes, as the bench's events) computed in one process, nothing read. The full check verifies
    the sealed segments with one seal each, and only the rest event by event."""
    from careplus.audit import chain

    seal = chain.Sealer(b"k" * 32).hexdigest
    message = b"m" * 240

    def seals() -> None:
        for _index in range(count):
            seal(message)

    times, _result = _timed(seals, 3)
    rate = count / (statistics.median(times) / 1000)
    return {"benchmark": "hmac_one_core", "events": count, "events_per_s": round(rate)}


def _disk_mb() -> float:
    """The database's size on disk: the SQLite file with its journal, or PostgreSQL's database."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            (size,) = cursor.fetchone() or (0,)
    else:
        name = Path(str(connection.settings_dict["NAME"]))
        size = sum(path.stat().st_size for path in name.parent.glob(name.name + "*"))
    return round(int(size) / 1e6, 1)


def _judge(results: list[dict[str, Any]]) -> None:
    for row in results:
        target = TARGETS.get(row["benchmark"], {})
        met = []
        if "p95_ms" in target:
            met.append(row["p95_ms"] < target["p95_ms"])
        if "floor_ratio" in target:
            met.append(row.get("ratio_to_floor", 0) <= target["floor_ratio"])
        if "rows_per_s" in target:
            met.append(row["rows_per_s"] >= target["rows_per_s"])
        if "events_per_s" in target:
            met.append(row["events_per_s"] >= target["events_per_s"])
        if "max_seconds" in target:
            met.append(row["seconds"] <= target["max_seconds"])
        row["target"] = target
        row["meets_target"] = all(met) if met else None


def _print(summary: dict[str, Any]) -> None:
    print(
        f"\n{summary['engine']}: {summary['cases']:,} cases, {summary['visits']:,} visits, "
        f"{summary['audit_events']:,} audit events, {summary['disk_mb']:,} MB on disk"
    )
    header = f"{'benchmark':<22}{'median ms':>10}{'p95 ms':>9}{'queries':>8}{'peak MB':>9}{'rate/s':>10}"
    print(header + f"{'floor':>22}{'ratio':>7}  target")
    for row in summary["results"]:
        rate = row.get("rows_per_s") or row.get("events_per_s") or ""
        if row["benchmark"] == "verify_audit_routine":
            rate = f"{row['events']:,} ev"
        met = {True: "met", False: "NOT met", None: ""}[row.get("meets_target")]
        print(
            f"{row['benchmark']:<22}{row.get('median_ms', ''):>10}{row.get('p95_ms', ''):>9}"
            f"{row.get('queries', ''):>8}{row.get('peak_mb', ''):>9}{rate!s:>10}"
            f"{row.get('floor', ''):>22}{row.get('ratio_to_floor', '')!s:>7}  {met}"
        )


if __name__ == "__main__":
    main()
