"""Issue 21 point 2: an organisation's referral portal suspended (or the organisation deactivated).

Its partners then send no referral, on the pages nor through the API, and are told why; they still
follow the status of their past referrals. The coordination still records referrals received by
e-mail or telephone from a suspended organisation.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

import pytest

from django.test import Client
from django.urls import reverse

from careplus.access.offices import may_refer_for
from careplus.access.roles import Role
from careplus.accounts import offices
from careplus.accounts.models import Organisation, User
from careplus.audit.models import AuditEvent
from careplus.core.errors import RuleViolation
from careplus.referrals import services
from careplus.referrals.models import Referral
from careplus.referrals.tests.test_views import form_data
from tests import factories
from tests.api.helpers import api_client, referral_body

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]
SUSPENDED = "Le portail d’orientation de Association A est suspendu"


@pytest.fixture
def organisation(db: None) -> Organisation:
    factories.make_programme()
    return factories.make_organisation("Association A")


@pytest.fixture
def partner_a(organisation: Organisation) -> User:
    return factories.make_user(Role.PARTNER, organisation=organisation)


def _suspend(organisation: Organisation, actor: User) -> None:
    offices.organisation_referrals_suspend(
        actor=actor, organisation=organisation, expected_version=organisation.version
    )
    organisation.refresh_from_db()


def test_i21_p02_suspending_the_portal_is_audited_and_can_be_undone(organisation: Organisation, dpo: User) -> None:
    _suspend(organisation, dpo)
    assert organisation.referrals_suspended
    offices.organisation_referrals_resume(actor=dpo, organisation=organisation, expected_version=organisation.version)
    assert not Organisation.objects.get(pk=organisation.pk).referrals_suspended
    events = AuditEvent.objects.filter(action="change", object_id=str(organisation.pk)).order_by("seq")
    assert [(e.fields, e.actor_id) for e in events] == [("referrals_suspended", str(dpo.pk))] * 2


def test_i21_p02_stale_suspension_is_refused(organisation: Organisation, coordinator: User) -> None:
    from careplus.core.errors import StaleObject

    with pytest.raises(StaleObject):
        offices.organisation_referrals_suspend(actor=coordinator, organisation=organisation, expected_version=9)
    organisation.refresh_from_db()
    assert not organisation.referrals_suspended


def test_i21_p02_the_rule_lives_in_access(organisation: Organisation, partner_a: User, coordinator: User) -> None:
    other_partner = factories.make_user(Role.PARTNER)
    assert may_refer_for(partner_a, organisation)
    assert not may_refer_for(other_partner, organisation)
    _suspend(organisation, coordinator)
    assert not may_refer_for(partner_a, organisation)
    assert may_refer_for(coordinator, organisation)  # a referral received by e-mail or telephone
    offices.organisation_deactivate(actor=coordinator, organisation=organisation, expected_version=organisation.version)
    organisation.refresh_from_db()
    assert not may_refer_for(coordinator, organisation)


def test_i21_p02_the_service_refuses_a_partner_of_a_suspended_organisation(
    organisation: Organisation, partner_a: User, coordinator: User
) -> None:
    _suspend(organisation, coordinator)
    with pytest.raises(RuleViolation, match=SUSPENDED):
        factories.make_referral(actor=partner_a, organisation=organisation)
    assert not Referral.objects.exists()
    referral = services.referral_submit(
        actor=coordinator,
        programme=factories.make_programme(),
        organisation=organisation,
        channel="email",
        received_on=datetime.date(2018, 4, 3),
        person=factories.person_data(),
    )
    assert referral.organisation_id == organisation.pk


def test_i21_p02_suspended_partner_is_told_on_the_pages_and_still_follows_past_referrals(
    organisation: Organisation, partner_a: User, coordinator: User, signed_in: SignedIn
) -> None:
    past = factories.make_referral(actor=partner_a, organisation=organisation)
    _suspend(organisation, coordinator)
    client = signed_in(partner_a)

    form_page = client.get(reverse("referrals:referral_create"))
    assert form_page.status_code == 403
    assert SUSPENDED in form_page.content.decode()
    posted = client.post(reverse("referrals:referral_create"), form_data(given_names="Nadia"))
    assert posted.status_code == 403
    assert Referral.objects.count() == 1

    listing = client.get(reverse("referrals:referral_list")).content.decode()
    assert past.reference in listing
    assert "Le portail d’orientation de votre organisation est suspendu" in listing
    assert reverse("referrals:referral_create") not in listing
    status = client.get(reverse("referrals:referral_detail", kwargs={"referral_id": past.pk}))
    assert status.status_code == 200


def test_i21_p02_restored_portal_lets_the_partner_refer_again(
    organisation: Organisation, partner_a: User, coordinator: User, signed_in: SignedIn
) -> None:
    _suspend(organisation, coordinator)
    offices.organisation_referrals_resume(
        actor=coordinator, organisation=organisation, expected_version=organisation.version
    )
    response = signed_in(partner_a).post(reverse("referrals:referral_create"), form_data())
    assert response.status_code == 302
    assert Referral.objects.count() == 1


def test_i21_p02_the_api_refuses_a_suspended_partner_with_the_reason(
    organisation: Organisation, partner_a: User, coordinator: User
) -> None:
    past = factories.make_referral(actor=partner_a, organisation=organisation)
    _suspend(organisation, coordinator)
    client = api_client(partner_a, language="fr")
    response = client.post("/api/v1/referrals/", referral_body(), format="json")
    assert response.status_code == 400
    assert SUSPENDED in response.json()["message"]
    assert Referral.objects.count() == 1
    listed = client.get("/api/v1/referrals/")
    assert listed.status_code == 200
    assert [item["reference"] for item in listed.json()["results"]] == [past.reference]


def test_i21_p02_deactivated_organisation_refers_no_more(
    organisation: Organisation, partner_a: User, coordinator: User, signed_in: SignedIn
) -> None:
    offices.organisation_deactivate(actor=coordinator, organisation=organisation, expected_version=1)
    response = signed_in(partner_a).get(reverse("referrals:referral_create"))
    assert response.status_code == 403
    assert Referral.objects.count() == 0
    with pytest.raises(RuleViolation, match="désactivée"):
        factories.make_referral(actor=partner_a, organisation=organisation)
