"""The home inbox read as a few columns per kind of task, its rows written in Python (issue 24).

What each user sees must not change: every kind of task with its date, link and badge, in the
order of urgency, every value escaped; and the page's queries do not grow with the tasks.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Callable

import pytest
from pytest_django import DjangoAssertNumQueries

from django.test import Client
from django.urls import NoReverseMatch, reverse

from careplus.access.roles import Role
from careplus.accounts.models import Office, User
from careplus.cases.models import Handover
from careplus.core.links import uuid_link
from careplus.returns.choices import ItemStatus
from careplus.returns.models import FollowUpAlert, Visit
from tests import factories

SignedIn = Callable[[User], Client]


def _section(html: str, key: str) -> list[str]:
    """The task lines of one inbox section, tags kept."""
    block = html.split(f'id="inbox-{key}"', 1)[1].split("</ul>", 1)[0]
    return re.findall(r"<li>(.*?)</li>", block, flags=re.S)


@pytest.mark.django_db
def test_a_caseworker_sees_each_visit_alert_and_handover_with_its_date_link_and_badge(signed_in: SignedIn) -> None:
    case = factories.make_returned_case()  # arrived 20 May 2018: its four visits are overdue
    assert case.office is not None
    Office.objects.filter(pk=case.office.pk).update(name="Bureau d'<b>Été</b>")
    visit = Visit.objects.filter(case=case).order_by("planned_on").first()
    assert visit is not None
    FollowUpAlert.objects.create(case=case, visit=visit, item="psy_distress")
    Handover.objects.create(
        case=case, office=case.office, sent_by=factories.system_user(), due_on=datetime.date(2018, 6, 1)
    )
    caseworker = factories.make_user(Role.CASEWORKER, office=case.office)
    html = signed_in(caseworker).get(reverse("home:home")).content.decode()

    overview = reverse("returns:overview", kwargs={"case_id": case.pk})
    visits = _section(html, "overdue")
    assert len(visits) == 5  # four visits and the handover, all overdue
    # The most urgent first: the handover due on 1 June, then the visits from 20 June 2018.
    consents = reverse("cases:case_detail", kwargs={"case_id": case.pk})
    assert visits[0] == (
        f'01/06/2018 — <a href="{consents}?onglet=consentements#bureaux">Transfert du dossier {case.reference}'
        ' à Bureau d&#x27;&lt;b&gt;Été&lt;/b&gt; à confirmer</a> <span class="badge badge--fail">en retard</span>'
    )
    assert visits[1] == (
        f'20/06/2018 — <a href="{overview}#suivi">Visite de suivi du dossier {case.reference}</a>'
        ' <span class="badge badge--fail">en retard</span>'
    )
    (alert,) = _section(html, "alerts")
    assert f'href="{overview}#alertes"' in alert
    assert 'class="badge badge--fail"' in alert


@pytest.mark.django_db
def test_a_coordinator_sees_approvals_and_referrals_to_decide(signed_in: SignedIn) -> None:
    case = factories.make_returned_case()
    factories.make_plan_item(case, status=ItemStatus.PLANNED)
    referral = factories.make_referral()
    html = signed_in(factories.make_user(Role.COORDINATOR)).get(reverse("home:home")).content.decode()
    (approval,) = _section(html, "approval")
    overview = reverse("returns:overview", kwargs={"case_id": case.pk})
    assert (
        approval
        == f'<a href="{overview}#plan">Élément du plan du dossier {case.reference} en attente d&#x27;approbation</a>'
    )
    (decision,) = _section(html, "referral")
    detail = reverse("referrals:referral_detail", kwargs={"referral_id": referral.pk})
    assert decision == f'03/04/2018 — <a href="{detail}">Orientation {referral.reference} à décider</a>'


@pytest.mark.django_db
def test_the_inbox_queries_do_not_grow_with_the_tasks(
    signed_in: SignedIn, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    office = factories.make_office()
    caseworker = factories.make_user(Role.CASEWORKER, office=office)
    client = signed_in(caseworker)
    factories.make_returned_case(office=office)
    client.get(reverse("home:home"))
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("home:home")).status_code == 200
    for _index in range(6):
        factories.make_returned_case(office=office)
    with django_assert_max_num_queries(12) as many:
        html = client.get(reverse("home:home")).content.decode()
    assert len(_section(html, "overdue")) == 28
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_link_reversed_once_is_the_reversed_link_for_every_id() -> None:
    link = uuid_link("returns:overview", "case_id")
    for value in (uuid.uuid4(), uuid.uuid4(), str(uuid.uuid4())):
        assert link(value) == reverse("returns:overview", kwargs={"case_id": value})
    with pytest.raises(ValueError, match="badly formed"):
        link("../../admin")
    with pytest.raises(NoReverseMatch):
        uuid_link("returns:overview", "no_such_argument")
