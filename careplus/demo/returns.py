"""The two demo beneficiaries of 2018 returned (Nepal, Cameroon) and in reintegration."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from careplus.accounts.models import User
from careplus.cases import services as case_services
from careplus.cases.models import Case, LegalSituation, NeedsAssessment, RiskAssessment, SkillsAssessment
from careplus.demo.accounts import ensure_demo_allowed
from careplus.returns import services
from careplus.returns.models import Visit

D = datetime.date
JOURNEYS: dict[str, dict[str, Any]] = {  # by office code: dates, items and answers, read by key
    "NPL": {
        "departure": D(2018, 4, 10),
        "arrival": D(2018, 4, 11),
        "reconfirmed": D(2018, 4, 5),
        "visit": D(2018, 5, 14),
        "items": [
            ("iga", "Atelier de couture", Decimal("850.00")),
            ("psychosocial", "Suivi psychologique", Decimal("300.00")),
        ],
    },
    "CMR": {
        "departure": D(2018, 5, 22),
        "arrival": D(2018, 5, 22),
        "reconfirmed": D(2018, 5, 18),
        "visit": D(2018, 6, 25),
        "items": [
            ("vocational", "Formation en coiffure", Decimal("600.00")),
            ("housing", "Loyer de trois mois", Decimal("450.00")),
        ],
    },
}
ANSWERS = {
    "eco_satisfaction": "satisfied",
    "eco_working": "yes",
    "soc_housing_access": "good",
    "psy_network": "yes",
    "psy_distress": "sometimes",
    "psy_safety": "often",
}


@transaction.atomic
def seed_returns() -> int:
    """Take the accepted demo cases through pre-departure, return, first visit and delivered assistance."""
    ensure_demo_allowed()
    coordinator = User.objects.get(email="coordination@demo.careplus.test")
    returned = 0
    for code, journey in JOURNEYS.items():
        case = Case.objects.select_related("data_key").filter(office__code=code, status="open").first()
        if case is None:
            continue
        values = {
            "ratings": {"re_trafficking": "medium"},
            "overall": "medium",
            "mitigation": "Contact régulier, hébergement sûr",
        }
        case_services.section_save(
            actor=coordinator, case=case, model=RiskAssessment, values=values, expected_version=None, label="r"
        )
        case_services.section_save(
            actor=coordinator,
            case=case,
            model=NeedsAssessment,
            values={"priorities": {"employment": "high", "psychosocial": "medium"}, "notes": ""},
            expected_version=None,
            label="n",
        )
        case_services.section_save(
            actor=coordinator,
            case=case,
            model=SkillsAssessment,
            expected_version=None,
            label="s",
            values={
                "education": "Collège",
                "languages": "Langue nationale, français",
                "work_experience": "Commerce",
                "skills": "Couture",
                "motivation": "Forte",
                "preferred_path": "iga",
                "constraints": "",
            },
        )
        case_services.section_save(
            actor=coordinator,
            case=case,
            model=LegalSituation,
            expected_version=None,
            label="l",
            values={
                "identified_by_authority": True,
                "residence_permit": "granted",
                "complaint_filed": True,
                "ofii_file": "ARV fictif",
                "ofii_level": "level_3",
                "proceedings": "",
                "reflection_period_ends_on": None,
                "next_hearing_on": None,
            },
        )
        case_services.opportunity_add(
            actor=coordinator,
            case=case,
            kind="iga",
            description="Projet vérifié par le bureau",
            verified_on=journey["departure"] - datetime.timedelta(days=20),
        )
        case_services.consent_record(
            actor=coordinator,
            case=case,
            scope="share_return_office",
            given_on=journey["departure"] - datetime.timedelta(days=30),
        )
        version = Case.objects.get(pk=case.pk).version
        case_services.case_plan_save(
            actor=coordinator,
            case=case,
            expected_version=version,
            planned_departure_on=journey["departure"],
            safe_contact={"channel": "téléphone", "alias": "Amie"},
        )
        for target in ("pre_departure", "ready_to_depart"):
            case = case_services.case_transition(
                actor=coordinator, case=case, target=target, expected_version=Case.objects.get(pk=case.pk).version
            )
        services.departure_save(
            actor=coordinator,
            case=case,
            expected_version=None,
            values={
                "actual_departure_on": journey["departure"],
                "arrival_on": journey["arrival"],
                "wish_reconfirmed_on": journey["reconfirmed"],
                "airport": "Paris-CDG",
                "fit_to_travel": True,
            },
        )
        case = case_services.case_transition(
            actor=coordinator, case=case, target="returned", expected_version=Case.objects.get(pk=case.pk).version
        )
        case = Case.objects.select_related("data_key").get(pk=case.pk)
        services.arrival_item_add(
            actor=coordinator,
            case=case,
            kind="airport_reception",
            details="Agent du bureau",
            planned_on=journey["arrival"],
        )
        for category, description, amount in journey["items"]:
            item = services.plan_item_add(
                actor=coordinator,
                case=case,
                description=description,
                category=category,
                provider="Prestataire fictif",
                delivery_mode="in_kind",
                planned_amount=amount,
            )
            item = services.plan_item_approve(actor=coordinator, item=item, expected_version=item.version)
            services.plan_item_deliver(actor=coordinator, item=item, actual_cost=amount, delivered_on=journey["visit"])
        visit = Visit.objects.filter(case=case).order_by("planned_on").first()
        if visit is not None:
            visit.case = case
            services.visit_record(
                actor=coordinator,
                visit=visit,
                done_on=journey["visit"],
                mode="phone",
                progress="Activité démarrée",
                notes="",
                answers=ANSWERS,
            )
        returned += 1
    return returned
