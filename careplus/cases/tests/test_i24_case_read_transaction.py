"""The audit event of a case file's read (issue 24): an ordinary file's read is the event alone, in a
transaction of its own (on PostgreSQL two round trips, the head's read opening it and the event's
write committing it); a restricted file's read writes its reason's row and the event in one
transaction, so that neither is kept without the other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.audit import chain
from careplus.audit.models import AuditEvent
from careplus.audit.services import AuditChainError, record_event, verify_chain
from careplus.cases import services
from careplus.cases.models import RestrictedView
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)  # the page's own transactions, as in production

SignedIn = Callable[[User], Client]


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
    office = factories.make_office("NPL")
    case = factories.make_case(office=office)
    client = signed_in(factories.make_user(Role.CASEWORKER, office=office))
    inside = _spy_on_events(monkeypatch)
    before = AuditEvent.objects.filter(action="view").count()
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk}))
    assert page.status_code == 200
    assert inside == [False]
    sent = [q["sql"] or "" for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        # Opened with the head's read, committed with the event's write: two texts, no BEGIN or COMMIT alone.
        audit = [text for text in sent if "audit_audithead" in text]
        assert len(audit) == 2, audit
        assert audit[0].startswith("BEGIN; SELECT seq, hash, ts, mac FROM")
        assert audit[1].endswith("; COMMIT")
    assert not any(text.startswith("SAVEPOINT") for text in sent)
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
