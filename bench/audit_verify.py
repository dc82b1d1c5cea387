"""Benchmark: audit chain verification rate (target: at least 200,000 events/s).

Run with `make bench` (or `.venv/bin/python -m bench.audit_verify [N]`). It builds a throw-away
SQLite database (or uses DATABASE_URL), writes N chained events, then times `verify_chain`.
Prints a table and writes JSON to bench/results/ so runs can be compared.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

TARGET_RATE = 200_000


def main(count: int) -> dict[str, object]:
    work = tempfile.mkdtemp(prefix="careplus-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("CAREPLUS_VAR_DIR", work)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from careplus.audit import chain
    from careplus.audit.models import AuditEvent, AuditHead
    from careplus.audit.services import verify_chain

    call_command("migrate", verbosity=0)
    key = chain.audit_key()
    prev = AuditHead.objects.get(pk=1).hash
    start_seq = AuditHead.objects.get(pk=1).seq
    base_ts = time.time_ns() // 1000
    started = time.perf_counter()
    batch: list[AuditEvent] = []
    with transaction.atomic():
        for index in range(1, count + 1):
            seq = start_seq + index
            ts = base_ts + index
            label = f"user{index % 50}@example.test"
            ident = f"{index:032x}"
            values: list[object] = [seq, ts, "", label, "caseworker", "view", "cases.case", ident]
            values += ["", "127.0.0.1", ident, "success", prev]
            digest = chain.seal(values, key)
            event = AuditEvent(seq=seq, ts=ts, actor_label=label, roles="caseworker", action="view")
            event.object_type, event.object_id, event.ip = "cases.case", ident, "127.0.0.1"
            event.request_id, event.outcome, event.prev_hash, event.hash = (
                ident,
                "success",
                prev,
                digest,
            )
            batch.append(event)
            prev = digest
            if len(batch) == 5000:
                AuditEvent.objects.bulk_create(batch)
                batch = []
        AuditEvent.objects.bulk_create(batch)
        AuditHead.objects.filter(pk=1).update(seq=start_seq + count, hash=prev)
    write_seconds = time.perf_counter() - started

    runs = []
    for _run in range(3):
        started = time.perf_counter()
        verdict = verify_chain()
        runs.append(time.perf_counter() - started)
        assert verdict.ok, verdict
    best = min(runs)
    rate = verdict.checked / best
    result = {
        "benchmark": "audit_verify",
        "engine": connection.vendor,
        "events": verdict.checked,
        "seconds_best_of_3": round(best, 4),
        "events_per_second": round(rate),
        "target_events_per_second": TARGET_RATE,
        "ratio_to_target": round(rate / TARGET_RATE, 2),
        "write_seconds": round(write_seconds, 2),
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print(f"{'benchmark':<16}{'engine':<12}{'events':>10}{'seconds':>10}{'events/s':>14}{'target':>10}{'ratio':>8}")
    print(
        f"{'audit_verify':<16}{connection.vendor:<12}{verdict.checked:>10}{best:>10.3f}{rate:>14,.0f}"
        f"{TARGET_RATE:>10,}{rate / TARGET_RATE:>8.2f}"
    )
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"audit_verify-{connection.vendor}.json").write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500_000)
