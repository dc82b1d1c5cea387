"""Run in a subprocess by test_p13_migration.py against a fresh database (DATABASE_URL).

Migrates to the state before the encryption of free text, writes rows with clear values (one of
them on an erased file), migrates to the end, and prints what the application reads and what
the columns hold, as JSON.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
from decimal import Decimal

import django

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.loader import MigrationLoader  # noqa: E402

CLEAR = {
    "airport": "Aéroport-Canari-Lyon",
    "from_place": "Ville-Canari-Départ",
    "to_place": "Village-Canari-Arrivée",
    "provider": "Atelier-Canari-Couture",
    "missed_reason": "Canari: hospitalisée",
    "languages": "canari, tigrinya",
    "redirected_to": "Foyer-Canari-Secret",
}


def seed() -> dict[str, str]:
    from careplus.core.models import DataKey

    loader = MigrationLoader(connection)
    assert loader.applied_migrations is not None
    apps = loader.project_state(list(loader.applied_migrations)).apps
    user = apps.get_model("accounts", "User").objects.create(email="m@example.test", full_name="M", password="!")
    programme = apps.get_model("programmes", "Programme").objects.create(
        name="P",
        funder="F",
        starts_on=datetime.date(2018, 1, 1),
        ends_on=datetime.date(2020, 12, 31),
        target_beneficiaries=1,
        target_trainings=1,
    )
    organisation = apps.get_model("accounts", "Organisation").objects.create(name="O", type="ngo")
    case_model = apps.get_model("cases", "Case")
    ids: dict[str, str] = {}
    for label in ("live", "erased"):
        key = DataKey.generate()
        case = case_model.objects.create(
            reference=f"C-{label}", data_key_id=key.pk, opened_on=datetime.date(2018, 1, 2)
        )
        departure = apps.get_model("returns", "Departure").objects.create(
            case=case, airport=CLEAR["airport"], updated_by=user
        )
        leg = apps.get_model("returns", "TravelLeg").objects.create(
            case=case, travel_on=datetime.date(2018, 2, 1), from_place=CLEAR["from_place"], to_place=CLEAR["to_place"]
        )
        item = apps.get_model("returns", "PlanItem").objects.create(
            case=case, category="iga", provider=CLEAR["provider"], delivery_mode="in_kind", planned_amount=Decimal(1)
        )
        visit = apps.get_model("returns", "Visit").objects.create(
            case=case, planned_on=datetime.date(2018, 3, 1), status="missed", missed_reason=CLEAR["missed_reason"]
        )
        apps.get_model("returns", "Visit").objects.create(case=case, planned_on=datetime.date(2018, 4, 1))
        referral_key = DataKey.generate()
        referral = apps.get_model("referrals", "Referral").objects.create(
            programme_id=programme.pk,
            reference=f"R-{label}",
            organisation_id=organisation.pk,
            channel="portal",
            received_on=datetime.date(2018, 1, 1),
            data_key_id=referral_key.pk,
            sex="f",
            nationality="NP",
            languages=CLEAR["languages"],
            departement="69",
            identification_status="identified",
            wishes_voluntary_return=True,
            country_of_return="NP",
            consent_referral=True,
            consent_data_processing=True,
            consent_date=datetime.date(2018, 1, 1),
            person_index=label,
        )
        decision = apps.get_model("referrals", "ReferralDecision").objects.create(
            referral=referral, outcome="redirect", redirected_to=CLEAR["redirected_to"], decided_by=user
        )
        if label == "erased":
            DataKey.objects.filter(pk__in=[key.pk, referral_key.pk]).update(wrapped=None)
        ids[label] = json.dumps([str(o.pk) for o in (departure, leg, item, visit, referral, decision)])
    return ids


def main() -> None:
    call_command("migrate", "returns", "0009_planitem_status_order", verbosity=0)
    call_command("migrate", "referrals", "0006_partner_order_covers_programme", verbosity=0)
    ids = seed()
    call_command("migrate", verbosity=0)

    from careplus.referrals.models import Referral, ReferralDecision
    from careplus.returns.models import Departure, PlanItem, TravelLeg, Visit

    read: dict[str, list[str]] = {}
    for label, packed in ids.items():
        dep, leg_id, item_id, visit_id, ref_id, dec_id = json.loads(packed)
        leg = TravelLeg.objects.get(pk=leg_id)
        read[label] = [
            str(Departure.objects.get(pk=dep).airport),
            str(leg.from_place),
            str(leg.to_place),
            str(PlanItem.objects.get(pk=item_id).provider),
            str(Visit.objects.get(pk=visit_id).missed_reason),
            str(Referral.objects.get(pk=ref_id).languages),
            str(ReferralDecision.objects.get(pk=dec_id).redirected_to),
        ]
    empty = [repr(v.missed_reason) for v in Visit.objects.filter(status="planned")]
    columns = [
        ("returns_departure", "airport"),
        ("returns_travelleg", "from_place"),
        ("returns_travelleg", "to_place"),
        ("returns_planitem", "provider"),
        ("returns_visit", "missed_reason"),
        ("referrals_referral", "languages"),
        ("referrals_referraldecision", "redirected_to"),
    ]
    raw = b""
    with connection.cursor() as cursor:
        for table, column in columns:
            cursor.execute(f"SELECT {column} FROM {table}")
            raw += b"|".join(bytes(row[0]) for row in cursor.fetchall() if row[0] is not None)
    triggers = 0
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")
        triggers = cursor.fetchone()[0]
    print(
        json.dumps(
            {
                "read": read,
                "empty": empty,
                "clear_left": [v for v in CLEAR.values() if v.encode() in raw],
                "triggers": triggers,
            }
        )
    )


if __name__ == "__main__":
    main()
