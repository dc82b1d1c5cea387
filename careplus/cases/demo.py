"""Fictional demo case files: the two beneficiaries of the 2018 programme (Nepal, Cameroon)."""

from __future__ import annotations

import datetime

from django.db import transaction

from careplus.accounts.demo import ensure_demo_allowed
from careplus.accounts.models import Office
from careplus.cases import services
from careplus.cases.models import Case

DEMO_CASES = [
    ("Maya", "Tamang", datetime.date(1994, 7, 2), "f", "NP", "NPL", datetime.date(2018, 2, 12)),
    ("Clarisse", "Ngono", datetime.date(1989, 11, 23), "f", "CM", "CMR", datetime.date(2018, 3, 5)),
]


@transaction.atomic
def seed_cases() -> int:
    """Open the demo case files once; return how many were created."""
    ensure_demo_allowed()
    if Case.objects.exists():
        return 0
    for given, family, born, sex, country, office_code, opened in DEMO_CASES:
        services.case_open(
            actor=None,
            given_names=given,
            family_name=family,
            date_of_birth=born,
            sex=sex,
            nationality=country,
            country_of_return=country,
            office=Office.objects.get(code=office_code),
            opened_on=opened,
            safe_contact={"channel": "phone", "times": "9h-12h", "alias": "Amie"},
        )
    return len(DEMO_CASES)
