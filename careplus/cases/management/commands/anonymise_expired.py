"""Anonymise the case files whose retention period has run (cron, daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careplus.cases import retention
from careplus.core.errors import RuleViolation


class Command(BaseCommand):
    help = (
        "Erase the closed (and withdrawn) case files older than CAREPLUS_RETENTION_DAYS: their data "
        "key is destroyed, the figures stay. Files with a hearing ahead are kept."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list what would be anonymised, change nothing")
        parser.add_argument("--days", type=int, default=None, help="retention period (default: the setting)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            run = retention.anonymise_expired(days=options["days"], dry_run=options["dry_run"])
        except RuleViolation as refused:
            raise CommandError(str(refused)) from refused
        verb = "would be anonymised" if options["dry_run"] else "anonymised"
        self.stdout.write(
            f"Files closed before {run.cutoff:%d/%m/%Y}: {len(run.anonymised)} {verb}, "
            f"{len(run.kept_for_proceedings)} kept (proceedings pending)."
        )
        for reference in run.anonymised:
            self.stdout.write(f"  {verb}: {reference}")
        for reference in run.kept_for_proceedings:
            self.stdout.write(f"  kept: {reference}")
