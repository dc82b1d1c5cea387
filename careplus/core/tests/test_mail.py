"""The outbox: mail written in the sender's transaction, sent after it, retried, failures shown to the DPO."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Sequence
from datetime import timedelta

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks

from django.core import mail
from django.core.mail import EmailMessage, send_mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from careplus.accounts.models import User
from careplus.core import mail as outbox
from careplus.core.models import DataKey, OutgoingMail

OUTBOX = {
    "EMAIL_BACKEND": "careplus.core.mail.OutboxBackend",
    "CAREPLUS_MAIL_DELIVERY_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "CAREPLUS_MAIL_DELIVER_AFTER_COMMIT": "inline",
}
ADDRESS = "amina.recipient@example.test"


class RefusingRelay(BaseEmailBackend):
    """A relay that refuses every message, quoting the address as real relays do."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPRecipientsRefused({ADDRESS: (550, f"<{ADDRESS}>: Recipient address rejected".encode())})


def _raw_payload(mail_id: object) -> bytes:
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM core_outgoingmail WHERE id = %s", [str(mail_id).replace("-", "")])
        row = cursor.fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


@pytest.mark.django_db
@override_settings(**OUTBOX)
def test_p08_mail_is_written_encrypted_in_the_transaction_and_sent_after_commit(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        send_mail("CARE+: hello", "A body for Amina", None, [ADDRESS])
        queued = OutgoingMail.objects.get()
        assert queued.status == OutgoingMail.Status.QUEUED
        assert mail.outbox == []  # nothing leaves before the commit
        raw = _raw_payload(queued.pk)
        assert raw
        assert ADDRESS.encode() not in raw
        assert b"Amina" not in raw
    assert [m.to for m in mail.outbox] == [[ADDRESS]]
    sent = OutgoingMail.objects.get()
    assert sent.status == OutgoingMail.Status.SENT
    assert sent.attempts == 1
    assert _raw_payload(sent.pk) == b""
    assert sent.data_key_id is None
    assert not DataKey.objects.filter(wrapped__isnull=False).exists()


@pytest.mark.django_db
@override_settings(**{**OUTBOX, "CAREPLUS_MAIL_DELIVERY_BACKEND": f"{__name__}.RefusingRelay"})
def test_p08_failed_send_is_retried_then_shown_to_the_dpo_without_the_address(
    dpo: User,
    signed_in: Callable[[User], Client],
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    caplog.set_level(logging.INFO)
    with django_capture_on_commit_callbacks(execute=True):
        send_mail("CARE+: your account", "body", None, [ADDRESS])
    queued = OutgoingMail.objects.get()
    assert queued.status == OutgoingMail.Status.QUEUED
    assert queued.attempts == 1
    assert queued.next_attempt_at > timezone.now() + timedelta(seconds=30)  # backoff, not a tight loop
    assert queued.last_error == "SMTPRecipientsRefused 550"
    assert outbox.deliver_due() == (0, 0)  # not due yet

    for _attempt in range(outbox.MAX_ATTEMPTS - 1):
        OutgoingMail.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        outbox.deliver_due()
    failed = OutgoingMail.objects.get()
    assert failed.status == OutgoingMail.Status.FAILED
    assert failed.attempts == outbox.MAX_ATTEMPTS
    assert ADDRESS not in caplog.text
    assert "your account" not in caplog.text
    assert "not sent after 6 attempts" in caplog.text

    with pytest.raises(CommandError):
        call_command("send_mail_queue")
    client = signed_in(dpo)
    page = client.get(reverse("home:home")).content.decode()
    assert 'id="mail-failures-title"' in page
    assert "SMTPRecipientsRefused 550" in page
    assert ADDRESS not in page

    with override_settings(CAREPLUS_MAIL_DELIVERY_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        call_command("send_mail_queue", "--retry-failed")
    assert [m.to for m in mail.outbox] == [[ADDRESS]]
    assert OutgoingMail.objects.get().status == OutgoingMail.Status.SENT


@pytest.mark.django_db
def test_p08_other_users_do_not_see_the_mail_failures(coordinator: User, signed_in: Callable[[User], Client]) -> None:
    OutgoingMail.objects.create(
        status=OutgoingMail.Status.FAILED,
        next_attempt_at=timezone.now(),
        attempts=6,
        last_error="SMTPServerDisconnected",
    )
    client = signed_in(coordinator)
    assert "mail-failures-title" not in client.get(reverse("home:home")).content.decode()


@pytest.mark.django_db
@override_settings(**OUTBOX)
def test_p09_reset_request_queues_the_same_work_for_known_and_unknown_addresses(
    coordinator: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    url = reverse("accounts:password_reset")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        known = Client(REMOTE_ADDR="192.0.2.10").post(url, {"email": coordinator.email})
        unknown = Client(REMOTE_ADDR="192.0.2.11").post(url, {"email": "ghost@example.test"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    # The request never talked to the relay: one queued request each, nothing sent yet.
    assert mail.outbox == []
    assert OutgoingMail.objects.filter(kind=OutgoingMail.Kind.PASSWORD_RESET).count() == 2
    assert len(callbacks) == 2
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[coordinator.email]]
    assert "/mot-de-passe/nouveau/" in mail.outbox[0].body
    assert OutgoingMail.objects.filter(status=OutgoingMail.Status.SENT).count() == 2


@pytest.mark.django_db
@override_settings(**OUTBOX)
def test_p09_reset_requests_are_limited_per_address_and_per_client_with_the_same_answer(coordinator: User) -> None:
    url = reverse("accounts:password_reset")
    answers = {Client(REMOTE_ADDR=f"192.0.2.{n}").post(url, {"email": coordinator.email})["Location"] for n in range(6)}
    assert OutgoingMail.objects.count() == 3  # per address
    one_client = Client(REMOTE_ADDR="198.51.100.9")
    answers |= {one_client.post(url, {"email": f"someone{n}@example.test"})["Location"] for n in range(15)}
    assert OutgoingMail.objects.count() == 3 + 10  # per client
    assert answers == {reverse("accounts:password_reset_done")}


@pytest.mark.django_db
@override_settings(**OUTBOX)
def test_p08_a_sent_mail_is_recorded_even_when_the_database_is_briefly_locked(
    monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    """Once the relay took the mail, a 'database is locked' on recording it must not send it twice."""
    real = outbox._record_sent
    calls: list[int] = []

    def locked_once(mail_row: OutgoingMail) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        real(mail_row)

    monkeypatch.setattr(outbox, "_record_sent", locked_once)
    monkeypatch.setattr("careplus.core.mail.time.sleep", lambda seconds: None)
    with django_capture_on_commit_callbacks(execute=True):
        send_mail("CARE+: hello", "A body", None, [ADDRESS])
    assert len(mail.outbox) == 1
    assert OutgoingMail.objects.get().status == OutgoingMail.Status.SENT
    call_command("send_mail_queue")
    assert len(mail.outbox) == 1  # not sent again
