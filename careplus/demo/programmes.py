"""The fictional demo programmes: CARE+ 2017-2019 with its published targets, and a current one.

The 2017-2019 programme carries the seeds' figures; the current one covers today, so that a new user
can take a referral through to acceptance (a programme whose period is over no longer takes any).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.utils import timezone

from careplus.demo.accounts import ensure_demo_allowed
from careplus.programmes.models import Programme, ReferenceRate

DEMO_PROGRAMME = "CARE+ 2017-2019"


def seed_programme() -> Programme:
    """Create or refresh the demo programme (2017-2019) and a current programme; return the former."""
    ensure_demo_allowed()
    seed_current_programme()
    seed_reference_rates()
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


def seed_current_programme(today: datetime.date | None = None) -> Programme:
    """Create or refresh a programme running from this year to the end of the next one."""
    ensure_demo_allowed()
    year = (today or timezone.localdate()).year
    programme, _created = Programme.objects.update_or_create(
        name=f"CARE+ {year}-{year + 1}",
        defaults={
            "funder": "Fonds Asile, Migration et Intégration (FAMI)",
            "co_funders": "OFII ; Ministère de l'Europe et des Affaires étrangères",
            "starts_on": datetime.date(year, 1, 1),
            "ends_on": datetime.date(year + 1, 12, 31),
            "target_beneficiaries": 20,
            "target_trainings": 6,
            "target_professionals": 120,
            "budget": Decimal("300000.00"),
            "ceiling_per_beneficiary": Decimal("2000.00"),
        },
    )
    return programme


# Fictional rates (local units for 1 EUR), labelled as such, so that a new user can record a plan
# item paid in the demo offices' currencies; XAF has its legal parity in code.
DEMO_RATES = {"NPR": Decimal("125.000000"), "TND": Decimal("3.300000")}


def seed_reference_rates() -> None:
    """Create or refresh the demo reference rates, valid for every programme from 2017 on."""
    ensure_demo_allowed()
    for currency, rate in DEMO_RATES.items():
        ReferenceRate.objects.update_or_create(
            programme=None,
            currency=currency,
            valid_from=datetime.date(2017, 1, 1),
            defaults={"rate": rate, "source": "Taux fictif de démonstration"},
        )
