"""Issue 19, point 2: the referral of a restricted case file is a part of that file.

It names the person, so only the file's named users see it, and they give the file's reason first
(pages: once per session; API: the X-Access-Reason header), each read written with it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.audit.models import AuditEvent
from careplus.cases import services as case_services
from careplus.cases.models import Case, RestrictedView
from careplus.referrals import services
from careplus.referrals.choices import DecisionOutcome
from careplus.referrals.models import Referral
from tests import factories

pytestmark = pytest.mark.django_db
REASON = "Audience prévue la semaine prochaine"


def _restricted_referral(named: User, other: User, partner: User | None = None) -> tuple[Referral, Case]:
    factories.make_programme()
    if partner is None:
        referral = factories.make_referral(family_name=factories.CANARY)
    else:
        organisation = partner.role_grants.get().organisation
        referral = factories.make_referral(family_name=factories.CANARY, actor=partner, organisation=organisation)
    services.referral_decide(
        actor=named,
        referral=referral,
        outcome=DecisionOutcome.ACCEPT,
        expected_version=referral.version,
        reason="Toutes les conditions sont réunies.",
        override_reason="Décision de la coordination.",
    )
    referral.refresh_from_db()
    assert referral.case_id is not None
    case = Case.objects.get(pk=referral.case_id)
    case_services.restriction_set(actor=named, case=case, restricted=True, users=[named], expected_version=case.version)
    assert not case.restricted_users.filter(pk=other.pk).exists()
    return referral, case


def test_p02_a_restricted_files_referral_is_hidden_from_coordinators_not_named(
    signed_in: Callable[[User], Client],
) -> None:
    named = factories.make_user(Role.COORDINATOR)
    other = factories.make_user(Role.COORDINATOR)
    referral, _case = _restricted_referral(named, other)
    client = signed_in(other)
    detail = reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk})
    assert client.get(detail).status_code == 404
    listing = client.get(reverse("referrals:referral_list"))
    assert listing.status_code == 200
    assert referral.reference not in listing.content.decode()
    api = client.get(reverse("api:referral_detail", kwargs={"referral_id": referral.pk}))
    assert api.status_code == 404
    assert factories.CANARY not in api.content.decode()


def test_p02_a_named_user_gives_the_files_reason_before_its_referral_shows_the_person(
    signed_in: Callable[[User], Client],
) -> None:
    named = factories.make_user(Role.COORDINATOR)
    other = factories.make_user(Role.COORDINATOR)
    referral, case = _restricted_referral(named, other)
    client = signed_in(named)
    detail = reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk})

    asked = client.get(detail)
    assert asked.status_code == 200
    assert factories.CANARY not in asked.content.decode()
    gate = reverse("cases:case_reason", kwargs={"case_id": case.pk})
    assert f'action="{gate}"' in asked.content.decode()
    assert not RestrictedView.objects.filter(case=case).exists()

    back = client.post(gate, {"reason": REASON, "next": detail})
    assert back.status_code == 302
    assert back["Location"] == detail  # sent back to the referral, not to the file's summary
    shown = client.get(detail)
    assert shown.status_code == 200
    assert factories.CANARY in shown.content.decode()
    read = RestrictedView.objects.filter(case=case).order_by("-pk").first()
    assert read is not None
    assert read.reason == REASON
    assert AuditEvent.objects.filter(
        action="view", object_type="cases.case", object_id=str(case.pk), fields__contains="referral"
    ).exists()


def test_p02_the_api_asks_the_files_reason_for_its_referral(signed_in: Callable[[User], Client]) -> None:
    named = factories.make_user(Role.COORDINATOR)
    other = factories.make_user(Role.COORDINATOR)
    referral, case = _restricted_referral(named, other)
    client = signed_in(named)
    url = reverse("api:referral_detail", kwargs={"referral_id": referral.pk})
    refused = client.get(url)
    assert refused.status_code == 403
    assert refused.json()["code"] == "reason_required"
    assert factories.CANARY not in refused.content.decode()
    given = client.get(url, headers={"X-Access-Reason": REASON})
    assert given.status_code == 200
    assert factories.CANARY in given.content.decode()
    assert RestrictedView.objects.filter(case=case).count() == 1


def test_p02_the_api_list_never_shows_the_person_of_a_restricted_files_referral(
    signed_in: Callable[[User], Client],
) -> None:
    named = factories.make_user(Role.COORDINATOR)
    other = factories.make_user(Role.COORDINATOR)
    referral, _case = _restricted_referral(named, other)
    open_referral = factories.make_referral(family_name="Tamang")
    listing = signed_in(named).get(reverse("api:referral_list"))
    assert listing.status_code == 200
    rows = {row["id"]: row for row in listing.json()["results"]}
    assert "family_name" not in rows[str(referral.pk)]
    assert rows[str(open_referral.pk)]["family_name"] == "Tamang"
    assert factories.CANARY not in listing.content.decode()


def test_p02_the_referring_partner_follows_the_status_without_being_asked_a_reason(
    signed_in: Callable[[User], Client],
) -> None:
    named = factories.make_user(Role.COORDINATOR)
    other = factories.make_user(Role.COORDINATOR)
    partner = factories.make_user(Role.PARTNER, organisation=factories.make_organisation())
    referral, case = _restricted_referral(named, other, partner)
    page = signed_in(partner).get(reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk}))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="reason"' not in body
    assert case.reference not in body
    assert factories.CANARY not in body


def test_a_coordinators_referral_list_leaves_out_only_the_restricted_files_not_theirs_without_reading_cases(
    signed_in: Callable[[User], Client],
) -> None:
    """Received (no file yet), accepted and restricted-but-named referrals are listed; the list and its count
    say the restriction as the few files left out, never by joining every referral to its case."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    named = factories.make_user(Role.COORDINATOR)
    other = factories.make_user(Role.COORDINATOR)
    hidden, _case = _restricted_referral(named, other)
    theirs, _their_case = _restricted_referral(other, named)
    received = factories.make_referral(family_name="Sans dossier")
    assert received.case_id is None
    with CaptureQueriesContext(connection) as queries:
        listing = signed_in(other).get(reverse("referrals:referral_list"))
    assert listing.status_code == 200
    page = listing.content.decode()
    assert theirs.reference in page
    assert received.reference in page
    assert hidden.reference not in page
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "referrals_referral"' in q["sql"]]
    assert reads, "the list read no referral"
    assert all('JOIN "cases_case"' not in sql for sql in reads), reads
