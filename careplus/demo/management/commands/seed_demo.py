"""Load the fictional demo data and print the demo logins."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.test import override_settings

from careplus.demo import accounts as demo
from careplus.demo.programmes import seed_programme
from careplus.demo.referrals import seed_referrals
from careplus.demo.returns import seed_returns
from careplus.demo.trainings import seed_trainings


class Command(BaseCommand):
    help = "Load fictional demo data (refused in production) and print the demo logins."

    def handle(self, *args: object, **options: object) -> None:
        users = demo.seed_accounts()
        programme = seed_programme()
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            created = seed_referrals(programme)  # no notification e-mails for demo decisions
        trained = seed_trainings(programme)
        seed_returns()
        self.stdout.write(
            f"Demo programme: {programme.name}; referrals created: {created}; professionals trained: {trained}."
        )
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for spec in users:
            self.stdout.write(f"  {spec.role.value:<12} {spec.email}")
        self.stdout.write("Second factor: run `.venv/bin/python manage.py demo_otp EMAIL` for the current code.")
