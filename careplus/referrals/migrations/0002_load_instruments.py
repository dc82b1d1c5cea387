"""Load the screening indicators and the eligibility parameters as versioned data."""

import json
from pathlib import Path

from django.db import migrations

FOLDER = Path(__file__).resolve().parent.parent / "instruments"
INSTRUMENTS = [
    ("ilo_indicators", "2009-1", "ILO/EC operational indicators of trafficking (2009)", "ilo_indicators_2009.json"),
    ("eligibility", "2018-1", "CARE+ eligibility parameters", "eligibility_2018.json"),
]


def load(apps, schema_editor):
    Instrument = apps.get_model("core", "Instrument")
    for kind, version, label, filename in INSTRUMENTS:
        data = json.loads((FOLDER / filename).read_text(encoding="utf-8"))
        Instrument.objects.update_or_create(
            kind=kind, version=version, defaults={"label": label, "data": data, "active": True}
        )


def unload(apps, schema_editor):
    Instrument = apps.get_model("core", "Instrument")
    for kind, version, _label, _filename in INSTRUMENTS:
        Instrument.objects.filter(kind=kind, version=version).delete()


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_referrals"), ("core", "0003_instrument")]
    operations = [migrations.RunPython(load, unload)]
