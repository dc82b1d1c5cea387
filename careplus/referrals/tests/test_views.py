"""Referral pages: who sees what, bad input, partner status view."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from typing import Any

import pytest

from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.referrals.models import Referral
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def form_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "referrer_name": "Capitaine Durand",
        "referrer_contact": "durand@example.test",
        "given_names": "Leila",
        "family_name": "Haddad",
        "date_of_birth": "1995-05-04",
        "estimated_age": "",
        "sex": "f",
        "nationality": "TN",
        "languages": "arabe",
        "city": "Lyon",
        "departement": "69",
        "identification_status": "identified",
        "identified_by": "police",
        "forms_of_exploitation": ["domestic_servitude"],
        "wishes_voluntary_return": "yes",
        "country_of_return": "TN",
        "consent_referral": "on",
        "consent_data_processing": "on",
        "consent_date": "2018-04-02",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def partner_a(db: None) -> User:
    factories.make_programme()
    return factories.make_user(Role.PARTNER, organisation=factories.make_organisation("Association A"))


def test_partner_submits_and_sees_only_the_status(partner_a: User, signed_in: SignedIn) -> None:
    client = signed_in(partner_a)
    response = client.post(reverse("referrals:referral_create"), form_data())
    referral = Referral.objects.get()
    assert response["Location"] == reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk})
    assert referral.channel == "portal"
    assert referral.submitted_by == partner_a
    page = client.get(response["Location"]).content.decode()
    assert referral.reference in page
    assert "Reçue" in page
    assert "Haddad" not in page
    listing = client.get(reverse("referrals:referral_list")).content.decode()
    assert referral.reference in listing
    assert "Haddad" not in listing


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"family_name": ""}, "Ce champ est obligatoire."),
        ({"date_of_birth": "2999-01-01"}, "La date de naissance ne peut pas être dans le futur."),
        ({"date_of_birth": "1890-01-01"}, "âge de plus de 120 ans"),
        ({"date_of_birth": "", "estimated_age": "130"}, "inférieure ou égale à 120"),
        (
            {"date_of_birth": "", "estimated_age": ""},
            "Indiquez la date de naissance ou un âge estimé.",
        ),
        ({"nationality": "XX"}, "Sélectionnez un choix valide."),
        ({"country_of_return": "ZZ"}, "Sélectionnez un choix valide."),
        ({"family_name": "x" * 101}, "au plus 100 caractères"),
        ({"safety_concerns": "x" * 2001}, "au plus 2000 caractères"),
        ({"departement": "999"}, "Saisissez un numéro de département"),
        ({"consent_referral": None}, "Ce champ est obligatoire."),
        ({"date_of_birth": "pas une date"}, "Saisissez une date valide."),
    ],
)
def test_bad_input_gets_a_field_message_and_saves_nothing(
    partner_a: User, signed_in: SignedIn, overrides: dict[str, Any], field_message: str
) -> None:
    response = signed_in(partner_a).post(reverse("referrals:referral_create"), form_data(**overrides))
    assert response.status_code == 400
    assert field_message in response.content.decode()
    assert not Referral.objects.exists()


def test_duplicate_warning_then_confirmation(partner_a: User, signed_in: SignedIn) -> None:
    client = signed_in(partner_a)
    client.post(reverse("referrals:referral_create"), form_data())
    warned = client.post(reverse("referrals:referral_create"), form_data(given_names="LEILA"))
    assert warned.status_code == 400
    assert "existe déjà" in warned.content.decode()
    assert Referral.objects.count() == 1
    client.post(reverse("referrals:referral_create"), form_data(given_names="LEILA", confirm_duplicate="on"))
    assert Referral.objects.count() == 2


def test_partner_of_another_organisation_gets_404(partner_a: User, signed_in: SignedIn) -> None:
    referral = factories.make_referral(actor=partner_a, organisation=partner_a.role_grants.get().organisation)
    partner_b = factories.make_user(Role.PARTNER, organisation=factories.make_organisation("Association B"))
    client = signed_in(partner_b)
    url = reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk})
    assert client.get(url).status_code == 404
    assert client.get(reverse("referrals:referral_screening", kwargs={"referral_id": referral.pk})).status_code == 404
    assert referral.reference not in client.get(reverse("referrals:referral_list")).content.decode()


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.TRAINER, Role.AUDITOR, Role.DPO])
def test_other_roles_see_no_referral(partner_a: User, signed_in: SignedIn, role: Role) -> None:
    referral = factories.make_referral(actor=partner_a, organisation=partner_a.role_grants.get().organisation)
    client = signed_in(factories.make_user(role))
    assert client.get(reverse("referrals:referral_list")).status_code == 404
    assert client.get(reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk})).status_code == 404


def test_partner_cannot_decide(partner_a: User, signed_in: SignedIn) -> None:
    referral = factories.make_referral(actor=partner_a, organisation=partner_a.role_grants.get().organisation)
    response = signed_in(partner_a).post(
        reverse("referrals:referral_decide", kwargs={"referral_id": referral.pk}),
        {"outcome": "accept", "version": 1},
    )
    assert response.status_code == 404
    referral.refresh_from_db()
    assert referral.status == "received"


def test_coordinator_sees_rules_screening_and_decides(signed_in: SignedIn) -> None:
    factories.make_programme()
    coordinator = factories.make_user(Role.COORDINATOR)
    referral = factories.make_referral()
    client = signed_in(coordinator)
    screening_url = reverse("referrals:referral_screening", kwargs={"referral_id": referral.pk})
    page = client.get(screening_url).content.decode()
    assert "Recrutement coercitif" in page
    client.post(screening_url, {"indicator_list": "adult_labour", "indicators": ["d2.violence", "d2.debt"]})
    detail = client.get(reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk})).content.decode()
    assert "Haddad" in detail
    assert "Recrutement coercitif" in detail
    assert "positif" in detail
    assert "jamais une identification" in detail
    bad = client.post(
        reverse("referrals:referral_decide", kwargs={"referral_id": referral.pk}),
        {"outcome": "not_eligible", "version": 1},
    )
    assert bad.status_code == 400
    assert "Indiquez la raison" in bad.content.decode()
    client.post(
        reverse("referrals:referral_decide", kwargs={"referral_id": referral.pk}),
        {"outcome": "accept", "version": 1, "reason": ""},
    )
    referral.refresh_from_db()
    assert referral.status == "accepted"
    assert referral.case is not None


def test_coordinator_entry_by_phone(signed_in: SignedIn) -> None:
    factories.make_programme()
    organisation = factories.make_organisation("Gendarmerie fictive")
    client = signed_in(factories.make_user(Role.COORDINATOR))
    client.post(
        reverse("referrals:referral_create"),
        form_data(organisation=str(organisation.pk), channel="phone", received_on="2018-05-02"),
    )
    referral = Referral.objects.get()
    assert (referral.channel, referral.organisation, referral.received_on) == (
        "phone",
        organisation,
        datetime.date(2018, 5, 2),
    )


def test_detail_query_count_is_bounded(signed_in: SignedIn, django_assert_max_num_queries: Any) -> None:
    factories.make_programme()
    coordinator = factories.make_user(Role.COORDINATOR)
    referral = factories.make_referral()
    client = signed_in(coordinator)
    url = reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk})
    for _index in range(5):
        client.get(url)
    with django_assert_max_num_queries(25):
        assert client.get(url).status_code == 200


def test_the_pages_name_each_rule_outcome_and_indicator_strength_in_words(signed_in: SignedIn) -> None:
    """The outcome of each eligibility rule and the strength of each indicator are said in the
    interface language, from the code's labels: never a raw code."""
    factories.make_programme()
    referral = factories.make_referral()
    client = signed_in(factories.make_user(Role.COORDINATOR))
    detail = client.get(reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk})).content.decode()
    badges = re.findall(r'<span class="badge badge--(pass|fail|review|warning)">([^<]*)</span>', detail)
    assert badges, "no rule shown"
    labels = {"pass": "Satisfait", "fail": "Non satisfait", "review": "À examiner", "warning": "Avertissement"}
    assert all(text == labels[code] for code, text in badges), badges
    screening = client.get(reverse("referrals:referral_screening", kwargs={"referral_id": referral.pk}))
    strengths = re.findall(r'<span class="badge badge--strength-([SMW])">([^<]*)</span>', screening.content.decode())
    assert {code for code, _text in strengths} == {"S", "M", "W"}
    assert all(text == {"S": "fort", "M": "moyen", "W": "faible"}[code] for code, text in strengths), strengths
