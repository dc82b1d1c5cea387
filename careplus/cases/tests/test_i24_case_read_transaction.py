"""The audit event of a case file's read (issue 24): an ordinary file's read is the event alone, in a
transaction of its own (on PostgreSQL the head's read opens it; the event's write, the head's move
and the commit are sent in one pipeline; on SQLite the commit is made on a thread; either is
awaited once the page is rendered, before it leaves);
a restricted file's read writes its reason's row and the event in one transaction, so that neither
is kept without the other. An event that cannot be written fails the page, on both engines."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from django.db import IntegrityError, connection
from django.template import Template
from django.test import Client
from django.test.signals import template_rendered
from django.urls import reverse

from careplus.access import reading
from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.audit import chain
from careplus.audit.models import AuditEvent, AuditHead
from careplus.audit.services import AuditChainError, record_event, verify_chain
from careplus.cases import services, slugs
from careplus.cases.models import Case, RestrictedView
from tests import factories
from tests.connection_state import commits_after, in_a_pipeline, in_a_transaction

pytestmark = pytest.mark.django_db(transaction=True)  # the page's own transactions, as in production

SignedIn = Callable[[User], Client]


def _caseworker_and_file(signed_in: SignedIn) -> tuple[Client, Case]:
    """A caseworker of an office signed in, and an ordinary file of that office."""
    office = factories.make_office("NPL")
    return signed_in(factories.make_user(Role.CASEWORKER, office=office)), factories.make_case(office=office)


def _spy_on_events(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Record, for each event the case services write, whether it was inside a transaction already."""
    inside: list[bool] = []

    def spy(**kwargs: Any) -> AuditEvent:
        inside.append(connection.in_atomic_block)
        return record_event(**kwargs)

    monkeypatch.setattr(services, "record_event", spy)
    return inside


def test_reading_an_ordinary_file_writes_its_event_in_a_transaction_of_its_own(
    signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, case = _caseworker_and_file(signed_in)
    inside = _spy_on_events(monkeypatch)
    before = AuditEvent.objects.filter(action="view").count()
    sent: list[tuple[str, bool]] = []  # each statement, and whether it went in a pipeline
    rendered: list[tuple[int, bool]] = []  # statements sent when the page rendered, and whether piped
    on_postgresql = connection.vendor == "postgresql"

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        sent.append((sql, in_a_pipeline()))
        return execute(sql, params, many, context)

    rendering = threading.Event()
    commits = commits_after(rendering, monkeypatch)

    def on_render(sender: object, template: Template, **kwargs: Any) -> None:
        if template.name == "cases/case_detail.html":
            rendered.append((len(sent), in_a_pipeline()))
            rendering.set()

    template_rendered.connect(on_render)
    try:
        with connection.execute_wrapper(record):
            page = client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk}))
    finally:
        template_rendered.disconnect(on_render)
    assert page.status_code == 200
    assert inside == [False]
    audit = [(text, in_pipeline) for text, in_pipeline in sent if "audit_" in text or text == "COMMIT"]
    ((at, rendering_piped),) = rendered
    assert [text for text, _piped in sent[at - len(audit) : at]] == [text for text, _piped in audit]
    if on_postgresql:
        # Opened with the head's read; the write, the head's move and the commit in one pipeline,
        # still in flight while the page renders (the page's reads came before, none after).
        assert audit[0] == ('BEGIN; SELECT seq, hash, ts, mac FROM "audit_audithead" WHERE id = 1 FOR UPDATE', False)
        assert [text.split()[0] for text, _piped in audit[1:]] == ["INSERT", "UPDATE", "COMMIT"]
        assert all(in_pipeline for _text, in_pipeline in audit[1:])
        assert rendering_piped
        assert connection.connection.pgconn.pipeline_status == 0
    else:  # SQLite: the event written before the page renders, its commit made on a thread meanwhile
        assert [text.split()[0] for text, _piped in audit] == ["SELECT", "INSERT", "UPDATE"]
        assert sent[at - len(audit) - 1][0] == "BEGIN IMMEDIATE"
        assert commits == [(True, True)]
    assert not any(text.startswith("SAVEPOINT") for text, _piped in sent)
    assert not in_a_transaction()
    assert AuditEvent.objects.filter(action="view").count() == before + 1
    event = AuditEvent.objects.filter(action="view").latest("seq")
    assert (event.object_id, event.field_names) == (str(case.pk), ["summary"])
    assert verify_chain().ok


def test_a_restricted_file_keeps_its_reason_and_its_event_together_or_neither(
    coordinator: User, signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = factories.make_case()
    services.restriction_set(actor=coordinator, case=case, restricted=True, users=[], expected_version=case.version)
    client = signed_in(coordinator)
    url = reverse("cases:case_detail", kwargs={"case_id": case.pk})
    reason_url = reverse("cases:case_reason", kwargs={"case_id": case.pk})
    assert client.post(reason_url, {"reason": "Préparation de l'audience", "next": url}).status_code == 302
    inside = _spy_on_events(monkeypatch)
    assert client.get(url).status_code == 200
    assert inside == [True]  # in the transaction that wrote the reason's row
    assert RestrictedView.objects.filter(case=case).count() == 1
    # An event that cannot be written (a head not sealed with the key): the reason's row goes with it.
    monkeypatch.setattr(chain, "audit_key", lambda: b"another key" * 3)
    with pytest.raises(AuditChainError):
        client.get(url)
    monkeypatch.undo()
    assert RestrictedView.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.filter(action="view", object_id=str(case.pk)).count() == 1
    assert verify_chain().ok


def test_a_files_page_whose_event_cannot_be_written_is_not_answered_and_leaves_no_transaction_open(
    signed_in: SignedIn,
) -> None:
    """On PostgreSQL the failure is read when the page has been rendered: the page is dropped, the
    transaction rolled back; on SQLite it fails before the page renders. Either way nothing is kept."""
    client, case = _caseworker_and_file(signed_in)
    url = reverse("cases:case_detail", kwargs={"case_id": case.pk})
    assert client.get(url).status_code == 200
    last = AuditEvent.objects.latest("seq")
    # A row already where the next event goes (written around the application): its INSERT fails.
    AuditEvent.objects.create(**{**{column: getattr(last, column) for column in chain.COLUMNS}, "seq": last.seq + 1})
    views = AuditEvent.objects.filter(action="view", object_id=str(case.pk)).count()
    with pytest.raises(IntegrityError):
        client.get(url)
    assert not in_a_transaction()
    if connection.vendor == "postgresql":
        assert connection.connection.pgconn.pipeline_status == 0
    assert AuditEvent.objects.filter(action="view", object_id=str(case.pk)).count() == views
    assert AuditHead.objects.get().seq == last.seq
    assert client.get(reverse("cases:case_list")).status_code == 200  # the connection serves the next page


def test_a_files_page_that_fails_to_render_keeps_the_event_of_its_read(
    signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, case = _caseworker_and_file(signed_in)

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the template failed")

    monkeypatch.setattr(reading, "render", failing)
    with pytest.raises(RuntimeError, match="the template failed"):
        client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk}))
    assert not in_a_transaction()
    assert AuditEvent.objects.filter(action="view", object_id=str(case.pk)).count() == 1  # the read was tried
    assert verify_chain().ok


def test_every_part_of_a_file_answers_while_its_event_commits_even_one_that_reads_as_it_renders(
    coordinator: User, signed_in: SignedIn
) -> None:
    """The consents' part renders a form whose choices are read while the page renders, with a
    server-side cursor on PostgreSQL, which a pipeline cannot run: that read waits for the
    event's commit, then runs. Every part answers, each read recorded once, the chain whole."""
    case = factories.make_case()
    client = signed_in(coordinator)
    url = reverse("cases:case_detail", kwargs={"case_id": case.pk})
    for key, slug in slugs.TAB_SLUGS.items():
        page = client.get(url if key == slugs.DEFAULT_TAB else f"{url}?{slugs.TAB_PARAMETER}={slug}")
        assert page.status_code == 200, key
        assert not in_a_transaction()
    parts = AuditEvent.objects.filter(action="view", object_id=str(case.pk)).values_list("fields", flat=True)
    assert len(parts) == len(slugs.TAB_SLUGS)
    assert verify_chain().ok
