"""Countries: Kosovo is one (point 9); names, not codes, in the interface language (point 14)."""

from __future__ import annotations

import dataclasses
import html
import io
from collections.abc import Callable

import pytest
from openpyxl import load_workbook

from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.core.countries import country_in_sentence, country_name
from careplus.demo.programmes import DEMO_PROGRAMME
from careplus.programmes.models import Programme
from careplus.referrals.eligibility import RuleOutcome, evaluate
from careplus.referrals.models import Referral
from careplus.referrals.tests.test_eligibility import BASE, PARAMS
from careplus.referrals.tests.test_views import form_data
from tests import factories
from tests.api.helpers import api_client, referral_body

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def _outside_eu(country: str) -> tuple[str, str]:
    rule = next(
        r for r in evaluate(dataclasses.replace(BASE, country_of_return=country), PARAMS) if r.code == "outside_eu"
    )
    return rule.outcome, rule.message


def test_i20_p09_kosovo_is_refused_nowhere_on_the_referral_form(signed_in: SignedIn) -> None:
    factories.make_programme()
    partner = factories.make_user(Role.PARTNER, organisation=factories.make_organisation("Association A"))
    response = signed_in(partner).post(
        reverse("referrals:referral_create"), form_data(nationality="XK", country_of_return="XK")
    )
    assert "n'est pas un choix valide" not in response.content.decode()
    referral = Referral.objects.get()
    assert (referral.nationality.code, referral.country_of_return.code) == ("XK", "XK")
    coordinator = factories.make_user(Role.COORDINATOR)
    page = signed_in(coordinator).get(reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk}))
    text = html.unescape(page.content.decode())
    assert "<dd>Kosovo</dd>" in text
    assert "Le Kosovo est hors de l'Union européenne." in text


def test_i20_p09_kosovo_through_the_api_carries_the_code_xk() -> None:
    factories.make_programme()
    partner = factories.make_user(Role.PARTNER)
    response = api_client(partner).post(
        "/api/v1/referrals/", referral_body(nationality="XK", country_of_return="XK"), format="json"
    )
    assert response.status_code == 201, response.json()
    referral = Referral.objects.get()
    assert (referral.nationality.code, referral.country_of_return.code) == ("XK", "XK")


def test_i20_p09_kosovo_is_outside_the_eu_with_its_name_in_both_languages() -> None:
    with translation.override("fr"):
        assert country_name("XK") == "Kosovo"
        assert _outside_eu("XK") == (RuleOutcome.PASS, "Le Kosovo est hors de l'Union européenne.")
    with translation.override("en"):
        assert country_name("XK") == "Kosovo"
        assert _outside_eu("XK") == (RuleOutcome.PASS, "Kosovo is outside the European Union.")


def test_i20_p14_country_names_read_naturally_in_french_sentences() -> None:
    with translation.override("fr"):
        outcome, message = _outside_eu("RO")
        assert outcome == RuleOutcome.FAIL
        assert message.startswith("La Roumanie est membre de l'Union européenne")
        assert _outside_eu("BR")[1] == "Le Brésil est hors de l'Union européenne."
        assert _outside_eu("IN")[1] == "L'Inde est hors de l'Union européenne."
        assert [country_in_sentence(c) for c in ("NL", "CU", "GW", "KH")] == [
            "les Pays-Bas",
            "Cuba",
            "la Guinée-Bissau",
            "le Cambodge",
        ]
    with translation.override("en"):
        assert _outside_eu("RO")[1].startswith("Romania is a member of the European Union")


def test_i20_p14_case_page_and_case_list_show_country_names(signed_in: SignedIn) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case(country="CM")
    client = signed_in(coordinator)
    detail = client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk})).content.decode()
    listing = client.get(reverse("cases:case_list")).content.decode()
    assert "<dd>Cameroun</dd>" in detail
    assert "<dd>CM</dd>" not in detail
    assert "<td>Cameroun</td>" in listing
    assert "<td>CM</td>" not in listing
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        english = client.get(reverse("cases:case_list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<td>Cameroon</td>" in english


def test_i20_p14_dashboard_shows_names_and_the_donor_file_keeps_the_code(signed_in: SignedIn) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    coordinator = User.objects.get(email="coordination@demo.careplus.test")
    client = signed_in(coordinator)
    demo = Programme.objects.get(name=DEMO_PROGRAMME)
    page = client.get(reverse("reporting:dashboard") + f"?programme={demo.pk}&end=2018-08-31").content.decode()
    countries = page.split("Bénéficiaires par pays de retour", 1)[1][:3000]
    assert "Népal" in countries or "Tunisie" in countries or "Cameroun" in countries
    assert not any(f">{code}<" in countries for code in ("NP", "TN", "CM", "RO"))
    book = load_workbook(
        io.BytesIO(client.get(reverse("reporting:donor_xlsx") + f"?programme={demo.pk}&end=2018-08-31").content)
    )
    rows = list(book["Composante I"].iter_rows(values_only=True))
    named = [row for row in rows if row and row[0] in {"Népal", "Tunisie", "Cameroun"}]
    assert named
    assert all(len(row) >= 3 and row[2] in {"NP", "TN", "CM"} for row in named)
