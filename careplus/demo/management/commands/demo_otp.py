"""Print the current second-factor code of a demo user."""

from __future__ import annotations

from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careplus.demo import accounts as demo


class Command(BaseCommand):
    help = "Print the current authenticator code of a demo user (refused in production)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.stdout.write(demo.current_code(options["email"]))
        except TOTPDevice.DoesNotExist as missing:
            raise CommandError("No demo user with an authenticator has this e-mail.") from missing
