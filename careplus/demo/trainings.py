"""The two fictional demo trainings of 2018: Lyon (26 April) and Bordeaux (5 June), 41 professionals."""

from __future__ import annotations

import datetime

from django.db import transaction

from careplus.accounts.models import User
from careplus.demo.accounts import ensure_demo_allowed
from careplus.programmes.models import Programme
from careplus.trainings.models import Participation, Professional, TrainingSession

TYPES = ["ofii", "ase", "gendarmerie", "ngo", "paf", "judiciary", "police", "labour_inspection"]
GIVEN = ["Alix", "Bastien", "Chloé", "David", "Emma", "Fabien", "Gaëlle", "Hugo", "Inès", "Jules", "Karima"]
FAMILY = ["Arnaud", "Barbier", "Caron", "Denis", "Faure", "Girard", "Henry", "Lemoine", "Marchand", "Noël", "Perrin"]
SESSIONS = [("Lyon", datetime.date(2018, 4, 26), 20), ("Bordeaux", datetime.date(2018, 6, 5), 21)]


@transaction.atomic
def seed_trainings(programme: Programme) -> int:
    """Create the two held sessions once; return the number of professionals trained."""
    ensure_demo_allowed()
    if TrainingSession.objects.filter(programme=programme).exists():
        return Professional.objects.count()
    trainer = User.objects.get(email="formation@demo.careplus.test")
    number = 0
    for city, day, count in SESSIONS:
        session = TrainingSession.objects.create(
            programme=programme,
            title="Identification et orientation des victimes de la traite",
            city=city,
            venue="Salle de formation (fictive)",
            held_on=day,
            status="held",
            capacity=25,
            modules=["I", "II", "III"],
            trainers="Équipe de coordination ; experts invités des bureaux de Bucarest et de Tunis",
            created_by=trainer,
        )
        for _index in range(count):
            number += 1
            given, family = GIVEN[number % len(GIVEN)], FAMILY[(number * 7) % len(FAMILY)]
            professional = Professional.objects.create(
                email=f"professionnel{number:02d}@demo.careplus.test",
                full_name=f"{given} {family}",
                organisation=f"Structure fictive {number:02d}",
                organisation_type=TYPES[number % len(TYPES)],
            )
            Participation.objects.create(
                session=session,
                professional=professional,
                registered_via="import",
                present=True,
                pre_score=40 + number % 20,
                post_score=70 + number % 25,
            )
    for city, day in (
        ("Marseille", datetime.date(2018, 9, 20)),
        ("Lille", datetime.date(2018, 11, 15)),
        ("Paris", datetime.date(2019, 2, 7)),
    ):
        TrainingSession.objects.create(
            programme=programme,
            title="Identification et orientation des victimes de la traite",
            city=city,
            venue="Salle de formation (fictive)",
            held_on=day,
            status="planned",
            capacity=25,
            modules=["I", "II", "III"],
            created_by=trainer,
        )
    return number
