"""Issue 23, the server side of offline sync: offline times in the audit, arrival delivery with a version,
and the correction of a visit after a conflict (scores again, alerts never twice, never one removed)."""

from __future__ import annotations

import datetime

import pytest

from django.utils import timezone, translation

from careplus.access import rules
from careplus.access.roles import Role
from careplus.audit.models import AuditEvent
from careplus.cases.choices import CaseStatus
from careplus.cases.events import describe
from careplus.cases.models import Case, CaseEvent
from careplus.core.errors import RuleViolation
from careplus.core.locking import StaleEdit
from careplus.returns import services
from careplus.returns.choices import VisitStatus
from careplus.returns.models import ArrivalItem, FollowUpAlert, Visit
from tests import factories

pytestmark = pytest.mark.django_db

DONE_ON = datetime.date(2018, 6, 20)
DISTRESS = {"psy_distress": "very_often", "eco_working": "yes"}


def _visit(case: Case) -> Visit:
    """The first visit of the file, whose caseworker is the user these tests act as."""
    Case.objects.filter(pk=case.pk).update(caseworker=factories.system_user())
    case.caseworker = factories.system_user()
    visit = Visit.objects.filter(case=case).order_by("planned_on").first()
    assert visit is not None
    visit.case = case
    return visit


def _fresh(visit: Visit) -> Visit:
    return Visit.objects.select_related("case__data_key").get(pk=visit.pk)


def _last_audit(case: Case) -> AuditEvent:
    event = AuditEvent.objects.filter(object_id=str(case.pk)).order_by("-seq").first()
    assert event is not None
    return event


def _offline(hours_ago: float = 30) -> datetime.datetime:
    """A time on the device offline, with its own offset (Kathmandu, +05:45)."""
    zone = datetime.timezone(datetime.timedelta(hours=5, minutes=45))
    moment = timezone.now() - datetime.timedelta(hours=hours_ago)
    return moment.astimezone(zone).replace(microsecond=0)


def _utc(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _recorded(case: Case, answers: dict[str, str] | None = None) -> Visit:
    visit = _visit(case)
    return services.visit_record(
        actor=factories.system_user(),
        visit=visit,
        done_on=DONE_ON,
        mode="phone",
        progress="Atelier ouvert",
        notes="RAS",
        answers=answers if answers is not None else dict(DISTRESS),
        expected_version=visit.version,
    )


# --- Offline time -----------------------------------------------------------------------------


def test_a_visit_recorded_offline_keeps_its_offline_time_in_the_audit_and_the_timeline() -> None:
    case = factories.make_returned_case()
    visit = _visit(case)
    offline_at = _offline(hours_ago=50)
    services.visit_record(
        actor=factories.system_user(),
        visit=visit,
        done_on=DONE_ON,
        mode="in_person",
        progress="ok",
        notes="",
        answers={},
        expected_version=visit.version,
        recorded_offline_at=offline_at,
    )
    audit = _last_audit(case)
    assert f"recorded_offline_at:{_utc(offline_at)}" in audit.field_names
    assert {"visits.answers", "visits.notes"} <= set(audit.field_names)
    assert audit.changes == []  # a time, not a change of value: the event's own time is the sync's
    event = CaseEvent.objects.filter(case=case).order_by("-at", "-id").first()
    assert event is not None
    assert event.params["recorded_offline_at"] == _utc(offline_at)
    shown_day = timezone.localtime(offline_at).strftime("%d/%m/%Y")
    with translation.override("en"):
        assert describe(event.kind, event.params) == f"Follow-up visit saved. Recorded offline on {shown_day}."


def test_an_entry_made_online_says_nothing_of_offline() -> None:
    case = factories.make_returned_case()
    _recorded(case, answers={})
    assert not [name for name in _last_audit(case).field_names if name.startswith("recorded_offline_at")]
    event = CaseEvent.objects.filter(case=case).order_by("-at", "-id").first()
    assert event is not None
    assert "recorded_offline_at" not in event.params
    with translation.override("en"):
        assert describe(event.kind, event.params) == "Follow-up visit saved."


@pytest.mark.parametrize(
    ("offset", "refused"),
    [
        (datetime.timedelta(minutes=4), False),
        (datetime.timedelta(minutes=6), True),
        (-datetime.timedelta(days=14, hours=23), False),
        (-datetime.timedelta(days=15, minutes=1), True),
    ],
)
def test_the_offline_time_is_at_most_5_minutes_ahead_and_15_days_old(offset: datetime.timedelta, refused: bool) -> None:
    now = timezone.now()
    if refused:
        with pytest.raises(RuleViolation):
            services.check_recorded_offline_at(now + offset, now=now)
    else:
        services.check_recorded_offline_at(now + offset, now=now)


def test_an_offline_time_without_its_offset_is_refused() -> None:
    with pytest.raises(RuleViolation):
        services.check_recorded_offline_at(datetime.datetime(2026, 11, 30, 10, 0))  # noqa: DTZ001 the point


@pytest.mark.parametrize("offline_at", ["future", "old"])
def test_a_refused_offline_time_changes_nothing(offline_at: str) -> None:
    case = factories.make_returned_case()
    visit = _visit(case)
    moment = timezone.now() + (datetime.timedelta(hours=1) if offline_at == "future" else -datetime.timedelta(days=16))
    audits, events = AuditEvent.objects.count(), CaseEvent.objects.filter(case=case).count()
    with pytest.raises(RuleViolation):
        services.visit_mark_missed(
            actor=factories.system_user(),
            visit=visit,
            reason="Injoignable",
            expected_version=visit.version,
            recorded_offline_at=moment,
        )
    stored = _fresh(visit)
    assert (stored.status, stored.version) == (VisitStatus.PLANNED, visit.version)
    assert AuditEvent.objects.count() == audits
    assert CaseEvent.objects.filter(case=case).count() == events


def test_a_missed_visit_recorded_offline_is_audited_with_its_time() -> None:
    case = factories.make_returned_case()
    visit = _visit(case)
    offline_at = _offline()
    services.visit_mark_missed(
        actor=factories.system_user(),
        visit=visit,
        reason="Village inaccessible",
        expected_version=visit.version,
        recorded_offline_at=offline_at,
    )
    stored = _fresh(visit)
    assert (stored.status, stored.missed_reason, stored.version) == (
        VisitStatus.MISSED,
        "Village inaccessible",
        visit.version + 1,
    )
    assert f"recorded_offline_at:{_utc(offline_at)}" in _last_audit(case).field_names


# --- Arrival assistance -------------------------------------------------------------------------


def _arrival(case: Case) -> ArrivalItem:
    return services.arrival_item_add(
        actor=factories.system_user(),
        case=case,
        kind="shelter",
        details="Foyer partenaire",
        planned_on=datetime.date(2018, 5, 20),
        nights=3,
    )


def test_an_arrival_assistance_is_delivered_against_its_version_and_audited_offline() -> None:
    case = factories.make_returned_case()
    item = _arrival(case)
    offline_at = _offline()
    delivered = services.arrival_item_deliver(
        actor=factories.system_user(),
        item=item,
        delivered_on=datetime.date(2018, 5, 21),
        expected_version=item.version,
        recorded_offline_at=offline_at,
    )
    stored = ArrivalItem.objects.get(pk=item.pk)
    assert (stored.delivered_on, stored.version) == (datetime.date(2018, 5, 21), item.version + 1)
    assert delivered.version == stored.version
    audit = _last_audit(case)
    assert {"arrival_items.delivered_on", f"recorded_offline_at:{_utc(offline_at)}"} <= set(audit.field_names)


def test_a_stale_arrival_delivery_is_refused_and_changes_nothing() -> None:
    case = factories.make_returned_case()
    item = _arrival(case)
    with pytest.raises(StaleEdit):
        services.arrival_item_deliver(
            actor=factories.system_user(),
            item=item,
            delivered_on=datetime.date(2018, 5, 21),
            expected_version=item.version + 1,
        )
    stored = ArrivalItem.objects.get(pk=item.pk)
    assert (stored.delivered_on, stored.version) == (None, item.version)


def test_an_arrival_assistance_is_delivered_once() -> None:
    case = factories.make_returned_case()
    item = _arrival(case)
    item = services.arrival_item_deliver(
        actor=factories.system_user(), item=item, delivered_on=datetime.date(2018, 5, 21)
    )
    with pytest.raises(RuleViolation):
        services.arrival_item_deliver(
            actor=factories.system_user(),
            item=item,
            delivered_on=datetime.date(2018, 5, 22),
            expected_version=item.version,
        )
    assert ArrivalItem.objects.get(pk=item.pk).delivered_on == datetime.date(2018, 5, 21)


# --- Correction after a conflict -----------------------------------------------------------------


def test_the_correction_rule_needs_a_recorded_visit_and_the_right_to_edit() -> None:
    office = factories.make_office()
    case = factories.make_returned_case(office=office)
    caseworker = factories.make_user(Role.CASEWORKER, office=office)
    auditor = factories.make_user(Role.AUDITOR)
    planned = _visit(case)  # the file's caseworker: system_user
    assert not rules.visit_correctable(factories.system_user(), planned)
    done = _recorded(case)
    assert rules.visit_correctable(factories.system_user(), done)
    assert not rules.visit_correctable(caseworker, done)  # a colleague of the office: not a side of the conflict
    assert not rules.visit_correctable(auditor, done)


def test_a_merged_visit_is_stored_scored_again_and_alerts_are_not_raised_twice() -> None:
    case = factories.make_returned_case()
    visit = _recorded(case)  # raises the distress alert
    alert = FollowUpAlert.objects.get(visit=visit, item="psy_distress")
    services.alert_resolve(actor=factories.system_user(), alert=alert)
    before_scores = dict(visit.scores or {})
    offline_at = _offline()
    corrected = services.visit_correct(
        actor=factories.system_user(),
        visit=visit,
        expected_version=visit.version,
        outcome="done",
        done_on=datetime.date(2018, 6, 21),
        mode="in_person",
        progress="Atelier ouvert",
        notes="Notes du terrain, gardées",
        answers={"psy_distress": "very_often", "psy_support_wanted": "yes", "eco_working": "no"},
        recorded_offline_at=offline_at,
    )
    stored = _fresh(visit)
    assert stored.version == visit.version + 1 == corrected.version
    assert (stored.status, stored.done_on, stored.mode) == (VisitStatus.DONE, datetime.date(2018, 6, 21), "in_person")
    assert stored.notes == "Notes du terrain, gardées"
    assert stored.answers == {"psy_distress": "very_often", "psy_support_wanted": "yes", "eco_working": "no"}
    assert stored.scores is not None
    assert stored.scores != before_scores
    assert stored.scores["economic"] == "0.0000"
    assert stored.score_economic is not None
    assert stored.score_economic == 0
    # the resolved alert stays resolved and is not raised again; the new alerting answer raises its own
    alerts = {a.item: a for a in FollowUpAlert.objects.filter(visit=visit)}
    assert sorted(alerts) == ["psy_distress", "psy_support_wanted"]
    assert alerts["psy_distress"].pk == alert.pk
    assert alerts["psy_distress"].resolved_at is not None
    assert alerts["psy_support_wanted"].resolved_at is None
    audit = _last_audit(case)
    assert set(audit.field_names) == {
        "visits.done_on",
        "visits.mode",
        "visits.notes",
        "visits.answers",
        "visits.scores",
        "visits.alerts",
        f"recorded_offline_at:{_utc(offline_at)}",
    }
    assert "gardées" not in audit.fields
    event = CaseEvent.objects.filter(case=case).order_by("-at", "-id").first()
    assert event is not None
    assert event.kind == "visit_corrected"
    with translation.override("en"):
        assert describe(event.kind, event.params).startswith("Follow-up visit corrected after a conflict.")


def test_correcting_with_the_same_alerting_answer_adds_no_alert() -> None:
    case = factories.make_returned_case()
    visit = _recorded(case)
    services.visit_correct(
        actor=factories.system_user(),
        visit=visit,
        expected_version=visit.version,
        outcome="done",
        done_on=DONE_ON,
        mode="phone",
        progress="Atelier ouvert",
        notes="Autre note",
        answers=dict(DISTRESS),
    )
    assert FollowUpAlert.objects.filter(visit=visit).count() == 1
    assert set(_last_audit(case).field_names) == {"visits.notes"}


def test_a_visit_done_corrected_to_missed_loses_its_answers_and_scores_but_keeps_its_alerts() -> None:
    case = factories.make_returned_case()
    visit = _recorded(case)
    services.visit_correct(
        actor=factories.system_user(),
        visit=visit,
        expected_version=visit.version,
        outcome="missed",
        progress="",
        notes="Personne absente",
        reason="Injoignable",
    )
    stored = _fresh(visit)
    assert (stored.status, stored.missed_reason, stored.done_on, stored.mode) == (
        VisitStatus.MISSED,
        "Injoignable",
        None,
        "",
    )
    assert stored.answers == {}
    assert stored.scores is None
    assert stored.score_composite is None
    assert stored.instrument is None
    assert stored.notes == "Personne absente"
    assert FollowUpAlert.objects.filter(visit=visit).count() == 1
    assert "visits.status" in _last_audit(case).field_names


def test_a_missed_visit_corrected_to_done_is_scored_and_alerts() -> None:
    case = factories.make_returned_case()
    visit = _visit(case)
    visit = services.visit_mark_missed(
        actor=factories.system_user(), visit=visit, reason="Injoignable", expected_version=visit.version
    )
    services.visit_correct(
        actor=factories.system_user(),
        visit=visit,
        expected_version=visit.version,
        outcome="done",
        done_on=DONE_ON,
        mode="phone",
        progress="Joint finalement",
        answers=dict(DISTRESS),
    )
    stored = _fresh(visit)
    assert (stored.status, stored.missed_reason) == (VisitStatus.DONE, "")
    assert stored.scores is not None
    assert stored.scores["psychosocial"] == "0.0000"
    assert stored.conducted_by == factories.system_user()
    assert FollowUpAlert.objects.filter(visit=visit, item="psy_distress").count() == 1


def test_a_missed_correction_needs_its_reason() -> None:
    case = factories.make_returned_case()
    visit = _recorded(case)
    with pytest.raises(RuleViolation):
        services.visit_correct(
            actor=factories.system_user(), visit=visit, expected_version=visit.version, outcome="missed", reason=" "
        )
    assert _fresh(visit).status == VisitStatus.DONE


def _unchanged(visit: Visit) -> None:
    stored = _fresh(visit)
    assert (stored.status, stored.version, stored.done_on, stored.notes) == (
        visit.status,
        visit.version,
        visit.done_on,
        visit.notes,
    )


def test_a_planned_visit_is_not_corrected() -> None:
    case = factories.make_returned_case()
    visit = _visit(case)
    with pytest.raises(RuleViolation):
        services.visit_correct(
            actor=factories.system_user(),
            visit=visit,
            expected_version=visit.version,
            outcome="done",
            done_on=DONE_ON,
            mode="phone",
            progress="x",
        )
    _unchanged(visit)


def test_a_correction_after_the_12_month_limit_is_refused() -> None:
    case = factories.make_returned_case()
    visit = _recorded(case)
    with pytest.raises(RuleViolation):
        services.visit_correct(
            actor=factories.system_user(),
            visit=visit,
            expected_version=visit.version,
            outcome="done",
            done_on=datetime.date(2019, 5, 21),
            mode="phone",
            progress="Atelier ouvert",
            notes="changed",
            answers=dict(DISTRESS),
        )
    _unchanged(visit)


def test_a_correction_on_a_closed_file_is_refused() -> None:
    case = factories.make_returned_case()
    visit = _recorded(case)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED)
    with pytest.raises(RuleViolation):
        services.visit_correct(
            actor=factories.system_user(),
            visit=visit,
            expected_version=visit.version,
            outcome="missed",
            reason="Injoignable",
        )
    _unchanged(visit)


def test_a_stale_correction_is_refused() -> None:
    case = factories.make_returned_case()
    visit = _recorded(case)
    for expected in (visit.version - 1, visit.version + 1):
        with pytest.raises(StaleEdit):
            services.visit_correct(
                actor=factories.system_user(),
                visit=visit,
                expected_version=expected,
                outcome="missed",
                reason="Injoignable",
            )
    _unchanged(visit)


def test_a_correction_by_someone_who_may_not_edit_is_refused() -> None:
    case = factories.make_returned_case()
    visit = _recorded(case)
    with pytest.raises(RuleViolation):
        services.visit_correct(
            actor=factories.make_user(Role.AUDITOR),
            visit=visit,
            expected_version=visit.version,
            outcome="missed",
            reason="Injoignable",
        )
    _unchanged(visit)


def test_only_the_files_caseworker_or_the_visits_author_corrects_it() -> None:
    case = factories.make_returned_case()
    visit = _recorded(case)
    colleague = factories.make_user(Role.CASEWORKER, office=case.office)

    with pytest.raises(RuleViolation):
        services.visit_correct(
            actor=colleague, visit=_fresh(visit), expected_version=visit.version, outcome="missed", reason="Partie"
        )

    assert _fresh(visit).status == VisitStatus.DONE
