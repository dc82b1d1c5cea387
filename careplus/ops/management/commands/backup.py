"""Write an encrypted, checksummed snapshot of the database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careplus.audit.choices import AuditAction
from careplus.audit.services import checkpoint, record_event
from careplus.core.backup import BackupError, write_backup, write_checkpoint_file


class Command(BaseCommand):
    help = "Write an encrypted snapshot of the database (SQLite online backup, or pg_dump)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", type=Path, help="File to write, e.g. var/backups/careplus.bak")

    def handle(self, *args: Any, **options: Any) -> None:
        output: Path = options["output"]
        output.parent.mkdir(parents=True, exist_ok=True)
        record_event(action=AuditAction.BACKUP, object_type="database", object_id=output.name, actor=None)
        # The audit chain's signed head, anchored outside the database (logged, in the header, beside).
        mark = checkpoint()
        try:
            header = write_backup(output, audit_checkpoint=mark.as_dict())
            beside = write_checkpoint_file(output, mark.to_json())
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Backup written to {output} ({header['engine']}, {header['size']} bytes, "
            f"sha256 {header['sha256'][:16]}…, master key {header['master_key_id']}); "
            f"audit checkpoint #{mark.seq} in {beside.name}."
        )
