"""Fictional demo offices, organisations and one user per role (never in production)."""

from __future__ import annotations

from dataclasses import dataclass

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from careplus.access.roles import Role
from careplus.accounts.choices import OfficeKind, OrganisationType
from careplus.accounts.models import Office, Organisation, RoleGrant, User
from careplus.accounts.services import TOTP_DEVICE_NAME

DEMO_PASSWORD = "Demo-Passe-2026!"

OFFICES = [
    ("PAR", "Bureau de coordination de Paris", "FR", OfficeKind.COORDINATING, "Europe/Paris"),
    ("ROU", "Bureau de Bucarest", "RO", OfficeKind.RETURN_COUNTRY, "Europe/Bucharest"),
    ("TUN", "Bureau de Tunis", "TN", OfficeKind.RETURN_COUNTRY, "Africa/Tunis"),
    ("NPL", "Bureau de Katmandou", "NP", OfficeKind.RETURN_COUNTRY, "Asia/Kathmandu"),
    ("CMR", "Bureau de Yaoundé", "CM", OfficeKind.RETURN_COUNTRY, "Africa/Douala"),
]

ORGANISATIONS = [
    ("OFII — Direction territoriale de Lyon", OrganisationType.OFII),
    ("Aide sociale à l'enfance du Rhône", OrganisationType.CHILD_WELFARE),
    ("Association Passerelle Accueil (fictive)", OrganisationType.NGO),
    ("Commissariat de police de Bordeaux-Centre", OrganisationType.POLICE),
    ("Brigade de gendarmerie de Villefranche", OrganisationType.GENDARMERIE),
    ("Inspection du travail de la Gironde", OrganisationType.LABOUR_INSPECTION),
    ("Tribunal judiciaire de Lyon", OrganisationType.COURT),
]


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    role: Role
    office_code: str | None = None
    organisation: str | None = None


DEMO_USERS = [
    DemoUser("coordination@demo.careplus.test", "Claire Martin", Role.COORDINATOR),
    DemoUser("agent.nepal@demo.careplus.test", "Sita Gurung", Role.CASEWORKER, office_code="NPL"),
    DemoUser("agent.cameroun@demo.careplus.test", "Paul Mbarga", Role.CASEWORKER, office_code="CMR"),
    DemoUser(
        "partenaire.ofii@demo.careplus.test",
        "Julien Perrin",
        Role.PARTNER,
        organisation="OFII — Direction territoriale de Lyon",
    ),
    DemoUser("formation@demo.careplus.test", "Nadia Benali", Role.TRAINER),
    DemoUser("audit@demo.careplus.test", "Marc Dupont", Role.AUDITOR),
    DemoUser("dpo@demo.careplus.test", "Hélène Roux", Role.DPO),
]


def ensure_demo_allowed() -> None:
    """Refuse to touch demo data unless the settings allow it (never in production)."""
    if not getattr(settings, "CAREPLUS_DEMO_ALLOWED", False):
        raise ImproperlyConfigured("Demo data is disabled in these settings.")


@transaction.atomic
def seed_accounts() -> list[DemoUser]:
    """Create or refresh the demo offices, organisations and users."""
    ensure_demo_allowed()
    offices = {}
    for code, name, country, kind, tz in OFFICES:
        offices[code], _created = Office.objects.update_or_create(
            code=code, defaults={"name": name, "country": country, "kind": kind, "time_zone": tz}
        )
    organisations = {}
    for name, org_type in ORGANISATIONS:
        organisations[name], _created = Organisation.objects.update_or_create(name=name, defaults={"type": org_type})
    for spec in DEMO_USERS:
        user = User.objects.filter(email=spec.email).first()
        if user is None:
            user = User.objects.create_user(email=spec.email, password=DEMO_PASSWORD, full_name=spec.full_name)
        office = offices[spec.office_code] if spec.office_code else None
        organisation = organisations[spec.organisation] if spec.organisation else None
        RoleGrant.objects.get_or_create(
            user=user,
            role=spec.role,
            office=office,
            organisation=organisation,
            revoked_at=None,
        )
        if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)
    return DEMO_USERS


def current_code(email: str) -> str:
    """Return the current authenticator code of a demo user."""
    ensure_demo_allowed()
    device = TOTPDevice.objects.get(user__email=email.strip().lower(), confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"
