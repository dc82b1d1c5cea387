"""Shared set-up of the drills: a throw-away database (or DATABASE_URL) and signed-in clients."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def setup_django(database_url: str = "") -> str:
    """Point Django at `database_url` (default: a new SQLite file), migrate, return the URL."""
    if not database_url:
        database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        work = Path(tempfile.mkdtemp(prefix="careplus-drill-"))
        database_url = f"sqlite:///{work / 'drill.sqlite3'}"
        os.environ.setdefault("CAREPLUS_VAR_DIR", str(work / "var"))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    logging.getLogger("django.request").setLevel(logging.ERROR)  # expected 4xx answers are not news
    return database_url


def verified_client(user: Any) -> Any:
    """A test client with a session that passed both factors."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from django.test import Client

    device, _created = TOTPDevice.objects.get_or_create(user=user, name="drill", defaults={"confirmed": True})
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client
