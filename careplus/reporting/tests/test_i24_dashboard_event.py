"""The dashboard's audit event (issue 24): the view is recorded as soon as its figures are read, before
any is shown, in a transaction of its own; on PostgreSQL the event's write, the head's move and the
commit are sent in one pipeline, on SQLite the commit is made on a thread, and the rest of the page
renders while they run; the page leaves once the event is written. An event that cannot be written
fails the page, on both engines."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from django.db import IntegrityError, connection
from django.http import HttpResponse
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.audit import chain
from careplus.audit.models import AuditEvent, AuditHead
from careplus.audit.services import AuditChainError, verify_chain
from careplus.programmes.models import Programme
from careplus.reporting import figures, periods, views
from tests import factories
from tests.connection_state import commits_after, in_a_pipeline, in_a_transaction

pytestmark = pytest.mark.django_db(transaction=True)  # the page's own transactions, as in production

SignedIn = Callable[[User], Client]
FIGURE_TABLES = ("referrals_referral", "reporting_", "trainings_", "accounts_organisation")


def _dashboard(signed_in: SignedIn) -> tuple[Client, Programme, str]:
    """A coordinator signed in, a programme with one referral, and its dashboard's address (opened
    once, so that its queries are compiled)."""
    programme = factories.make_programme()
    factories.make_referral(programme=programme)
    client = signed_in(factories.make_user(Role.COORDINATOR))
    url = reverse("reporting:dashboard") + f"?programme={programme.pk}"
    assert client.get(url).status_code == 200
    return client, programme, url


def _views_of(programme: Programme) -> int:
    return AuditEvent.objects.filter(action="view", object_type="reporting.dashboard", object_id=programme.pk).count()


def test_the_dashboard_records_its_view_once_its_figures_are_read_and_renders_them_while_it_commits(
    signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, programme, url = _dashboard(signed_in)
    before = _views_of(programme)
    sent: list[tuple[str, bool]] = []  # each statement, and whether it went in a pipeline
    shown: list[tuple[int, bool]] = []  # at each key figure shown: statements sent, and whether piped
    headline: property = vars(figures.Block)["headline"]

    showing_figures = threading.Event()
    commits = commits_after(showing_figures, monkeypatch)

    def showing(block: figures.Block) -> bool:
        shown.append((len(sent), in_a_pipeline()))
        showing_figures.set()
        return bool(headline.__get__(block))

    monkeypatch.setattr(figures.Block, "headline", property(showing))

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append((sql, in_a_pipeline()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        page = client.get(url)
    assert page.status_code == 200
    assert '<div class="kpi" data-kpi="referrals"><span class="kpi__value">1</span>' in page.content.decode()
    texts = [text for text, _piped in sent]
    figures_at = [i for i, text in enumerate(texts) if any(table in text for table in FIGURE_TABLES)]
    assert len(figures_at) == 7
    # The event's four statements come right after the figures, and the first figure is shown right
    # after them.
    event = sent[max(figures_at) + 1 : max(figures_at) + 5]
    assert shown[0][0] == max(figures_at) + 5
    if connection.vendor == "postgresql":
        # Opened with the head's read; the write, the head's move and the commit in one pipeline,
        # still in flight while the key figures render.
        assert event[0] == ('BEGIN; SELECT seq, hash, ts, mac FROM "audit_audithead" WHERE id = 1 FOR UPDATE', False)
        assert [(text.split()[0], piped) for text, piped in event[1:]] == [
            ("INSERT", True),
            ("UPDATE", True),
            ("COMMIT", True),
        ]
        assert shown[0][1]
        assert connection.connection.pgconn.pipeline_status == 0
    else:  # SQLite: the event written before the figures render, its commit made on a thread meanwhile
        assert event[0][0] == "BEGIN IMMEDIATE"
        assert [text.split()[0] for text, _piped in event[1:]] == ["SELECT", "INSERT", "UPDATE"]
        assert commits == [(True, True)]
    assert not in_a_transaction()
    assert _views_of(programme) == before + 1
    recorded = AuditEvent.objects.filter(action="view", object_type="reporting.dashboard").latest("seq")
    assert recorded.field_names == ["exact"]
    assert verify_chain().ok


def test_a_dashboard_whose_event_cannot_be_written_is_not_answered_and_leaves_no_transaction_open(
    signed_in: SignedIn,
) -> None:
    """On PostgreSQL the failure is met as the event is sent or once the page is rendered, on SQLite
    as the figures are read: either way the page is not answered, nothing is kept and the connection
    serves the next."""
    client, programme, url = _dashboard(signed_in)
    last = AuditEvent.objects.latest("seq")
    # A row already where the next event goes (written around the application): its INSERT fails.
    AuditEvent.objects.create(**{**{column: getattr(last, column) for column in chain.COLUMNS}, "seq": last.seq + 1})
    before = _views_of(programme)
    with pytest.raises(IntegrityError):
        client.get(url)
    assert not in_a_transaction()
    if connection.vendor == "postgresql":
        assert connection.connection.pgconn.pipeline_status == 0
    assert _views_of(programme) == before
    assert AuditHead.objects.get().seq == last.seq
    assert client.get(reverse("home:home")).status_code == 200  # the connection serves the next page


def test_a_dashboard_that_fails_to_render_after_its_figures_are_read_keeps_the_event_of_their_read(
    signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a file's page: the figures were read, so their read stays recorded, the page failing."""
    client, programme, url = _dashboard(signed_in)
    before = _views_of(programme)

    def failing(block: figures.Block) -> bool:
        raise RuntimeError("the template failed")

    monkeypatch.setattr(figures.Block, "headline", property(failing))
    with pytest.raises(RuntimeError, match="the template failed"):
        client.get(url)
    assert not in_a_transaction()
    if connection.vendor == "postgresql":
        assert connection.connection.pgconn.pipeline_status == 0
    assert _views_of(programme) == before + 1
    assert verify_chain().ok


def test_a_dashboard_rendered_without_its_figures_still_records_its_view(
    signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The figures are read, and the view recorded, when the page is done even if nothing showed them."""
    client, programme, url = _dashboard(signed_in)
    before = _views_of(programme)
    monkeypatch.setattr(views, "_page", lambda *args, **kwargs: HttpResponse("figures not shown"))
    page = client.get(url)
    assert page.content == b"figures not shown"
    assert _views_of(programme) == before + 1
    assert not in_a_transaction()
    if connection.vendor == "postgresql":
        assert connection.connection.pgconn.pipeline_status == 0
    assert verify_chain().ok


def test_figures_whose_view_cannot_be_recorded_are_never_shown_even_where_a_template_swallows_the_error() -> None:
    """Django's `{% if a and b %}` swallows any error: the figures' first use there fails to record
    the view, and every later use fails again, so none is shown."""
    programme = factories.make_programme()
    factories.make_referral(programme=programme)
    tries: list[str] = []

    def refused() -> None:
        tries.append("view")
        raise AuditChainError("the chain's head is not sealed by the application")

    page = Template(
        "{% if blocks and programme %}some{% endif %}{% for block in blocks %}{{ block.total }}{% endfor %}"
    )
    period = periods.resolve(programme, "all")
    with (
        pytest.raises(AuditChainError),
        figures.computing(programme, period, exact=True, k=5, then=refused) as blocks,
    ):
        page.render(Context({"blocks": blocks, "programme": programme}))
    assert tries == ["view", "view"]  # swallowed by the `if`, raised by the `for`
    if connection.vendor == "postgresql":
        assert connection.connection.pgconn.pipeline_status == 0
