"""Recompute the rollups of the dashboard from their source rows, or check them."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from careplus.reporting import rollups


class Command(BaseCommand):
    help = (
        "Recompute the dashboard's rollups (cases, visits, delivered assistance) from their source rows; "
        "with --check, only compare and exit 1 if any differs."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="compare without changing anything")

    def handle(self, *args: object, **options: object) -> None:
        if not options["check"]:
            with transaction.atomic():
                rollups.rebuild(connection)
        differences = rollups.differences(connection)
        report = ", ".join(f"{table}: {count} key(s) differ" for table, count in differences.items())
        if any(differences.values()):
            raise CommandError(f"Rollups out of step with their source rows ({report}).")
        verb = "checked" if options["check"] else "rebuilt"
        self.stdout.write(f"Rollups {verb}: in step with their source rows.")
