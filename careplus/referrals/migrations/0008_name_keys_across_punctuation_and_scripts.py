"""Recompute the referrals' name indexes under the new normalisation (issue 20, point 5).

See `careplus/cases/migrations/_name_keys.py`. Backwards, the indexes are computed again as the
previous code computes them.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from careplus.cases.migrations._name_keys import reindex, reindex_before


def forwards(apps: Any, schema_editor: Any) -> None:
    reindex(apps, "referrals", "Referral")


def backwards(apps: Any, schema_editor: Any) -> None:
    reindex_before(apps, "referrals", "Referral")


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0007_encrypt_free_text"),
        ("cases", "0011_name_keys_across_punctuation_and_scripts"),
        ("core", "0001_data_keys"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
