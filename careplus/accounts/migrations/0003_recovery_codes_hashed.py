"""Store recovery codes as keyed hashes instead of in clear (issue 19, point 7).

Every existing code is replaced by its digest in place, so the codes people already hold keep
working once and only once. The digest is the one of `accounts.services.recovery_code_digest`,
copied here so that a later change to the live code cannot change what this migration wrote.

Backwards, the clear codes cannot be recovered: the reverse step does nothing, and after a
rollback people sign in with their authenticator and generate new recovery codes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.db import migrations

_PURPOSE = b"careplus.recovery-code.v1"


def _digest(code: str) -> str:
    normalised = "".join(code.split()).replace("-", "").lower()
    key: str = settings.CAREPLUS_INDEX_KEY
    mac = hmac.new(key.encode(), _PURPOSE + b"\x1f" + normalised.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:12]).decode("ascii")


def hash_clear_codes(apps: Any, schema_editor: Any) -> None:
    """Replace every stored code (all are in clear before this migration) by its digest."""
    static_token = apps.get_model("otp_static", "StaticToken")
    tokens = static_token.objects.using(schema_editor.connection.alias)
    rows = list(tokens.values_list("pk", "token"))  # read first: no update under an open cursor
    for pk, token in rows:
        tokens.filter(pk=pk).update(token=_digest(token))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_api_tokens"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [
        migrations.RunPython(hash_clear_codes, migrations.RunPython.noop, elidable=False),
    ]
