"""Re-wrap every data key under the current master key."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from careplus.accounts import totp
from careplus.ops.keys import rotate_data_keys


class Command(BaseCommand):
    help = (
        "Re-wrap every data key under the current (first) master key of CAREPLUS_MASTER_KEYS. "
        "Afterwards the older master keys can be removed from the configuration."
    )

    def handle(self, *args: object, **options: object) -> None:
        rotated, total = rotate_data_keys()
        self.stdout.write(f"{rotated} of {total} data keys re-wrapped under the current master key.")
        sealed = totp.reseal_all()
        self.stdout.write(f"{sealed} authenticator seeds sealed again under the current master key.")
