"""Verify the whole audit chain and name the first broken event."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from careplus.audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the hash chain of the audit log; exit 1 and name the first broken event if any."

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        verdict = verify_chain()
        elapsed = time.perf_counter() - started
        if not verdict.ok:
            raise CommandError(
                f"Audit chain BROKEN at event #{verdict.first_broken}: {verdict.reason} "
                f"({verdict.checked} events verified before it)."
            )
        rate = verdict.checked / elapsed if elapsed else 0.0
        self.stdout.write(
            f"Audit chain OK: {verdict.checked} events verified in {elapsed:.3f} s ({rate:,.0f} events/s)."
        )
