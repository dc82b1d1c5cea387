"""Issue 20, point 10: a referral joins a programme that covers the day of its acceptance, the target
is exceeded only on an explicit, reasoned and audited confirmation, and the dashboard shows it."""

from __future__ import annotations

import datetime
import html
import io
from collections.abc import Callable
from typing import Any

import pytest

from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careplus.access.roles import Role
from careplus.accounts.models import Organisation, User
from careplus.audit.models import AuditEvent
from careplus.cases.models import Case
from careplus.core.errors import RuleViolation
from careplus.demo.programmes import DEMO_PROGRAMME
from careplus.programmes.models import Programme
from careplus.referrals import selectors, services
from careplus.referrals.choices import DecisionOutcome, ReferralStatus
from careplus.referrals.models import Referral
from careplus.reporting import figures, periods
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def _ended() -> Programme:
    return factories.make_programme(
        name="Ancien programme 2017-2019",
        starts_on=datetime.date(2017, 11, 1),
        ends_on=datetime.date(2019, 4, 30),
    )


def _current(target: int = 15) -> Programme:
    today = timezone.localdate()
    return factories.make_programme(
        name="Programme en cours",
        starts_on=today - datetime.timedelta(days=200),
        ends_on=today + datetime.timedelta(days=400),
        target_beneficiaries=target,
    )


def _decide_url(referral: Referral) -> str:
    return reverse("referrals:referral_decide", kwargs={"referral_id": referral.pk})


def _accept(actor: User, referral: Referral, **extra: Any) -> None:
    services.referral_decide(
        actor=actor,
        referral=referral,
        outcome=DecisionOutcome.ACCEPT,
        expected_version=referral.version,
        reason="Conditions réunies.",
        **extra,
    )


def test_i20_p10_accepting_into_an_ended_programme_is_refused_naming_the_current_one(signed_in: SignedIn) -> None:
    ended, current = _ended(), _current()
    referral = factories.make_referral(programme=ended)
    client = signed_in(factories.make_user(Role.COORDINATOR))

    response = client.post(
        _decide_url(referral), {"outcome": "accept", "version": referral.version, "reason": "Conditions réunies."}
    )

    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "Ancien programme 2017-2019" in page
    assert "Programme en cours" in page
    assert "30/04/2019" in page
    assert 'name="programme"' in page  # the programme to choose instead is offered in the decision block
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.RECEIVED
    assert referral.programme == ended
    assert not referral.decisions.exists()
    assert not Case.objects.exists()

    response = client.post(
        _decide_url(referral),
        {"outcome": "accept", "version": referral.version, "reason": "Conditions réunies.", "programme": current.pk},
    )

    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    assert referral.programme == current
    assert Case.objects.get().programme == current


def test_i20_p10_going_beyond_the_target_needs_a_confirmation_and_a_reason(signed_in: SignedIn) -> None:
    programme = _current(target=2)
    coordinator = factories.make_user(Role.COORDINATOR)
    first = factories.make_referral(programme=programme, family_name="Un")
    page = signed_in(coordinator).get(reverse("referrals:referral_detail", kwargs={"referral_id": first.pk}))
    assert 'name="beyond_target' not in page.content.decode()  # asked only once the target is reached
    assert 'name="programme"' not in page.content.decode()
    for referral in (first, factories.make_referral(programme=programme, family_name="Deux")):
        _accept(coordinator, referral)
    third = factories.make_referral(programme=programme, family_name="Trois")

    with pytest.raises(RuleViolation, match="objectif de 2"):
        _accept(coordinator, third)
    with pytest.raises(RuleViolation, match="confirmez-le et indiquez le motif"):
        _accept(coordinator, third, beyond_target_confirmed=True, beyond_target_reason="  ")
    third.refresh_from_db()
    assert third.status == ReferralStatus.RECEIVED
    assert not third.decisions.exists()

    client = signed_in(coordinator)
    detail = reverse("referrals:referral_detail", kwargs={"referral_id": third.pk})
    assert 'name="beyond_target_reason"' in client.get(detail).content.decode()
    base = {"outcome": "accept", "version": third.version, "reason": "Conditions réunies."}
    refused = client.post(_decide_url(third), base)
    assert refused.status_code == 400
    assert "objectif de 2" in html.unescape(refused.content.decode())
    third.refresh_from_db()
    assert third.status == ReferralStatus.RECEIVED

    accepted = client.post(
        _decide_url(third),
        {**base, "beyond_target": "on", "beyond_target_reason": "Victime mineure en danger immédiat."},
    )

    assert accepted.status_code == 302
    third.refresh_from_db()
    assert third.status == ReferralStatus.ACCEPTED
    assert "Victime mineure en danger immédiat." in third.decisions.get().override_reason
    event = AuditEvent.objects.filter(object_id=str(third.pk), action="transition").order_by("-seq").first()
    assert event is not None
    assert "beyond_target" in event.fields


def test_i20_p10_dashboard_default_view_shows_the_figure_beyond_the_target(signed_in: SignedIn) -> None:
    _ended()
    programme = _current(target=2)
    coordinator = factories.make_user(Role.COORDINATOR)
    for name in ("Un", "Deux"):
        _accept(coordinator, factories.make_referral(programme=programme, family_name=name))
    _accept(
        coordinator,
        factories.make_referral(programme=programme, family_name="Trois"),
        beyond_target_confirmed=True,
        beyond_target_reason="Urgence.",
    )

    page = signed_in(coordinator).get(reverse("reporting:dashboard")).content.decode()

    kpi = page.split('data-kpi="beneficiaries"', 1)[1][:400]
    assert '<span class="kpi__value">3</span><span class="kpi__target"> / 2</span>' in kpi
    assert 'class="kpi__beyond"' in kpi


def test_i20_p10_demo_has_a_current_programme_and_keeps_the_seed_figures() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    today = timezone.localdate()

    current = selectors.programme_covering(today)
    assert current is not None
    assert current.name != DEMO_PROGRAMME
    assert selectors.current_programme() == current
    demo = Programme.objects.get(name=DEMO_PROGRAMME)
    seeds = {
        block.key: (block.total, block.target)
        for block in figures.compute(demo, periods.resolve(demo, "all", None, datetime.date(2018, 8, 31)))
    }
    assert seeds["beneficiaries"] == (2, 15)
    assert seeds["referrals"][0] == 6
    assert seeds["professionals"][0] == 41

    # A new user takes a referral through today, into the current programme.
    partner = User.objects.get(email="partenaire.ofii@demo.careplus.test")
    referral = factories.make_referral(
        actor=partner,
        organisation=Organisation.objects.get(name="OFII — Direction territoriale de Lyon"),
        programme=current,
        received_on=today,
    )
    coordinator = User.objects.get(email="coordination@demo.careplus.test")
    _accept(coordinator, referral)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    assert referral.programme == current
