"""Benchmark: dashboard figures and the streamed anonymised export over N synthetic cases.

Targets (product.md): dashboard under 500 ms; export at least 20,000 rows/s in constant memory.
Run with `make bench` or `.venv/bin/python -m bench.reports [N]`; prints a table, writes JSON.
"""

from __future__ import annotations

import datetime
import json
import os
import random
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path


def main(count: int) -> list[dict[str, object]]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    os.environ.setdefault("CAREPLUS_VAR_DIR", tempfile.mkdtemp(prefix="careplus-bench-"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from careplus.cases.models import Case
    from careplus.core.models import DataKey
    from careplus.programmes.models import Programme
    from careplus.reporting import anonymise, figures, periods

    call_command("migrate", verbosity=0)
    programme, _created = Programme.objects.get_or_create(
        name="Programme synthétique",
        defaults={
            "funder": "Fictif",
            "starts_on": datetime.date(2017, 1, 1),
            "ends_on": datetime.date(2026, 12, 31),
            "target_beneficiaries": count,
            "target_trainings": 10,
        },
    )
    if not Case.objects.filter(programme=programme).exists():
        key = DataKey.generate()
        rng = random.Random(7)
        with transaction.atomic():
            batch = []
            for index in range(count):
                batch.append(
                    Case(
                        id=uuid.uuid4(),
                        reference=f"SYN-{index:07d}",
                        data_key=key,
                        programme=programme,
                        status=rng.choice(["open", "pre_departure", "returned", "closed"]),
                        sex=rng.choice("fmu"),
                        nationality=rng.choice(["NP", "CM", "TN", "NG", "VN", "MA"]),
                        country_of_return="NP",
                        birth_year=rng.randint(1960, 2008),
                        is_minor=rng.random() < 0.1,
                        opened_on=datetime.date(rng.randint(2017, 2025), rng.randint(1, 12), 1),
                    )
                )
                if len(batch) == 5000:
                    Case.objects.bulk_create(batch)
                    batch = []
            Case.objects.bulk_create(batch)
    period = periods.resolve(programme, "all")
    results = []
    started = time.perf_counter()
    figures.compute(programme, period)
    dashboard = time.perf_counter() - started
    results.append(
        {
            "benchmark": "dashboard",
            "engine": connection.vendor,
            "cases": count,
            "seconds": round(dashboard, 3),
            "target_seconds": 0.5,
            "ratio_to_target": round(dashboard / 0.5, 2),
        }
    )
    tracemalloc.start()
    started = time.perf_counter()
    summary, rows = anonymise.export_rows(programme, 11)
    exported = sum(1 for _row in rows)
    seconds = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rate = exported / seconds if seconds else 0.0
    results.append(
        {
            "benchmark": "dataset_export",
            "engine": connection.vendor,
            "cases": count,
            "rows": exported,
            "suppressed": summary.suppressed,
            "seconds": round(seconds, 3),
            "rows_per_second": round(rate),
            "target_rows_per_second": 20000,
            "ratio_to_target": round(rate / 20000, 2),
            "peak_memory_mb": round(peak / 1e6, 1),
        }
    )
    print(f"{'benchmark':<16}{'cases':>9}{'seconds':>10}{'rate (rows/s)':>15}{'target':>10}{'ratio':>8}{'peak MB':>9}")
    for r in results:
        rate_text = f"{r.get('rows_per_second', '')}"
        target = r.get("target_rows_per_second", r.get("target_seconds"))
        print(
            f"{r['benchmark']:<16}{r['cases']:>9}{r['seconds']:>10}{rate_text:>15}{target!s:>10}{r['ratio_to_target']:>8}"
            f"{r.get('peak_memory_mb', ''):>9}"
        )
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"reports-{connection.vendor}.json").write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
