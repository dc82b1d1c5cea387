"""The dashboard (issue 24): which programme it opens on, its queries compiled once, no more queries."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from careplus.access import compiled
from careplus.access.roles import Action, Role
from careplus.access.scopes import programmes_listed_for
from careplus.accounts.models import User
from careplus.reporting import figures, periods
from careplus.reporting.templatetags.report_figures import block_section
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def _shown(client: Client, query: str = "") -> str:
    page = client.get(reverse("reporting:dashboard") + query).content.decode()
    return page.split("<h1>", 1)[1].split("</h1>", 1)[0]


def test_the_dashboard_opens_on_the_programme_asked_else_the_latest_running_else_the_latest(
    signed_in: SignedIn,
) -> None:
    today = timezone.localdate()
    year = datetime.timedelta(days=365)
    older = factories.make_programme(name="Ancien programme", starts_on=today - 3 * year, ends_on=today + year)
    running = factories.make_programme(name="Programme en cours", starts_on=today - year, ends_on=today + year)
    factories.make_programme(name="Programme à venir", starts_on=today + year, ends_on=today + 2 * year)
    client = signed_in(factories.make_user(Role.COORDINATOR))
    assert "Programme en cours" in _shown(client)
    assert "Ancien programme" in _shown(client, f"?programme={older.pk}")
    # An id that names no programme, or no id at all, opens the default one: nothing else is read.
    assert "Programme en cours" in _shown(client, "?programme=not-an-id")
    assert "Programme en cours" in _shown(client, "?programme=6f1c0c3e-0000-4000-8000-000000000000")
    running.delete()
    assert "Ancien programme" in _shown(client)  # the one still running
    older.delete()
    assert "Programme à venir" in _shown(client)  # none runs today: the latest started


def test_the_dashboards_queries_are_compiled_once_and_their_count_stays(
    signed_in: SignedIn, django_assert_max_num_queries: Callable[..., Any]
) -> None:
    programme = factories.make_programme()
    factories.make_case()
    client = signed_in(factories.make_user(Role.COORDINATOR))
    url = reverse("reporting:dashboard") + f"?programme={programme.pk}"
    client.get(url)
    kept = len(compiled._cache("default"))
    with django_assert_max_num_queries(16):
        assert client.get(url).status_code == 200
    assert len(compiled._cache("default")) == kept  # the same SQL, run again


def test_the_programme_selector_is_read_anew_at_each_request_and_within_the_readers_scope(
    signed_in: SignedIn,
) -> None:
    """Its SQL is compiled once per reader's scope; its rows are read at every request."""
    first = factories.make_programme(name="Premier programme")
    coordinator = factories.make_user(Role.COORDINATOR)
    client = signed_in(coordinator)
    url = reverse("reporting:dashboard") + f"?programme={first.pk}"
    assert "Deuxième programme" not in client.get(url).content.decode()
    factories.make_programme(name="Deuxième programme")
    assert "Deuxième programme" in client.get(url).content.decode()
    assert [p.name for p in programmes_listed_for(factories.make_user(Role.AUDITOR), action=Action.REPORTS_VIEW)] == [
        p.name for p in programmes_listed_for(coordinator, action=Action.REPORTS_VIEW)
    ]
    assert programmes_listed_for(factories.make_user(Role.CASEWORKER), action=Action.REPORTS_VIEW) == []


def test_the_compiled_figures_follow_new_rows() -> None:
    programme = factories.make_programme()
    period = periods.resolve(programme, "all")
    assert figures.compute(programme, period)[0].total == 0
    factories.make_referral(programme=programme)
    assert figures.compute(programme, period)[0].total == 1  # run again, not kept


@pytest.mark.django_db(transaction=True)
def test_the_dashboards_aggregates_are_planned_with_their_values_at_each_run() -> None:
    """Their SQL is compiled once, but PostgreSQL never prepares it: a statement prepared and run
    more than five times may be given one plan for any dates, which at a million files read a
    programme's referrals in one process instead of with parallel workers (1.7x the SQL's time)."""
    compiled.forget()
    programme = factories.make_programme()
    factories.make_referral(programme=programme)
    period = periods.resolve(programme, "all")
    for _run in range(7):
        assert figures.compute(programme, period)[0].total == 1
    kept = len(compiled._cache("default"))
    factories.make_referral(programme=programme)
    assert figures.compute(programme, period)[0].total == 2
    assert len(compiled._cache("default")) == kept  # compiled once, run again with the new row
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [statement for (statement,) in cursor.fetchall()]
    aggregates = ("referrals_referral", "reporting_", "trainings_")
    assert [statement for statement in prepared if any(table in statement for table in aggregates)] == []
    # The organisations' types, a plain read, are prepared as every compiled query is.
    assert any("accounts_organisation" in statement for statement in prepared)


def test_the_dashboards_figures_are_read_in_one_batch_sent_at_once_on_postgresql() -> None:
    """Seven queries, their rows read together (`compiled.Batch`): on PostgreSQL one pipeline, so the
    page waits for the server once rather than seven times."""
    programme = factories.make_programme()
    factories.make_referral(programme=programme)
    period = periods.resolve(programme, "all")
    figures.compute(programme, period)  # compiled once
    piped: list[bool] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        piped.append(connection.vendor == "postgresql" and connection.connection.pgconn.pipeline_status != 0)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        blocks = figures.compute(programme, period)
    assert blocks[0].total == 1
    assert len(piped) == 7
    assert all(piped) if connection.vendor == "postgresql" else not any(piped)


def test_the_dashboards_figures_run_in_the_database_while_its_layout_renders(
    signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the seven queries are sent before the page renders its layout, menu and
    filters, and read where the page shows the figures: nothing else reaches the database between
    the two (it would wait for them). The view's event is written once they are read
    (test_i24_dashboard_event.py). Elsewhere the queries run at that read, one after the other."""
    programme = factories.make_programme()
    factories.make_referral(programme=programme)
    client = signed_in(factories.make_user(Role.COORDINATOR))
    url = reverse("reporting:dashboard") + f"?programme={programme.pk}"
    assert client.get(url).status_code == 200  # compiled once
    statements: list[str] = []
    moments: dict[str, int] = {}
    read = figures._Deferred._ready

    def reading(blocks: figures._Deferred) -> list[figures.Block]:
        moments.setdefault("read", len(statements))
        return read(blocks)

    monkeypatch.setattr(figures._Deferred, "_ready", reading)

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        page = client.get(url).content.decode()
    assert '<div class="kpi" data-kpi="referrals"><span class="kpi__value">1</span>' in page
    figure_tables = ("referrals_referral", "reporting_", "trainings_", "accounts_organisation")
    figure_queries = [i for i, sql in enumerate(statements) if any(t in sql for t in figure_tables)]
    audit = [i for i, sql in enumerate(statements) if "audit_audithead" in sql]
    assert len(figure_queries) == 7
    assert audit
    assert min(audit) > max(figure_queries)  # the event after the figures
    if connection.vendor == "postgresql":
        # Sent, then nothing until the figures are read.
        assert figure_queries == list(range(moments["read"] - 7, moments["read"]))
    else:
        assert min(figure_queries) == moments["read"]  # run at the read


def test_a_period_the_rollups_do_not_answer_is_read_from_the_source_rows_after_the_batch(
    signed_in: SignedIn,
) -> None:
    """Mid-month dates: the batch sent ahead (trainings, organisations, referrals) is read where
    the figures are shown, then the cases' figures are read from their rows; the page shows both."""
    programme = factories.make_programme()
    factories.make_referral(programme=programme, received_on=datetime.date(2018, 4, 3))
    factories.make_referral(programme=programme, received_on=datetime.date(2018, 5, 20))  # outside
    client = signed_in(factories.make_user(Role.COORDINATOR))
    url = reverse("reporting:dashboard") + f"?programme={programme.pk}&start=2018-03-15&end=2018-04-10"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<div class="kpi" data-kpi="referrals"><span class="kpi__value">1</span>' in html
    assert "15/03/2018" in html  # the period as French writes it
    if connection.vendor == "postgresql":
        assert connection.connection.pgconn.pipeline_status == 0


def test_a_dashboard_block_shows_its_total_target_and_chart_or_why_it_has_none_in_french() -> None:
    """Written in Python (`block_section`), as the template wrote it: every value escaped."""
    counted = figures.Block("countries", "I", "Pays <de> retour", 1234, 2000, [("Népal", 1200), ("Tunisie", 34)])
    withheld = figures.Block("sex", "I", "Sexe", 3, None, [], suppressed=True)
    empty = figures.Block("spent", "I", "Dépenses", Decimal("0.00"), Decimal("1500.50"), [], kind="amount")
    with translation.override("fr"):
        shown = [str(block_section(block, 5)) for block in (counted, withheld, empty)]
    assert shown[0].startswith('<section class="card block" id="bloc-countries" aria-labelledby="t-countries">')
    assert '<h2 id="t-countries">Pays &lt;de&gt; retour</h2>' in shown[0]
    assert "<strong>Total : 1\u00a0234</strong> · objectif 2\u00a0000" in shown[0]
    assert '<th scope="row">Népal</th><td>1\u00a0200</td>' in shown[0]
    assert "Ventilation non publiée" in shown[1]
    assert "objectif" not in shown[1]  # no target: none shown
    assert "<strong>Total : 0,00\u00a0€</strong> · objectif 1\u00a0500,50\u00a0€" in shown[2]
    assert "<p>Rien sur cette période.</p>" in shown[2]
