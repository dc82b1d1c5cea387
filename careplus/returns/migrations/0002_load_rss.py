"""Load the reintegration sustainability questionnaire as versioned data."""

import json
from pathlib import Path

from django.db import migrations

FILE = Path(__file__).resolve().parent.parent / "instruments" / "rss_2017.json"


def load(apps, schema_editor):
    Instrument = apps.get_model("core", "Instrument")
    data = json.loads(FILE.read_text(encoding="utf-8"))
    Instrument.objects.update_or_create(
        kind="rss", version="2017-provisional",
        defaults={"label": "IOM Reintegration Sustainability Survey (unweighted, provisional)", "data": data, "active": True},
    )


def unload(apps, schema_editor):
    apps.get_model("core", "Instrument").objects.filter(kind="rss", version="2017-provisional").delete()


class Migration(migrations.Migration):
    dependencies = [("returns", "0001_returns"), ("core", "0003_instrument")]
    operations = [migrations.RunPython(load, unload)]
