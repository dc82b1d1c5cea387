"""Fill the database with fictional case files at scale (for benchmarks and load tests)."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from careplus.cases.models import Case
from careplus.demo import synthetic


class Command(BaseCommand):
    help = "Create N fictional case files with referrals, visits, plan items and a valid audit chain."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, required=True, help="Number of case files to create.")
        parser.add_argument("--seed", type=int, default=2017, help="Random seed (same seed, same data).")
        parser.add_argument(
            "--report", action="store_true", help="Also print the database's disk use before and after."
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=len(os.sched_getaffinity(0)),  # the cores this process may use, as the audit check counts them
            help="Processes building and encrypting batches side by side (default: one per core; 1 builds here).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["cases"] < 1 or options["workers"] < 1:
            self.stderr.write("--cases and --workers must be at least 1.")
            raise SystemExit(2)
        before = synthetic.disk_use() if options["report"] else 0
        report = synthetic.generate(
            cases=options["cases"], seed=options["seed"], progress=self.stdout.write, workers=options["workers"]
        )
        self.stdout.write(
            f"Created {report.cases} cases, {report.referrals} referrals, {report.visits} visits, "
            f"{report.plan_items} plan items and {report.audit_events} audit events in {report.seconds} s "
            f"({report.cases / max(report.seconds, 0.1):.0f} cases/s)."
        )
        self.stdout.write(
            "Phases: "
            + ", ".join(f"{name} {seconds} s" for name, seconds in report.phases.items())
            + f" (build and convert summed over {options['workers']} process(es))."
        )
        if options["report"]:
            after = synthetic.disk_use()
            per_thousand = (after - before) / report.cases * 1000
            self.stdout.write(
                f"Disk use: {after / 1e6:.1f} MB for {Case.objects.count()} cases "
                f"({(after - before) / 1e6:.1f} MB added, {per_thousand / 1e6:.1f} MB per 1,000 cases)."
            )
