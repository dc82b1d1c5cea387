"""Register of processing (GDPR art. 30, issue 21 point 5), generated from the system."""

from __future__ import annotations

from typing import Any

import pytest

from django.test import override_settings
from django.urls import reverse
from django.utils import translation

from careplus.access.roles import Role
from careplus.audit.models import AuditEvent
from careplus.privacy import register
from tests import factories

pytestmark = pytest.mark.django_db


def test_i21_p05_categories_come_from_the_encrypted_fields() -> None:
    with translation.override("en"):
        labels = {c.title: c.fields for c in register.data_categories()}
    joined = " ".join(" ".join(fields) for fields in labels.values())
    # Encrypted fields of the case file, the referral and the follow-up are all there; codes in clear are not.
    assert "given names" in joined
    assert "safety concerns" in joined
    assert "progress on the plan" in joined
    every_label = {name for fields in labels.values() for name in fields}
    assert "reference" not in every_label
    assert "status" not in every_label
    assert "sex" not in every_label


def test_i21_p05_facts_follow_the_settings_and_the_records() -> None:
    factories.make_office("DKR", country="SN")
    argon2 = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    with override_settings(CAREPLUS_RETENTION_DAYS=1000, PASSWORD_HASHERS=argon2), translation.override("en"):
        built = register.build_register()
    retention = " ".join(f.value for f in built.retention)
    assert "1000" in retention
    offices = {f.label: f.value for f in built.offices}
    assert "Senegal" in " ".join(offices.values())
    measures = " ".join(f"{f.label} {f.value}" for f in built.measures)
    assert "AES-256-GCM" in measures
    assert "Argon2" in measures
    assert "6 failed sign-ins" in measures
    assert [title for title, _text in built.purposes] == [
        "Referral",
        "Case management",
        "Reintegration",
        "Follow-up",
        "Training",
        "Reporting",
    ]


@pytest.mark.parametrize("role", [Role.DPO, Role.COORDINATOR, Role.AUDITOR])
def test_i21_p05_register_page_and_pdf_for_its_readers(role: Role, signed_in: Any) -> None:
    user = factories.make_user(role)
    client = signed_in(user)
    page = client.get(reverse("privacy:register"))
    assert page.status_code == 200
    assert "AES-256-GCM" in page.content.decode()
    pdf = client.get(reverse("privacy:register_pdf"))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="view", object_type="privacy.register", actor_id=str(user.pk)).exists()
    assert AuditEvent.objects.filter(action="export", object_type="privacy.register", actor_id=str(user.pk)).exists()


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.PARTNER, Role.TRAINER])
def test_i21_p05_register_is_refused_to_others_and_the_refusal_audited(role: Role, signed_in: Any) -> None:
    user = factories.make_user(role)
    response = signed_in(user).get(reverse("privacy:register_pdf"))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="export", object_type="privacy.register").exists()
    assert AuditEvent.objects.filter(action="denied", actor_id=str(user.pk), outcome="denied").exists()
