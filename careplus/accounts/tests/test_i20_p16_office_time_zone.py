"""Issue 20, point 16: every page shows times in the user's office time zone, not only the inbox."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable

import pytest

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from careplus.access.roles import Role
from careplus.accounts.models import Office, User
from careplus.cases import selectors
from careplus.cases.models import Case, CaseNote
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]
MIDDLEWARE = "careplus.accounts.middleware.OfficeTimeZoneMiddleware"
# 10:00 UTC on 1 June 2025: 15:45 in Kathmandu (UTC+5:45), 12:00 in Paris (summer time).
WRITTEN_AT = datetime.datetime(2025, 6, 1, 10, 0, tzinfo=datetime.UTC)


def _case_with_a_note(zone: str) -> Case:
    office = factories.make_office()
    Office.objects.filter(pk=office.pk).update(time_zone=zone)
    case = factories.make_case(office=office)
    note = CaseNote.objects.create(case=case, author=factories.system_user(), body="Appel de la famille.")
    CaseNote.objects.filter(pk=note.pk).update(created_at=WRITTEN_AT)
    return case


def _notes_page(client: Client, case: Case) -> str:
    response = client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk}) + "?onglet=notes")
    assert response.status_code == 200
    return response.content.decode()


def test_i20_p16_a_kathmandu_caseworker_reads_a_note_time_in_kathmandu_time(signed_in: SignedIn) -> None:
    case = _case_with_a_note("Asia/Kathmandu")
    caseworker = factories.make_user(Role.CASEWORKER, office=case.office)
    page = _notes_page(signed_in(caseworker), case)
    assert "01/06/2025 15:45" in page
    assert "12:00" not in page
    # The zone is the request's only: the next one (or a test) starts again from the default.
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE


def test_i20_p16_a_paris_coordinator_reads_the_same_note_in_paris_time(signed_in: SignedIn) -> None:
    case = _case_with_a_note("Asia/Kathmandu")
    page = _notes_page(signed_in(factories.make_user(Role.COORDINATOR)), case)
    assert "01/06/2025 12:00" in page
    assert "15:45" not in page


def test_i20_p16_the_case_history_is_in_the_office_time_zone_too(signed_in: SignedIn) -> None:
    case = _case_with_a_note("Asia/Kathmandu")
    events = selectors.timeline(case, everything=False).events
    assert events
    at = events[0].at
    in_kathmandu = at.astimezone(zoneinfo.ZoneInfo("Asia/Kathmandu")).strftime("%d/%m/%Y %H:%M")
    in_paris = at.astimezone(zoneinfo.ZoneInfo("Europe/Paris")).strftime("%d/%m/%Y %H:%M")
    url = reverse("cases:case_detail", kwargs={"case_id": case.pk}) + "?onglet=historique"
    caseworker = factories.make_user(Role.CASEWORKER, office=case.office)
    page = signed_in(caseworker).get(url).content.decode()
    assert in_kathmandu in page
    assert in_paris not in page
    page = signed_in(factories.make_user(Role.COORDINATOR)).get(url).content.decode()
    assert in_paris in page
    assert in_kathmandu not in page


def test_i20_p16_the_time_zone_costs_no_query_of_its_own(signed_in: SignedIn) -> None:
    case = _case_with_a_note("Asia/Kathmandu")
    signed = signed_in(factories.make_user(Role.CASEWORKER, office=case.office))
    without = [name for name in settings.MIDDLEWARE if name != MIDDLEWARE]
    counts, pages = [], []
    for middleware in (settings.MIDDLEWARE, without):
        with override_settings(MIDDLEWARE=middleware):
            client = Client()  # a client loads its middleware once: a new one for each list, same session
            client.cookies = signed.cookies
            _notes_page(client, case)
            with CaptureQueriesContext(connection) as queries:
                pages.append(_notes_page(client, case))
            counts.append(len(queries))
    assert "15:45" in pages[0]
    assert "15:45" not in pages[1]  # the middleware is what shows Kathmandu time
    assert counts[0] == counts[1]
