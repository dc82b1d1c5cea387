"""Send each user a digest of their tasks (meant for cron; safe to run twice a day)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from careplus.returns.services import send_reminders


class Command(BaseCommand):
    help = "E-mail each user one digest of overdue and upcoming tasks per day."

    def handle(self, *args: object, **options: object) -> None:
        sent = send_reminders()
        self.stdout.write(f"{sent} reminder digest(s) sent.")
