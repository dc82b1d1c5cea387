"""Referral submission, duplicates, screening and decisions."""

from __future__ import annotations

import datetime

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks

from django.core import mail

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.cases.models import Case
from careplus.core import crypto
from careplus.core.errors import RuleViolation, StaleObject
from careplus.core.models import DataKey
from careplus.referrals import services
from careplus.referrals.choices import DecisionOutcome, ReferralStatus
from careplus.referrals.models import Referral
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator_user() -> User:
    return factories.make_user(Role.COORDINATOR)


def test_submission_encrypts_the_person_and_numbers_the_referral() -> None:
    factories.make_programme()
    first = factories.make_referral(family_name=factories.CANARY)
    second = factories.make_referral(family_name="Other")
    assert first.reference == "ORI-2018-0001"
    assert second.reference == "ORI-2018-0002"
    crypto.forget_keys()
    loaded = Referral.objects.select_related("data_key").get(pk=first.pk)
    assert loaded.family_name == factories.CANARY
    assert loaded.status == ReferralStatus.RECEIVED
    assert not loaded.is_minor


def test_age_decides_whether_the_person_is_a_minor() -> None:
    factories.make_programme()
    child = factories.make_referral(date_of_birth=datetime.date(2001, 6, 1))  # 16 in April 2018
    estimated = factories.make_referral(date_of_birth=None, estimated_age=15, family_name="X")
    adult = factories.make_referral(date_of_birth=datetime.date(2000, 4, 3), family_name="Y")  # 18 that day
    assert child.is_minor
    assert estimated.is_minor
    assert not adult.is_minor


def test_possible_duplicate_is_refused_until_confirmed() -> None:
    factories.make_programme()
    organisation = factories.make_organisation()
    factories.make_referral(organisation=organisation, given_names="Leïla", family_name="HADDAD")
    with pytest.raises(services.PossibleDuplicate):
        factories.make_referral(
            organisation=organisation,
            given_names="leila",
            family_name="Haddad",
            confirm_duplicate=False,
        )
    assert Referral.objects.count() == 1
    again = factories.make_referral(organisation=organisation, given_names="leila", family_name="Haddad")
    assert again.possible_duplicate


def test_partner_is_not_told_about_another_organisations_referral() -> None:
    programme = factories.make_programme()
    factories.make_referral(organisation=factories.make_organisation())
    other_org = factories.make_organisation()
    partner = factories.make_user(Role.PARTNER, organisation=other_org)
    referral = services.referral_submit(
        actor=partner,
        programme=programme,
        organisation=other_org,
        channel="portal",
        received_on=datetime.date(2018, 5, 1),
        person=factories.person_data(),
    )
    assert referral.possible_duplicate  # flagged for the coordinator only


def test_accepting_opens_a_case_and_moves_the_data_under_its_key(
    coordinator_user: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    factories.make_programme()
    referral = factories.make_referral(family_name=factories.CANARY)
    tunis = factories.make_office("TUN", country="TN")
    services.screening_record(
        actor=coordinator_user,
        referral=referral,
        indicator_list="adult_labour",
        present=["d2.violence", "d2.debt"],
    )
    old_key = referral.data_key_id
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_decide(
            actor=coordinator_user,
            referral=referral,
            outcome=DecisionOutcome.ACCEPT,
            expected_version=referral.version,
            reason="Toutes les conditions sont réunies.",
        )
    crypto.forget_keys()
    referral = Referral.objects.select_related("data_key", "case").get(pk=referral.pk)
    assert referral.case_id is not None
    case = Case.objects.select_related("data_key").get(pk=referral.case_id)
    assert referral.status == ReferralStatus.ACCEPTED
    assert referral.data_key_id == case.data_key_id
    assert DataKey.objects.get(pk=old_key).wrapped is None
    assert referral.family_name == factories.CANARY
    assert case.family_name == factories.CANARY
    assert case.office == tunis
    assert case.reference.startswith("CARE-")
    screening = referral.screenings.get()
    screening.referral = referral
    assert screening.answers == ["d2.debt", "d2.violence"]
    assert referral.decisions.get().reason == "Toutes les conditions sont réunies."
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert referral.reference in message.subject
    assert factories.CANARY not in f"{message.body} {message.subject}"
    assert "Acceptée" in message.body


def test_failed_rule_needs_an_override_reason(coordinator_user: User) -> None:
    factories.make_programme()
    referral = factories.make_referral(nationality="RO", country_of_return="RO")
    with pytest.raises(RuleViolation, match="Union européenne"):
        services.referral_decide(
            actor=coordinator_user,
            referral=referral,
            outcome=DecisionOutcome.ACCEPT,
            expected_version=referral.version,
        )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED
    assert not Case.objects.exists()
    services.referral_decide(
        actor=coordinator_user,
        referral=referral,
        outcome=DecisionOutcome.ACCEPT,
        expected_version=referral.version,
        override_reason="Double nationalité, retour vers un pays tiers.",
    )
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        (DecisionOutcome.NOT_ELIGIBLE, "raison"),
        (DecisionOutcome.REDIRECT, "organisation"),
    ],
)
def test_decisions_need_their_details(coordinator_user: User, outcome: str, message: str) -> None:
    factories.make_programme()
    referral = factories.make_referral()
    with pytest.raises(RuleViolation, match=message):
        services.referral_decide(actor=coordinator_user, referral=referral, outcome=outcome, expected_version=1)
    assert not referral.decisions.exists()


def test_stale_or_repeated_decisions_are_refused(coordinator_user: User) -> None:
    factories.make_programme()
    referral = factories.make_referral()
    with pytest.raises(StaleObject):
        services.referral_decide(actor=coordinator_user, referral=referral, outcome="withdraw", expected_version=9)
    services.referral_decide(
        actor=coordinator_user,
        referral=referral,
        outcome="withdraw",
        expected_version=1,
        reason="x",
    )
    with pytest.raises(RuleViolation):
        services.referral_decide(actor=coordinator_user, referral=referral, outcome="accept", expected_version=2)


def test_screening_rejects_unknown_indicators(coordinator_user: User) -> None:
    factories.make_programme()
    referral = factories.make_referral()
    with pytest.raises(RuleViolation):
        services.screening_record(
            actor=coordinator_user,
            referral=referral,
            indicator_list="adult_labour",
            present=["d9.fake"],
        )
    assert not referral.screenings.exists()
