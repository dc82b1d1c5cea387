"""Seal the audit log's segments left without a seal, so that the full check verifies them at one MAC each."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from careplus.audit.services import seal_unsealed_segments


class Command(BaseCommand):
    help = (
        "Seal each segment of the audit chain between two stored checkpoints that has no seal yet "
        "(written before the seals existed, or by a server still running older code), once its "
        "events verify one by one. A segment whose events do not verify is left unsealed: "
        "verify_audit names its first broken event."
    )

    def handle(self, *args: object, **options: object) -> None:
        sealed, left = seal_unsealed_segments()
        self.stdout.write(f"Audit segments sealed: {sealed}; left unsealed (verified event by event): {left}.")
