"""Issue 23 over the API: what the offline app syncs through (record, missed, arrival delivery with
If-Match and the offline time), the other side of a conflict, and the merge stored with PUT."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from rest_framework.test import APIClient

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from careplus.access.roles import Role
from careplus.audit.models import AuditEvent
from careplus.cases.models import Case, CaseEvent
from careplus.returns import services
from careplus.returns.choices import VisitStatus
from careplus.returns.models import ArrivalItem, FollowUpAlert, Visit
from tests import factories
from tests.api.helpers import api_client

pytestmark = pytest.mark.django_db

RECORD = {
    "done_on": "2018-06-20",
    "mode": "in_person",
    "progress": "Le commerce a ouvert.",
    "notes": "Vu au marché.",
    "answers": {"eco_working": "yes", "psy_distress": "very_often"},
}


@pytest.fixture
def setup() -> tuple[Case, Visit, APIClient]:
    office = factories.make_office()
    case = factories.make_returned_case(office=office)
    visit = Visit.objects.filter(case=case).order_by("planned_on").first()
    assert visit is not None
    caseworker = factories.make_user(Role.CASEWORKER, office=office)
    Case.objects.filter(pk=case.pk).update(caseworker=caseworker)  # the file's own caseworker
    return case, visit, api_client(caseworker)


def _url(case: Case, visit: Visit, tail: str = "") -> str:
    return f"/api/v1/cases/{case.pk}/visits/{visit.pk}/{tail}"


def _offline(hours_ago: float = 20) -> str:
    zone = datetime.timezone(datetime.timedelta(hours=5, minutes=45))
    return (timezone.now() - datetime.timedelta(hours=hours_ago)).astimezone(zone).replace(microsecond=0).isoformat()


def _utc(text: str) -> str:
    return datetime.datetime.fromisoformat(text).astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _audit_fields(case: Case) -> list[str]:
    event = AuditEvent.objects.filter(object_id=str(case.pk), action="change").order_by("-seq").first()
    assert event is not None
    return event.field_names


def _stored(visit: Visit) -> Visit:
    return Visit.objects.select_related("case__data_key").get(pk=visit.pk)


def _snapshot(case: Case, visit: Visit) -> tuple[Any, ...]:
    stored = _stored(visit)
    return (
        stored.status,
        stored.version,
        stored.done_on,
        stored.notes,
        stored.answers,
        stored.missed_reason,
        FollowUpAlert.objects.filter(visit=visit).count(),
        CaseEvent.objects.filter(case=case).count(),
        AuditEvent.objects.filter(object_id=str(case.pk), action="change").count(),
    )


# --- Record with the offline time ----------------------------------------------------------------


def test_a_visit_recorded_offline_is_accepted_and_its_offline_time_audited(setup: Any) -> None:
    case, visit, client = setup
    offline_at = _offline()
    response = client.post(
        _url(case, visit, "record/"),
        {**RECORD, "recorded_offline_at": offline_at},
        format="json",
        HTTP_IF_MATCH=f'"{visit.version}"',
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "done"
    assert body["notes"] == "Vu au marché."
    assert body["answers"] == RECORD["answers"]
    assert response["ETag"] == f'"{visit.version + 1}"'
    assert f"recorded_offline_at:{_utc(offline_at)}" in _audit_fields(case)
    assert FollowUpAlert.objects.filter(visit=visit, item="psy_distress", resolved_at__isnull=True).count() == 1


@pytest.mark.parametrize(
    "offline_at",
    [
        (timezone.now() + datetime.timedelta(minutes=30)).isoformat(),  # device clock ahead
        (timezone.now() - datetime.timedelta(days=16)).isoformat(),  # package expired long ago
        "2026-11-30T10:00:00",  # no offset
        "yesterday",
    ],
    # Stable names: every pytest-xdist worker must collect the same tests.
    ids=["clock-ahead", "expired-package", "no-offset", "not-a-time"],
)
def test_a_bad_offline_time_is_refused_with_its_field_and_changes_nothing(setup: Any, offline_at: str) -> None:
    case, visit, client = setup
    before = _snapshot(case, visit)
    response = client.post(
        _url(case, visit, "record/"),
        {**RECORD, "recorded_offline_at": offline_at},
        format="json",
        HTTP_IF_MATCH=f'"{visit.version}"',
    )
    assert response.status_code == 400
    assert "recorded_offline_at" in response.json()["extra"]["fields"]
    assert response.json()["message"]
    assert _snapshot(case, visit) == before


def test_a_stale_record_answers_412_and_the_other_side_is_read_back(setup: Any) -> None:
    """The sync's conflict: the device's version is stale; GET gives the stored values field by field."""
    case, visit, client = setup
    taken_offline = f'"{visit.version}"'
    other = services.visit_record(
        actor=factories.system_user(),
        visit=visit,
        done_on=datetime.date(2018, 6, 19),
        mode="phone",
        progress="Saisi au bureau",
        notes="Appel",
        answers={"eco_working": "no"},
        expected_version=visit.version,
    )
    before = _snapshot(case, visit)
    stale = client.post(_url(case, visit, "record/"), RECORD, format="json", HTTP_IF_MATCH=taken_offline)
    assert stale.status_code == 412
    assert _snapshot(case, visit) == before
    theirs = client.get(_url(case, visit))
    assert theirs.status_code == 200
    assert theirs["ETag"] == f'"{other.version}"'
    body = theirs.json()
    assert {key: body[key] for key in ("status", "done_on", "mode", "progress", "notes", "answers", "version")} == {
        "status": "done",
        "done_on": "2018-06-19",
        "mode": "phone",
        "progress": "Saisi au bureau",
        "notes": "Appel",
        "answers": {"eco_working": "no"},
        "version": other.version,
    }


def test_a_planned_visit_reads_with_no_text_nor_answers(setup: Any) -> None:
    case, visit, client = setup
    body = client.get(_url(case, visit)).json()
    assert {key: body[key] for key in ("status", "progress", "notes", "answers")} == {
        "status": "planned",
        "progress": None,
        "notes": None,
        "answers": None,
    }
    listed = client.get(f"/api/v1/cases/{case.pk}/visits/")
    assert listed.status_code == 200
    assert {"progress", "notes", "answers"}.isdisjoint(listed.json()[0])  # texts only one visit at a time


# --- Missed ---------------------------------------------------------------------------------------


def test_a_visit_is_marked_missed_with_if_match_and_its_offline_time(setup: Any) -> None:
    case, visit, client = setup
    url = _url(case, visit, "missed/")
    body = {"reason": "Village inaccessible (pluies)", "recorded_offline_at": _offline()}
    before = _snapshot(case, visit)
    assert client.post(url, body, format="json").status_code == 428
    assert client.post(url, body, format="json", HTTP_IF_MATCH=f'"{visit.version + 1}"').status_code == 412
    blank = client.post(url, {"reason": "  "}, format="json", HTTP_IF_MATCH=f'"{visit.version}"')
    assert blank.status_code == 400
    assert "reason" in blank.json()["extra"]["fields"]
    too_long = client.post(url, {"reason": "x" * 301}, format="json", HTTP_IF_MATCH=f'"{visit.version}"')
    assert too_long.status_code == 400
    assert _snapshot(case, visit) == before
    done = client.post(url, body, format="json", HTTP_IF_MATCH=f'"{visit.version}"')
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "missed"
    assert done.json()["missed_reason"] == "Village inaccessible (pluies)"
    assert done["ETag"] == f'"{visit.version + 1}"'
    stored = _stored(visit)
    assert (stored.status, stored.missed_reason) == (VisitStatus.MISSED, "Village inaccessible (pluies)")
    fields = _audit_fields(case)
    assert "visits.status" in fields
    assert f"recorded_offline_at:{_utc(body['recorded_offline_at'])}" in fields
    again = client.post(url, body, format="json", HTTP_IF_MATCH=done["ETag"])
    assert again.status_code == 400
    assert again.json()["code"] == "rule_violation"


def test_another_offices_visit_answers_404(setup: Any) -> None:
    case, visit, _client = setup
    stranger = api_client(factories.make_user(Role.CASEWORKER, office=factories.make_office()))
    response = stranger.post(
        _url(case, visit, "missed/"), {"reason": "x"}, format="json", HTTP_IF_MATCH=f'"{visit.version}"'
    )
    assert response.status_code == 404
    assert _stored(visit).status == VisitStatus.PLANNED


# --- Arrival assistance ---------------------------------------------------------------------------


def _arrival(case: Case, kind: str = "shelter") -> ArrivalItem:
    return services.arrival_item_add(
        actor=factories.system_user(),
        case=case,
        kind=kind,
        details="Foyer partenaire",
        planned_on=datetime.date(2018, 5, 20),
        nights=2 if kind == "shelter" else None,
    )


def test_arrival_items_are_listed_without_who_and_where_in_constant_queries(setup: Any) -> None:
    case, _visit, client = setup
    url = f"/api/v1/cases/{case.pk}/arrival-items/"
    item = _arrival(case)
    client.get(url)  # the first call of a token settles its own bookkeeping
    with CaptureQueriesContext(connection) as one:
        response = client.get(url)
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": str(item.pk),
            "kind": "shelter",
            "kind_label": "Shelter",
            "planned_on": "2018-05-20",
            "delivered_on": None,
            "version": item.version,
        }
    ]
    for kind in ("airport_reception", "onward_transport", "shelter", "shelter"):
        _arrival(case, kind)
    with CaptureQueriesContext(connection) as five:
        response = client.get(url)
    assert len(response.json()) == 5
    assert len(five) <= len(one)


def test_arrival_items_list_stays_within_the_query_budget(setup: Any, django_assert_max_num_queries: Any) -> None:
    case, _visit, client = setup
    for kind in ("airport_reception", "onward_transport", "shelter", "shelter", "shelter"):
        _arrival(case, kind)
    url = f"/api/v1/cases/{case.pk}/arrival-items/"
    client.get(url)
    with django_assert_max_num_queries(20):
        assert len(client.get(url).json()) == 5


def test_an_arrival_assistance_is_delivered_with_if_match(setup: Any) -> None:
    case, _visit, client = setup
    item = _arrival(case)
    url = f"/api/v1/cases/{case.pk}/arrival-items/{item.pk}/deliver/"
    offline_at = _offline()
    body = {"delivered_on": "2018-05-21", "recorded_offline_at": offline_at}
    assert client.post(url, body, format="json").status_code == 428
    assert client.post(url, body, format="json", HTTP_IF_MATCH=f'"{item.version + 1}"').status_code == 412
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    refused = client.post(url, {"delivered_on": future}, format="json", HTTP_IF_MATCH=f'"{item.version}"')
    assert refused.status_code == 400
    assert "delivered_on" in refused.json()["extra"]["fields"]
    missing = client.post(url, {}, format="json", HTTP_IF_MATCH=f'"{item.version}"')
    assert missing.status_code == 400
    stored = ArrivalItem.objects.get(pk=item.pk)
    assert (stored.delivered_on, stored.version) == (None, item.version)
    done = client.post(url, body, format="json", HTTP_IF_MATCH=f'"{item.version}"')
    assert done.status_code == 200, done.json()
    assert done.json()["delivered_on"] == "2018-05-21"
    assert done.json()["version"] == item.version + 1
    assert done["ETag"] == f'"{item.version + 1}"'
    fields = _audit_fields(case)
    assert {"arrival_items.delivered_on", f"recorded_offline_at:{_utc(offline_at)}"} <= set(fields)
    again = client.post(url, {"delivered_on": "2018-05-22"}, format="json", HTTP_IF_MATCH=done["ETag"])
    assert again.status_code == 400
    assert ArrivalItem.objects.get(pk=item.pk).delivered_on == datetime.date(2018, 5, 21)


def test_an_auditor_cannot_deliver_an_arrival_assistance(setup: Any) -> None:
    case, _visit, _client = setup
    item = _arrival(case)
    auditor = api_client(factories.make_user(Role.AUDITOR))
    response = auditor.post(
        f"/api/v1/cases/{case.pk}/arrival-items/{item.pk}/deliver/",
        {"delivered_on": "2018-05-21"},
        format="json",
        HTTP_IF_MATCH=f'"{item.version}"',
    )
    assert response.status_code == 404
    assert ArrivalItem.objects.get(pk=item.pk).delivered_on is None


# --- The merge ------------------------------------------------------------------------------------


def _recorded_by_office(visit: Visit) -> Visit:
    return services.visit_record(
        actor=factories.system_user(),
        visit=visit,
        done_on=datetime.date(2018, 6, 19),
        mode="phone",
        progress="Saisi au bureau",
        notes="Appel",
        answers={"eco_working": "no"},
        expected_version=visit.version,
    )


def test_the_merge_is_stored_over_the_version_just_read(setup: Any) -> None:
    case, visit, client = setup
    other = _recorded_by_office(visit)
    # the device's record met the office's version (412); the user merged field by field
    offline_at = _offline()
    merged: dict[str, Any] = {
        "outcome": "done",
        "done_on": "2018-06-20",  # the device's date
        "mode": "phone",  # the office's mode
        "progress": "Saisi au bureau",
        "notes": "Appel. Vu au marché.",
        "answers": {"eco_working": "no", "psy_distress": "very_often"},
        "recorded_offline_at": offline_at,
    }
    url = _url(case, visit)
    before = _snapshot(case, visit)
    assert client.put(url, merged, format="json").status_code == 428
    assert client.put(url, merged, format="json", HTTP_IF_MATCH=f'"{other.version - 1}"').status_code == 412
    assert _snapshot(case, visit) == before
    response = client.put(url, merged, format="json", HTTP_IF_MATCH=f'"{other.version}"')
    assert response.status_code == 200, response.json()
    body = response.json()
    assert response["ETag"] == f'"{other.version + 1}"'
    assert (body["done_on"], body["mode"], body["notes"], body["answers"]) == (
        "2018-06-20",
        "phone",
        "Appel. Vu au marché.",
        {"eco_working": "no", "psy_distress": "very_often"},
    )
    assert body["scores"]["psychosocial"] == "0.0000"
    stored = _stored(visit)
    assert stored.notes == "Appel. Vu au marché."
    assert stored.answers == {"eco_working": "no", "psy_distress": "very_often"}
    assert FollowUpAlert.objects.filter(visit=visit, item="psy_distress").count() == 1
    fields = set(_audit_fields(case))
    assert {"visits.done_on", "visits.notes", "visits.answers", "visits.scores", "visits.alerts"} <= fields
    assert f"recorded_offline_at:{_utc(offline_at)}" in fields
    assert "visits.mode" not in fields
    assert "visits.progress" not in fields
    assert CaseEvent.objects.filter(case=case, kind="visit_corrected").count() == 1
    # the same merge sent twice: the second is stale
    assert client.put(url, merged, format="json", HTTP_IF_MATCH=f'"{other.version}"').status_code == 412


def test_the_merge_may_keep_the_missed_side(setup: Any) -> None:
    case, visit, client = setup
    other = _recorded_by_office(visit)
    response = client.put(
        _url(case, visit),
        {"outcome": "missed", "reason": "Personne absente", "notes": "Voisins rencontrés"},
        format="json",
        HTTP_IF_MATCH=f'"{other.version}"',
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["missed_reason"], body["done_on"], body["scores"]) == (
        "missed",
        "Personne absente",
        None,
        None,
    )
    assert body["answers"] == {}
    assert _stored(visit).notes == "Voisins rencontrés"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "missed"}, "reason"),
        ({"outcome": "missed", "reason": "x", "done_on": "2018-06-20"}, "done_on"),
        ({"outcome": "missed", "reason": "x", "answers": {"eco_working": "yes"}}, "answers"),
        ({**RECORD, "outcome": "done", "reason": "x"}, "reason"),
        ({**RECORD, "outcome": "done", "answers": {"bogus": "x"}}, "answers"),
        ({**RECORD, "outcome": "done", "answers": {"eco_working": "perhaps"}}, "q_eco_working"),
        ({**RECORD, "outcome": "done", "done_on": None}, "done_on"),
        ({**RECORD, "outcome": "done", "mode": ""}, "mode"),
        ({**RECORD, "outcome": "cancelled"}, "outcome"),
        ({**RECORD, "outcome": "done", "recorded_offline_at": "2026-11-30T10:00:00"}, "recorded_offline_at"),
    ],
)
def test_a_bad_merge_is_refused_with_its_field_and_changes_nothing(
    setup: Any, body: dict[str, Any], field: str
) -> None:
    case, visit, client = setup
    other = _recorded_by_office(visit)
    before = _snapshot(case, visit)
    response = client.put(_url(case, visit), body, format="json", HTTP_IF_MATCH=f'"{other.version}"')
    assert response.status_code == 400, response.json()
    assert field in response.json()["extra"]["fields"]
    assert _snapshot(case, visit) == before


def test_a_merge_after_the_12_month_limit_is_refused(setup: Any) -> None:
    case, visit, client = setup
    other = _recorded_by_office(visit)
    before = _snapshot(case, visit)
    response = client.put(
        _url(case, visit),
        {**RECORD, "outcome": "done", "done_on": "2019-05-21"},
        format="json",
        HTTP_IF_MATCH=f'"{other.version}"',
    )
    assert response.status_code == 400
    assert response.json()["code"] == "rule_violation"
    assert _snapshot(case, visit) == before


def test_a_planned_visit_is_not_merged_but_recorded(setup: Any) -> None:
    case, visit, client = setup
    before = _snapshot(case, visit)
    response = client.put(
        _url(case, visit), {**RECORD, "outcome": "done"}, format="json", HTTP_IF_MATCH=f'"{visit.version}"'
    )
    assert response.status_code == 400
    assert response.json()["code"] == "rule_violation"
    assert _snapshot(case, visit) == before


def test_an_auditor_cannot_merge(setup: Any) -> None:
    case, visit, _client = setup
    other = _recorded_by_office(visit)
    auditor = api_client(factories.make_user(Role.AUDITOR))
    response = auditor.put(
        _url(case, visit), {"outcome": "missed", "reason": "x"}, format="json", HTTP_IF_MATCH=f'"{other.version}"'
    )
    assert response.status_code == 404
    assert _stored(visit).status == VisitStatus.DONE


def test_a_visit_answered_on_a_retired_questionnaire_is_scored_with_that_version(setup: Any) -> None:
    """Issue 23, bad input: the questionnaire version taken offline was replaced meanwhile."""
    from careplus.core import instruments
    from careplus.core.models import Instrument
    from careplus.returns import sustainability

    case, visit, client = setup
    taken = instruments.current(sustainability.INSTRUMENT)
    newer = Instrument.objects.create(
        kind=taken.kind,
        version=f"{taken.version}-next",
        label=taken.label,
        data=taken.data,
        status=Instrument.Status.APPROVED,
        effective_from=timezone.localdate(),
    )
    assert instruments.current(sustainability.INSTRUMENT) == newer

    response = client.post(
        _url(case, visit, "record/"),
        {**RECORD, "recorded_offline_at": _offline(), "instrument_id": taken.pk},
        format="json",
        HTTP_IF_MATCH=f'"{visit.version}"',
    )

    assert response.status_code == 200, response.json()
    assert _stored(visit).instrument_id == taken.pk
    assert _stored(visit).score_composite is not None


def test_an_unknown_questionnaire_version_is_refused_and_changes_nothing(setup: Any) -> None:
    case, visit, client = setup
    before = _snapshot(case, visit)

    response = client.post(
        _url(case, visit, "record/"),
        {**RECORD, "instrument_id": 999_999},
        format="json",
        HTTP_IF_MATCH=f'"{visit.version}"',
    )

    assert response.status_code == 400
    assert "instrument_id" in str(response.json())
    assert _snapshot(case, visit) == before


def test_a_questionnaire_version_retired_long_ago_is_refused(setup: Any) -> None:
    """Only a version in force within the last 15 days (an offline package's life) scores a visit."""
    from careplus.core import instruments
    from careplus.core.models import Instrument
    from careplus.returns import sustainability

    case, visit, client = setup
    current = instruments.current(sustainability.INSTRUMENT)

    def version(name: str, days_ago: int) -> Instrument:
        return Instrument.objects.create(
            kind=current.kind,
            version=name,
            label=current.label,
            data=current.data,
            status=Instrument.Status.APPROVED,
            effective_from=timezone.localdate() - datetime.timedelta(days=days_ago),
        )

    old = version("old", 60)  # replaced 20 days ago: no package taken under it can still be synced
    version("then", 20)
    before = _snapshot(case, visit)

    response = client.post(
        _url(case, visit, "record/"),
        {**RECORD, "instrument_id": old.pk},
        format="json",
        HTTP_IF_MATCH=f'"{visit.version}"',
    )

    assert response.status_code == 400
    assert "instrument_id" in str(response.json())
    assert _snapshot(case, visit) == before


def test_the_merge_must_name_the_version_it_read(setup: Any) -> None:
    case, visit, client = setup
    services.visit_mark_missed(actor=factories.system_user(), visit=visit, reason="Absente")
    stored = _stored(visit)

    response = client.put(
        _url(case, visit), {"outcome": "missed", "reason": "Partie"}, format="json", HTTP_IF_MATCH="*"
    )

    assert response.status_code == 428
    assert _stored(visit).missed_reason == stored.missed_reason


def test_the_list_of_visits_carries_no_text_of_them(setup: Any) -> None:
    case, visit, client = setup
    services.visit_mark_missed(actor=factories.system_user(), visit=visit, reason="Absente")

    listed = client.get(f"/api/v1/cases/{case.pk}/visits/").json()

    assert {"progress", "notes", "answers", "missed_reason"}.isdisjoint(listed[0])
