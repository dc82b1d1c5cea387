"""Test data built through the services, with fictional people only."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from typing import Any

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.test import Client

from careplus.access.roles import Role
from careplus.accounts import services
from careplus.accounts.choices import OfficeKind, OrganisationType
from careplus.accounts.models import Office, Organisation, User
from careplus.cases import services as case_services
from careplus.cases.models import Case, Consent
from careplus.programmes.choices import PlanCategory
from careplus.programmes.models import Programme
from careplus.referrals import services as referral_services
from careplus.referrals.models import Referral
from careplus.returns.choices import DeliveryMode
from careplus.returns.models import PlanItem

PASSWORD = "Correct-Horse-Battery-42"
_counter = itertools.count(1)


def make_office(code: str = "", *, kind: str = OfficeKind.RETURN_COUNTRY, country: str = "NP") -> Office:
    code = code or f"O{next(_counter):03d}"
    return Office.objects.create(code=code, name=f"Bureau {code}", country=country, kind=kind)


def shared_office() -> Office:
    """Return the office used when a test needs one common office."""
    office, _created = Office.objects.get_or_create(
        code="SHR",
        defaults={"name": "Bureau partagé", "country": "NP", "kind": OfficeKind.RETURN_COUNTRY},
    )
    return office


def shared_organisation() -> Organisation:
    """Return the organisation used when a test needs one common referrer."""
    organisation, _created = Organisation.objects.get_or_create(
        name="Organisation partagée", defaults={"type": OrganisationType.NGO}
    )
    return organisation


def make_organisation(name: str = "", *, org_type: str = OrganisationType.NGO) -> Organisation:
    name = name or f"Organisation {next(_counter)}"
    return Organisation.objects.create(name=name, type=org_type)


def make_user(
    role: Role | None = None,
    *,
    email: str = "",
    office: Office | None = None,
    organisation: Organisation | None = None,
    with_totp: bool = True,
) -> User:
    """Create an active user with a password, an authenticator and optionally a role."""
    email = email or f"user{next(_counter)}@example.test"
    user = User.objects.create_user(email=email, password=PASSWORD, full_name="Alex Test")
    if role is not None:
        if role == Role.CASEWORKER and office is None:
            office = make_office()
        if role == Role.PARTNER and organisation is None:
            organisation = make_organisation()
        services.role_grant_system(user=user, role=role, office=office, organisation=organisation)
    if with_totp:
        TOTPDevice.objects.create(user=user, name=services.TOTP_DEVICE_NAME, confirmed=True)
    return user


def users_of_every_kind(home: Office, other: Office, named: User) -> list[User]:
    """`named` (a caseworker of `home`), another caseworker of `home`, one of `other`, a
    coordinator, a partner and the data protection officer: every kind of reader of a file."""
    return [
        named,
        make_user(Role.CASEWORKER, office=home),
        make_user(Role.CASEWORKER, office=other),
        make_user(Role.COORDINATOR),
        make_user(Role.PARTNER),
        make_user(Role.DPO),
    ]


def totp_code(user: User, *, offset_steps: int = 0) -> str:
    """Return the authenticator code of the user's device, optionally steps away from now."""
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in(client: Client, user: User, *, verified: bool = True) -> None:
    """Open a session for the user, with the second factor verified or not."""
    client.force_login(user)
    if verified:
        device = TOTPDevice.objects.get(user=user, confirmed=True)
        session: Any = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


CANARY = "CANARY-7f3e9b1c"


def make_case(
    *,
    office: Office | None = None,
    family_name: str = "Gurung",
    given_names: str = "Sita",
    date_of_birth: datetime.date | None = datetime.date(1995, 3, 14),
    sex: str = "f",
    country: str = "NP",
    shared: bool = True,
    is_minor: bool = False,
) -> Case:
    """Open a case through the service, with fictional personal data.

    With `shared`, the person's consent to share with the return office is recorded, so the
    office's caseworkers see the case.
    """
    case = case_services.case_open(
        actor=None,
        given_names=given_names,
        family_name=family_name,
        date_of_birth=date_of_birth,
        sex=sex,
        nationality=country,
        country_of_return=country,
        office=office,
        safe_contact={"channel": "phone", "alias": "Maya"},
        is_minor=is_minor,
    )
    if shared:
        Consent.objects.create(
            case=case, scope="share_return_office", given_on=datetime.date(2018, 4, 2), recorded_by=system_user()
        )
    return case


def system_user() -> User:
    """A coordinator used as the author of records set up by tests."""
    user = User.objects.filter(email="setup@example.test").first()
    return user or make_user(Role.COORDINATOR, email="setup@example.test")


def make_programme(**overrides: Any) -> Programme:
    values: dict[str, Any] = {
        "name": f"Programme {next(_counter)}",
        "funder": "Fonds fictif",
        "starts_on": datetime.date(2017, 11, 1),
        "ends_on": datetime.date(2030, 12, 31),
        "target_beneficiaries": 15,
        "target_trainings": 5,
    }
    values.update(overrides)
    return Programme.objects.create(**values)


def person_data(**overrides: Any) -> dict[str, Any]:
    """Fictional person data of a referral, as the form's cleaned data gives it."""
    person: dict[str, Any] = {
        "referrer_name": "Capitaine Durand, brigade de protection",
        "referrer_contact": "referent@example.test",
        "given_names": "Leila",
        "family_name": "Haddad",
        "date_of_birth": datetime.date(1995, 5, 4),
        "estimated_age": None,
        "sex": "f",
        "nationality": "TN",
        "languages": "arabe, français",
        "city": "Lyon",
        "departement": "69",
        "identification_status": "identified",
        "identified_by": "police",
        "forms_of_exploitation": ["domestic_servitude"],
        "wishes_voluntary_return": True,
        "country_of_return": "TN",
        "guardian_name": "",
        "guardian_contact": "",
        "safety_concerns": "",
        "consent_referral": True,
        "consent_data_processing": True,
        "consent_date": datetime.date(2018, 4, 2),
    }
    person.update(overrides)
    return person


def make_referral(
    *,
    actor: User | None = None,
    organisation: Organisation | None = None,
    programme: Programme | None = None,
    received_on: datetime.date = datetime.date(2018, 4, 3),
    confirm_duplicate: bool = True,
    **person: Any,
) -> Referral:
    """Submit a referral through the service."""
    organisation = organisation or make_organisation()
    actor = actor or make_user(Role.PARTNER, organisation=organisation)
    return referral_services.referral_submit(
        actor=actor,
        programme=programme or Programme.objects.first() or make_programme(),
        organisation=organisation,
        channel="portal",
        received_on=received_on,
        person=person_data(**person),
        confirm_duplicate=confirm_duplicate,
    )


def make_returned_case(*, office: Office | None = None, arrival_on: datetime.date | None = None) -> Case:
    """A case that has returned (arrival recorded), with its follow-up plan of four visits."""
    from careplus.cases.models import Case as CaseModel
    from careplus.returns.models import Departure

    coordinator = system_user()
    case = make_case(office=office or make_office())
    arrival = arrival_on or datetime.date(2018, 5, 20)
    departure = Departure(
        case=case,
        updated_by=coordinator,
        actual_departure_on=arrival,
        arrival_on=arrival,
        wish_reconfirmed_on=arrival,
        wish_reconfirmed_by=coordinator,
    )
    departure.save()
    CaseModel.objects.filter(pk=case.pk).update(status="returned")
    case_services.followup_plan_create(actor=coordinator, case=case)
    return CaseModel.objects.select_related("data_key", "office").get(pk=case.pk)


def make_plan_item(case: Case, *, status: str = "planned") -> PlanItem:
    """An item of the case's reintegration plan: a sewing course in kind, 1,634.39 EUR."""
    return PlanItem.objects.create(
        case=case,
        category=PlanCategory.VOCATIONAL,
        description="Formation couture",
        provider="Atelier",
        delivery_mode=DeliveryMode.IN_KIND,
        planned_amount=Decimal("1634.39"),
        status=status,
    )


def make_training(**overrides: Any) -> Any:
    """A held training session of the current (or a new) programme."""
    from careplus.trainings.models import TrainingSession

    values: dict[str, Any] = {
        "programme": Programme.objects.first() or make_programme(),
        "title": "Identification et orientation des victimes de la traite",
        "city": "Bordeaux",
        "venue": "Salle fictive",
        "held_on": datetime.date(2018, 6, 5),
        "status": "held",
        "capacity": 30,
        "modules": ["I", "II", "III"],
        "created_by": system_user(),
    }
    values.update(overrides)
    return TrainingSession.objects.create(**values)


def add_participant(
    session: Any,
    *,
    email: str = "",
    present: bool | None = None,
    pre: int | None = None,
    post: int | None = None,
    organisation_type: str = "gendarmerie",
) -> Any:
    """Register a fictional professional for a session."""
    from careplus.trainings.models import Participation, Professional

    email = email or f"pro{next(_counter)}@example.test"
    professional, _created = Professional.objects.get_or_create(
        email=email,
        defaults={
            "full_name": "Camille Exemple",
            "organisation": "Brigade fictive",
            "organisation_type": organisation_type,
        },
    )
    return Participation.objects.create(
        session=session,
        professional=professional,
        registered_via="manual",
        present=present,
        pre_score=pre,
        post_score=post,
    )
