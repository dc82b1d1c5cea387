"""First installation: create the first data protection officer (and optionally a coordinator).

No Python shell is needed: run `manage.py setup` once after `migrate`. The accounts are created
through the same services as the user screens (audited, with the system as actor) and receive
the same invitation e-mail: a single-use link to choose a password; the second factor is set up
at the first sign-in.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from careplus.accounts.choices import Language
from careplus.accounts.services import FirstInstallation, first_installation
from careplus.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "First installation: create the first data protection officer and, optionally, the first "
        "coordinator, and send them their invitations. Refused once a data protection officer exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dpo-email", help="E-mail address of the data protection officer.")
        parser.add_argument("--dpo-name", help="Full name of the data protection officer.")
        parser.add_argument(
            "--dpo-language", choices=Language.values, default=None, help="Language of the DPO's account (fr, en)."
        )
        parser.add_argument("--coordinator-email", help="E-mail address of the first coordinator (optional).")
        parser.add_argument("--coordinator-name", help="Full name of the first coordinator.")
        parser.add_argument(
            "--coordinator-language", choices=Language.values, default=None, help="Language of the coordinator."
        )
        parser.add_argument(
            "--no-input", action="store_true", help="Never prompt: every value comes from the arguments."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interactive = not options["no_input"]
        dpo_email = options["dpo_email"] or self._ask(interactive, "DPO e-mail address", required=True)
        dpo_name = options["dpo_name"] or self._ask(interactive, "DPO full name", required=True)
        dpo_language = options["dpo_language"] or self._ask_language(interactive, "DPO language")
        coordinator_email = options["coordinator_email"]
        if coordinator_email is None and interactive and not options["coordinator_name"]:
            coordinator_email = self._ask(interactive, "First coordinator e-mail address (empty: none)")
        coordinator_name = options["coordinator_name"]
        coordinator_language = options["coordinator_language"]
        if coordinator_email:
            coordinator_name = coordinator_name or self._ask(interactive, "Coordinator full name", required=True)
            coordinator_language = coordinator_language or self._ask_language(interactive, "Coordinator language")
        elif coordinator_name:
            raise CommandError("--coordinator-name needs --coordinator-email.")
        try:
            done = first_installation(
                FirstInstallation(
                    dpo_email=dpo_email,
                    dpo_name=dpo_name,
                    dpo_language=dpo_language,
                    coordinator_email=coordinator_email or "",
                    coordinator_name=coordinator_name or "",
                    coordinator_language=coordinator_language or Language.FRENCH,
                )
            )
        except DomainError as error:
            raise CommandError(_("Nothing was created: %(reason)s") % {"reason": error.message}) from error
        for user, role in done:
            self.stdout.write(f"Created {role}: {user.email}; an invitation to choose a password was sent.")
        self.stdout.write(
            "Each person follows the link in the e-mail, chooses a password, then sets up the second factor "
            "(authenticator app) at the first sign-in. The e-mails leave with `manage.py send_mail_queue` (cron, "
            "docs/deploy.md §5)."
        )

    def _ask(self, interactive: bool, label: str, *, required: bool = False) -> str:
        if not interactive:
            if required:
                raise CommandError(f"{label} is required with --no-input.")
            return ""
        while True:
            value = input(f"{label}: ").strip()
            if value or not required:
                return value
            self.stderr.write(f"{label} is required.")

    def _ask_language(self, interactive: bool, label: str) -> str:
        if not interactive:
            return str(Language.FRENCH)
        value = input(f"{label} ({'/'.join(Language.values)}) [fr]: ").strip().lower() or Language.FRENCH
        if value not in Language.values:
            raise CommandError(f"{label}: choose one of {', '.join(Language.values)}.")
        return str(value)
