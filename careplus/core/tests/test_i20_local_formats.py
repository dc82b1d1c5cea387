"""Dates, numbers and times as each language and office writes them (issue 20, points 12, 13, 16)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal

import pytest

from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation

from careplus.access.roles import Role
from careplus.accounts.models import Office, User
from careplus.programmes.models import Programme
from careplus.returns.choices import ItemStatus, VisitStatus
from careplus.returns.models import FollowUpAlert, Visit
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]
PROGRAMME = {
    "name": "CARE+ 2030",
    "funder": "FAMI",
    "co_funders": "",
    "target_beneficiaries": "20",
    "target_trainings": "6",
    "target_professionals": "120",
    "budget": "300000.00",
    "ceiling_per_beneficiary": "2500.00",
}


def _in(language: str, client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _text(html: str) -> str:
    """The page as read: tags dropped, every kind of space one plain space."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", re.sub(r"<[^>]+>", " ", html))


# --- 12: dates typed day first, and the expected format said next to every date field ------------


@pytest.mark.parametrize("language", ["en", "fr"])
def test_i20_p12_a_date_typed_03_04_1990_is_3_april_in_both_languages(signed_in: SignedIn, language: str) -> None:
    client = _in(language, signed_in(factories.make_user(Role.COORDINATOR)))
    data = {**PROGRAMME, "starts_on": "03/04/2030", "ends_on": "31/12/2030"}
    assert client.post(reverse("programmes:programme_create"), data).status_code == 302
    programme = Programme.objects.get(name="CARE+ 2030")
    assert programme.starts_on == datetime.date(2030, 4, 3)
    assert programme.ends_on == datetime.date(2030, 12, 31)


def test_i20_p12_iso_dates_from_the_date_picker_are_still_accepted_in_english(signed_in: SignedIn) -> None:
    client = _in("en", signed_in(factories.make_user(Role.COORDINATOR)))
    data = {**PROGRAMME, "starts_on": "2030-04-03", "ends_on": "2030-12-31"}
    assert client.post(reverse("programmes:programme_create"), data).status_code == 302
    assert Programme.objects.get(name="CARE+ 2030").starts_on == datetime.date(2030, 4, 3)


def test_i20_p12_a_us_order_date_is_refused_with_the_field_message_and_nothing_saved(signed_in: SignedIn) -> None:
    client = _in("en", signed_in(factories.make_user(Role.COORDINATOR)))
    data = {**PROGRAMME, "starts_on": "03/04/2030", "ends_on": "12/31/2030"}
    response = client.post(reverse("programmes:programme_create"), data)
    assert response.status_code == 400
    assert "Enter a valid date." in response.content.decode()
    assert not Programme.objects.filter(name="CARE+ 2030").exists()


@pytest.mark.parametrize(("language", "hint"), [("en", "Format: dd/mm/yyyy"), ("fr", "Format : jj/mm/aaaa")])
def test_i20_p12_every_date_field_says_its_expected_format(signed_in: SignedIn, language: str, hint: str) -> None:
    client = _in(language, signed_in(factories.make_user(Role.COORDINATOR)))
    html = client.get(reverse("programmes:programme_create")).content.decode()
    for name in ("starts_on", "ends_on"):
        field = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
        assert field is not None
        assert f'aria-describedby="id_{name}_format"' in field.group(0)
        assert re.search(rf'id="id_{name}_format">{re.escape(hint)}', html)
    # The dashboard's hand-written period filter says it too.
    factories.make_programme()
    dashboard = client.get(reverse("reporting:dashboard")).content.decode()
    for name in ("start", "end"):
        assert re.search(rf'<input[^>]*name="{name}"[^>]*aria-describedby="id_{name}_format"', dashboard)
        assert re.search(rf'id="id_{name}_format">{re.escape(hint)}', dashboard)
    # A field that is not a date carries no date hint.
    name_field = re.search(r'<input[^>]*name="name"[^>]*>', html)
    assert name_field is not None
    assert "_format" not in name_field.group(0)


def test_i20_p12_dates_shown_in_english_are_day_first() -> None:
    with translation.override("en"):
        assert formats.date_format(datetime.date(2030, 4, 3), "SHORT_DATE_FORMAT") == "03/04/2030"


# --- 13: scores and amounts with the decimal comma in French ------------------------------------


def _case_with_scores_and_an_amount() -> tuple[str, User]:
    case = factories.make_returned_case()
    visit = Visit.objects.filter(case=case).order_by("planned_on").first()
    assert visit is not None
    scores: dict[str, str | bool] = {"economic": "0.8750", "social": "0.5000", "psychosocial": "1.0000"}
    scores |= {"composite": "0.7917", "partial": False, "weighted": False}
    Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.DONE, done_on=visit.planned_on, scores=scores)
    factories.make_plan_item(case, status=ItemStatus.APPROVED)
    return str(case.pk), factories.make_user(Role.COORDINATOR)


def test_i20_p13_french_pages_write_scores_and_amounts_with_the_decimal_comma(signed_in: SignedIn) -> None:
    case_id, coordinator = _case_with_scores_and_an_amount()
    html = signed_in(coordinator).get(reverse("returns:overview", kwargs={"case_id": case_id})).content.decode()
    text = _text(html)
    assert "0,88" in text
    assert "0,79" in text
    assert "1,00" in text
    assert "0.8750" not in text
    assert "0,8750" not in text
    assert "0.88" not in text
    assert "1 634,39" in text
    assert "Planned 1 634,39" in text or "Prévu 1 634,39" in text or "1 634,39 €" in text
    # The delivery form's cost is a text box read by the money parser: it shows the French form.
    assert 'name="actual_cost"' in html
    assert 'value="1\xa0634,39"' in html


def test_i20_p13_the_programme_list_writes_budgets_with_grouping_and_the_decimal_comma(signed_in: SignedIn) -> None:
    factories.make_programme(budget=Decimal("300000.00"))
    text = _text(
        signed_in(factories.make_user(Role.COORDINATOR)).get(reverse("programmes:programme_list")).content.decode()
    )
    assert "300 000,00" in text


def test_i20_p13_english_pages_write_the_decimal_point(signed_in: SignedIn) -> None:
    case_id, coordinator = _case_with_scores_and_an_amount()
    client = _in("en", signed_in(coordinator))
    text = _text(client.get(reverse("returns:overview", kwargs={"case_id": case_id})).content.decode())
    assert "0.88" in text
    assert "1,634.39" in text
    assert "0.8750" not in text


# --- 16: the inbox shows an alert's date as a local date ----------------------------------------


def _alert_at(created_at: datetime.datetime, office_zone: str | None = None) -> User:
    case = factories.make_returned_case()
    assert case.office is not None
    if office_zone:
        Office.objects.filter(pk=case.office.pk).update(time_zone=office_zone)
    visit = Visit.objects.filter(case=case).first()
    assert visit is not None
    alert = FollowUpAlert.objects.create(case=case, visit=visit, item="psy_distress")
    FollowUpAlert.objects.filter(pk=alert.pk).update(created_at=created_at)
    return factories.make_user(Role.CASEWORKER, office=case.office)


def _alert_line(html: str) -> str:
    section = html.split('id="inbox-alerts"', 1)[1].split("</ul>", 1)[0]
    return _text(section)


def test_i20_p16_an_alert_raised_at_2330_utc_on_31_december_is_dated_1_january_in_paris(
    signed_in: SignedIn,
) -> None:
    caseworker = _alert_at(datetime.datetime(2025, 12, 31, 23, 30, tzinfo=datetime.UTC))
    html = signed_in(caseworker).get(reverse("home:home")).content.decode()
    line = _alert_line(html)
    assert "01/01/2026" in line
    assert "31/12/2025" not in line


def test_i20_p16_a_return_office_reads_the_alert_in_its_own_time_zone(signed_in: SignedIn) -> None:
    # 20:30 UTC on 31 December is already 1 January in Kathmandu (UTC+5:45), still 31 December in Paris.
    caseworker = _alert_at(datetime.datetime(2025, 12, 31, 20, 30, tzinfo=datetime.UTC), office_zone="Asia/Kathmandu")
    line = _alert_line(signed_in(caseworker).get(reverse("home:home")).content.decode())
    assert "01/01/2026" in line
    coordinator = factories.make_user(Role.COORDINATOR)
    assert "31/12/2025" in _alert_line(signed_in(coordinator).get(reverse("home:home")).content.decode())
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE
