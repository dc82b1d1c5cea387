"""Six fictional referrals of the first half of 2018; two accepted (Nepal, Cameroon)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction

from careplus.accounts.models import Organisation, User
from careplus.demo.accounts import ensure_demo_allowed
from careplus.programmes.models import Programme
from careplus.referrals import services
from careplus.referrals.choices import DecisionOutcome
from careplus.referrals.models import Referral


def _person(
    names: tuple[str, str],
    born: datetime.date,
    sex: str,
    place: tuple[str, str, str],
    exploitation: list[str],
    **extra: Any,
) -> dict[str, Any]:  # as the referral form's cleaned values
    """Build a fictional person: names (given, family), place (country code, town, département)."""
    (given, family), (country, city, dep) = names, place
    person = {
        "referrer_name": "Référent fictif",
        "referrer_contact": "referent@demo.careplus.test",
        "given_names": given,
        "family_name": family,
        "date_of_birth": born,
        "estimated_age": None,
        "sex": sex,
        "nationality": country,
        "languages": "",
        "city": city,
        "departement": dep,
        "identification_status": "identified",
        "identified_by": "police",
        "forms_of_exploitation": exploitation,
        "wishes_voluntary_return": True,
        "country_of_return": country,
        "guardian_name": "",
        "guardian_contact": "",
        "safety_concerns": "",
        "consent_referral": True,
        "consent_data_processing": True,
        "consent_date": datetime.date(2018, 1, 15),
    }
    person.update(extra)
    return person


# received on, person (the form's cleaned values), outcome, the decision's other values
DEMO_REFERRALS: list[tuple[datetime.date, dict[str, Any], str, dict[str, Any]]] = [
    (
        datetime.date(2018, 1, 22),
        _person(
            ("Maya", "Tamang"),
            datetime.date(1994, 7, 2),
            "f",
            ("NP", "Lyon", "69"),
            ["domestic_servitude"],
            languages="népali, anglais",
        ),
        DecisionOutcome.ACCEPT,
        {},
    ),
    (
        datetime.date(2018, 2, 19),
        _person(
            ("Clarisse", "Ngono"),
            datetime.date(1989, 11, 23),
            "f",
            ("CM", "Bordeaux", "33"),
            ["sexual"],
            languages="français",
        ),
        DecisionOutcome.ACCEPT,
        {},
    ),
    (
        datetime.date(2018, 3, 12),
        _person(("Ioana", "Popescu"), datetime.date(1996, 4, 9), "f", ("RO", "Marseille", "13"), ["sexual"]),
        DecisionOutcome.NOT_ELIGIBLE,
        {"reason": "Pays de retour membre de l'UE : orientée vers l'aide au retour de l'OFII."},
    ),
    (
        datetime.date(2018, 4, 3),
        _person(
            ("Samuel", "Okafor"),
            datetime.date(1991, 1, 30),
            "m",
            ("NG", "Paris", "75"),
            ["forced_labour"],
            identification_status="presumed",
            identified_by="ngo",
        ),
        DecisionOutcome.REDIRECT,
        {"redirected_to": "Dispositif national Ac.Sé"},
    ),
    (
        datetime.date(2018, 5, 14),
        _person(("Amina", "Benali"), datetime.date(1993, 8, 17), "f", ("MA", "Nice", "06"), ["domestic_servitude"]),
        DecisionOutcome.WITHDRAW,
        {"reason": "La personne a renoncé au retour."},
    ),
    (
        datetime.date(2018, 6, 20),
        _person(
            ("Thi", "Nguyen"),
            datetime.date(2002, 2, 5),
            "f",
            ("VN", "Lille", "59"),
            ["forced_labour"],
            guardian_name="Administrateur ad hoc fictif",
            guardian_contact="aah@demo.careplus.test",
        ),
        "",
        {},
    ),
]


@transaction.atomic
def seed_referrals(programme: Programme) -> int:
    """Record the demo referrals and decisions once; return how many were created."""
    ensure_demo_allowed()
    if Referral.objects.exists():
        return 0
    partner = User.objects.get(email="partenaire.ofii@demo.careplus.test")
    coordinator = User.objects.get(email="coordination@demo.careplus.test")
    organisation = Organisation.objects.get(name="OFII — Direction territoriale de Lyon")
    for received_on, person, outcome, decision in DEMO_REFERRALS:
        referral = services.referral_submit(
            actor=partner,
            programme=programme,
            organisation=organisation,
            channel="portal",
            received_on=received_on,
            person=person,
        )
        if outcome:
            services.referral_decide(
                actor=coordinator,
                referral=referral,
                outcome=outcome,
                expected_version=referral.version,
                decided_on=received_on + datetime.timedelta(days=10),
                **decision,
            )
    return len(DEMO_REFERRALS)
