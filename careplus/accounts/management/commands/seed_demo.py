"""Load the fictional demo data and print the demo logins."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from careplus.accounts import demo
from careplus.cases.demo import seed_cases


class Command(BaseCommand):
    help = "Load fictional demo data (refused in production) and print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        users = demo.seed_accounts()
        created = seed_cases()
        self.stdout.write(f"Demo case files created: {created}.")
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for spec in users:
            self.stdout.write(f"  {spec.role.value:<12} {spec.email}")
        self.stdout.write(
            "Second factor: run `.venv/bin/python manage.py demo_otp EMAIL` for the current code."
        )
