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
        "Verify the hash chain of the audit log and its sealed head; exit 1 and name the first broken "
        "event if any. With --checkpoint (a backup file, the .checkpoint file beside it, or the "
        "application log), also fail if the chain no longer reaches that checkpoint (wiped or cut)."
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

    def handle(self, *args: Any, **options: Any) -> None:
        checkpoints = [read_checkpoint(path) for path in options["checkpoint"]]
        started = time.perf_counter()
        verdict = verify_chain(checkpoints=checkpoints)
        elapsed = time.perf_counter() - started
        if not verdict.ok:
            where = "" if verdict.first_broken is None else f" at event #{verdict.first_broken}"
            raise CommandError(
                f"Audit chain BROKEN{where}: {verdict.reason} ({verdict.checked} events verified before it)."
            )
        rate = verdict.checked / elapsed if elapsed else 0.0
        reached = f", reaching {len(checkpoints)} checkpoint(s)" if checkpoints else ""
        self.stdout.write(
            f"Audit chain OK: {verdict.checked} events verified in {elapsed:.3f} s ({rate:,.0f} events/s){reached}."
        )
