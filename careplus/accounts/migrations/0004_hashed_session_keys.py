"""Store the SHA-256 of each session key instead of the key (issue 19, point 15).

Existing sessions are hashed in place, so people stay signed in: their cookie still carries
the key, and the session is now found by its digest. The digest is the one of
`accounts.sessions.session_digest`, copied here so that later changes to it cannot change what
this migration wrote. Backwards, the keys cannot be recovered: the reverse step ends every
session (everyone signs in again).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import migrations, models


def _digest(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


def hash_session_keys(apps: Any, schema_editor: Any) -> None:
    session_model = apps.get_model("accounts", "UserSession")
    keys = list(session_model.objects.values_list("session_key", flat=True))
    for key in keys:
        if len(key) == 64 and all(ch in "0123456789abcdef" for ch in key):
            continue  # already a digest
        session_model.objects.filter(session_key=key).update(session_key=_digest(key))


def end_every_session(apps: Any, schema_editor: Any) -> None:
    apps.get_model("accounts", "UserSession").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_recovery_codes_hashed"),
    ]

    operations = [
        migrations.AlterField(
            model_name="usersession",
            name="session_key",
            field=models.CharField(max_length=64, primary_key=True, serialize=False, verbose_name="session key digest"),
        ),
        migrations.RunPython(hash_session_keys, end_every_session),
    ]
