"""Verify the whole audit chain and name the first broken event."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careplus.audit.chain import Checkpoint, CheckpointError
from careplus.audit.services import verify_chain
from careplus.core.backup import MAGIC, BackupError, read_header


def read_checkpoint(path: Path) -> Checkpoint:
    """The checkpoint inside a backup file's header, or the last one written in a text file.

    A text file is the `.checkpoint` file written beside a backup, or an application log whose
    `audit checkpoint {...}` lines the backup command writes.
    """
    try:
        with path.open("rb") as handle:
            is_backup = handle.read(len(MAGIC)) == MAGIC
        if is_backup:
            header, _raw, _offset = read_header(path)
            return Checkpoint.from_dict(header.get("audit_checkpoint"))
        return Checkpoint.parse(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, BackupError, CheckpointError) as error:
        raise CommandError(f"Cannot read an audit checkpoint from {path}: {error}.") from error


class Command(BaseCommand):
    help = (
        "Verify the hash chain of the audit log, its sealed head and its stored checkpoints; exit 1 "
        "and name the first broken event if any. The whole chain by default (side by side in one "
        "process per core for a long chain); with --since-last-checkpoint, only the events after the "
        "last stored checkpoint (the routine check). With --checkpoint (a backup file, the .checkpoint "
        "file beside it, or the application log), also fail if the chain no longer reaches that "
        "checkpoint (wiped or cut)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--checkpoint",
            action="append",
            type=Path,
            default=[],
            metavar="FILE",
            help="Backup file, its .checkpoint file, or a log holding 'audit checkpoint' lines (repeatable).",
        )
        parser.add_argument(
            "--since-last-checkpoint",
            action="store_true",
            help="Verify the stored checkpoints, then only the events after the last one (the routine check).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Processes for a full check (default: one per core for 200,000 events or more).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoints = [read_checkpoint(path) for path in options["checkpoint"]]
        started = time.perf_counter()
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError("--workers must be 1 or more.")
        verdict = verify_chain(
            checkpoints=checkpoints,
            since_last_checkpoint=options["since_last_checkpoint"],
            workers=options["workers"],
        )
        elapsed = time.perf_counter() - started
        if not verdict.ok:
            where = "" if verdict.first_broken is None else f" at event #{verdict.first_broken}"
            raise CommandError(
                f"Audit chain BROKEN{where}: {verdict.reason} ({max(verdict.verified, 0)} events verified before it)."
            )
        rate = verdict.verified / elapsed if elapsed else 0.0
        reached = f", reaching {len(checkpoints)} checkpoint(s)" if checkpoints else ""
        since = f" after the stored checkpoint #{verdict.start}" if verdict.start else ""
        self.stdout.write(
            f"Audit chain OK: {verdict.verified} events verified{since} in {elapsed:.3f} s ({rate:,.0f} events/s), "
            f"{verdict.checked} in the chain{reached}."
        )
