"""Recompute the files' name indexes under the new normalisation (issue 20, point 5).

See `_name_keys.py`. Backwards, the indexes are computed again as the previous code computes them.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

from careplus.cases.migrations._name_keys import reindex, reindex_before


def forwards(apps: Any, schema_editor: Any) -> None:
    reindex(apps, "cases", "Case")


def backwards(apps: Any, schema_editor: Any) -> None:
    reindex_before(apps, "cases", "Case")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0010_list_order_indexes_cover_count"),
        ("core", "0001_data_keys"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
