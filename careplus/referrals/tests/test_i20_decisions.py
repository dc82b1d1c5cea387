"""Issue 20: what the referrer is told of a refusal, and the decision block's messages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks

from django.core import mail
from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.referrals.models import Referral
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]
OVERRIDE_NOTICE = "accepter exige un motif explicite de dérogation"


def _refuse(
    client: Client, referral: Referral, capture: DjangoCaptureOnCommitCallbacks, reason: str = "Retour dans l'UE."
) -> None:
    with capture(execute=True):
        response = client.post(
            reverse("referrals:referral_decide", kwargs={"referral_id": referral.pk}),
            {"outcome": "not_eligible", "version": referral.version, "reason": reason},
        )
    assert response.status_code == 302


def test_i20_p08_partner_told_where_to_turn_after_an_eu_refusal(
    signed_in: SignedIn, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    factories.make_programme()
    organisation = factories.make_organisation("Association A")
    partner = factories.make_user(Role.PARTNER, organisation=organisation)
    referral = factories.make_referral(
        actor=partner, organisation=organisation, family_name=factories.CANARY, nationality="RO", country_of_return="RO"
    )
    _refuse(signed_in(factories.make_user(Role.COORDINATOR)), referral, django_capture_on_commit_callbacks)

    status_page = signed_in(partner).get(reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk}))
    page = status_page.content.decode()
    assert "Non éligible" in page
    assert "OFII" in page
    assert "Union européenne" in page or "European Union" in page
    assert factories.CANARY not in page

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    text = f"{message.subject} {message.body}"
    assert "OFII" in message.body
    # No personal detail: no name, no reasons typed by the coordinator, not even the country.
    for personal in (factories.CANARY, "Leila", "Retour dans l'UE", "Roumanie", "Romania", " RO "):
        assert personal not in text


def test_i20_p08_no_pointer_when_refused_for_another_reason(
    signed_in: SignedIn, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    factories.make_programme()
    organisation = factories.make_organisation("Association A")
    partner = factories.make_user(Role.PARTNER, organisation=organisation)
    referral = factories.make_referral(actor=partner, organisation=organisation, wishes_voluntary_return=False)
    _refuse(signed_in(factories.make_user(Role.COORDINATOR)), referral, django_capture_on_commit_callbacks, "Non.")
    page = signed_in(partner).get(reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk}))
    assert "OFII" not in page.content.decode()
    assert "OFII" not in mail.outbox[0].body


def test_i20_p19_not_eligible_without_reason_names_only_the_missing_reason(signed_in: SignedIn) -> None:
    factories.make_programme()
    referral = factories.make_referral(nationality="RO", country_of_return="RO")
    client = signed_in(factories.make_user(Role.COORDINATOR))
    url = reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk})
    assert OVERRIDE_NOTICE in client.get(url).content.decode()  # before choosing, the coordinator is warned
    response = client.post(
        reverse("referrals:referral_decide", kwargs={"referral_id": referral.pk}),
        {"outcome": "not_eligible", "version": referral.version, "reason": ""},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert page.count("Indiquez la raison") == 1
    assert OVERRIDE_NOTICE not in page
    assert "dérogation" not in page.split('id="decision-title"')[1].split("<form")[0]
    referral.refresh_from_db()
    assert referral.status == "received"


def test_i20_p19_accept_without_override_says_it_once(signed_in: SignedIn) -> None:
    factories.make_programme()
    referral = factories.make_referral(nationality="RO", country_of_return="RO")
    client = signed_in(factories.make_user(Role.COORDINATOR))
    response = client.post(
        reverse("referrals:referral_decide", kwargs={"referral_id": referral.pk}),
        {"outcome": "accept", "version": referral.version},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert page.count("exige un motif explicite de dérogation") == 1
    referral.refresh_from_db()
    assert referral.status == "received"


@pytest.mark.parametrize("age", ["130", "-1"])
def test_i20_p19_estimated_age_out_of_range_has_one_error(signed_in: SignedIn, age: str) -> None:
    from careplus.referrals.tests.test_views import form_data

    factories.make_programme()
    partner = factories.make_user(Role.PARTNER, organisation=factories.make_organisation("Association A"))
    response = signed_in(partner).post(
        reverse("referrals:referral_create"), form_data(date_of_birth="", estimated_age=age)
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Assurez-vous que cette valeur est" in page
    assert "Indiquez la date de naissance ou un âge estimé." not in page
    assert not Referral.objects.exists()
