"""Restore an encrypted backup into the configured, empty database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from careplus.audit.choices import AuditAction
from careplus.audit.services import record_event
from careplus.core.backup import BackupError, default_settings, restore_backup


class Command(BaseCommand):
    help = "Restore a backup written by `manage.py backup` into the configured empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("backup", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["backup"]
        if not path.is_file():
            raise CommandError(f"No backup file at {path}.")
        settings_dict = dict(default_settings())
        connection.close()
        try:
            header = restore_backup(path, settings_dict=settings_dict)
        except BackupError as error:
            raise CommandError(str(error)) from error
        record_event(action=AuditAction.RESTORE, object_type="database", object_id=path.name, actor=None)
        self.stdout.write(f"Backup of {header['created']} restored ({header['size']} bytes, checksum verified).")
