"""The fictional demo programme, with the published targets of CARE+ (2017-2019)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from careplus.accounts.demo import ensure_demo_allowed
from careplus.programmes.models import Programme

DEMO_PROGRAMME = "CARE+ 2017-2019"


def seed_programme() -> Programme:
    """Create or refresh the demo programme."""
    ensure_demo_allowed()
    programme, _created = Programme.objects.update_or_create(
        name=DEMO_PROGRAMME,
        defaults={
            "funder": "Fonds Asile, Migration et Intégration (FAMI)",
            "co_funders": "OFII ; Ministère de l'Europe et des Affaires étrangères",
            "starts_on": datetime.date(2017, 11, 1),
            "ends_on": datetime.date(2019, 4, 30),
            "target_beneficiaries": 15,
            "target_trainings": 5,
            "target_professionals": 100,
            "budget": Decimal("250000.00"),
            "ceiling_per_beneficiary": Decimal("2000.00"),
        },
    )
    return programme
