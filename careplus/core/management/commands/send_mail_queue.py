"""Send the outbox's due e-mails (cron, every minute); retries failures with a growing delay."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from careplus.core.mail import deliver_due, failed_mails


class Command(BaseCommand):
    help = (
        "Send the e-mails waiting in the outbox whose time has come, retrying failed sends after 1, 5 and "
        "30 minutes, 2 and 12 hours. Exits 1 while any e-mail is marked failed (shown to the DPO)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--retry-failed", action="store_true", help="Queue the failed e-mails again first.")
        parser.add_argument("--limit", type=int, default=500, help="At most this many e-mails in one run.")

    def handle(self, *args: Any, **options: Any) -> None:
        sent, not_sent = deliver_due(limit=options["limit"], retry_failed=options["retry_failed"])
        self.stdout.write(f"{sent} e-mail(s) sent, {not_sent} not sent (will be retried).")
        failed = len(failed_mails())
        if failed:
            raise CommandError(f"{failed} e-mail(s) could not be sent after every attempt; see the DPO's home page.")
