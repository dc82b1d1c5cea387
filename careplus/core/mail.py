"""The outbox: no e-mail is lost without a word, and no request waits for the mail relay.

`OutboxBackend` (production's EMAIL_BACKEND) writes every message to `core.OutgoingMail`, encrypted,
in the sender's transaction. After commit it is delivered through CAREPLUS_MAIL_DELIVERY_BACKEND
(SMTP in production), in a background thread so that the request never talks to the relay;
`manage.py send_mail_queue` (cron, every minute) sends what is due and retries failures with a
growing delay. After the last attempt the mail is marked failed and the DPO sees it on the home
page. The content is shredded (data key deleted) once sent. Logs and the stored error never hold
an address or a subject.

A password-reset request is queued the same way (`queue_password_reset`) whether the address
is known or not: the request does the same work either way, and the lookup, the token and the
message are made by the delivery, outside the request.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import partial
from typing import Any, TypedDict
from urllib.parse import urlsplit
from uuid import UUID

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import OperationalError, connections, transaction
from django.db.models import Q
from django.utils import timezone, translation

from careplus.core.forms import CarePlusForm
from careplus.core.models import DataKey, OutgoingMail

logger = logging.getLogger("careplus.mail")

OUTBOX_BACKEND = "careplus.core.mail.OutboxBackend"
# Delay before each new attempt; after the last one the mail is marked failed (about 14 hours in all).
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A mail claimed by a process that died is tried again after this long.
CLAIM_TIMEOUT = timedelta(minutes=10)
SENT_WRITE_ATTEMPTS = 5

RESET_EMAIL_TEMPLATE = "accounts/email/password_reset.txt"
RESET_SUBJECT_TEMPLATE = "accounts/email/password_reset_subject.txt"


def delivery_backend() -> str:
    """Return the backend that really sends: the configured one, unless it is the outbox itself."""
    configured: str = settings.EMAIL_BACKEND
    if configured == OUTBOX_BACKEND:
        return str(getattr(settings, "CAREPLUS_MAIL_DELIVERY_BACKEND", "django.core.mail.backends.smtp.EmailBackend"))
    return configured


# --- Queueing ---------------------------------------------------------------------------------


# A message as the outbox keeps it (JSON, encrypted): "from" is a keyword, hence this form.
SerialisedMessage = TypedDict(
    "SerialisedMessage",
    {
        "subject": str,
        "body": str,
        "from": str,
        "to": list[str],
        "cc": list[str],
        "bcc": list[str],
        "reply_to": list[str],
        "headers": dict[str, str],
        "alternatives": list[list[str]],
    },
)


def _serialise(message: EmailMessage) -> SerialisedMessage:
    if message.attachments:
        raise ValueError("The outbox does not carry attachments.")
    alternatives = [[str(content), str(mimetype)] for content, mimetype in getattr(message, "alternatives", [])]
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from": str(message.from_email or settings.DEFAULT_FROM_EMAIL),
        "to": [str(a) for a in message.to],
        "cc": [str(a) for a in message.cc],
        "bcc": [str(a) for a in message.bcc],
        "reply_to": [str(a) for a in message.reply_to],
        "headers": {str(k): str(v) for k, v in message.extra_headers.items()},
        "alternatives": alternatives,
    }


def _message(data: SerialisedMessage, connection: BaseEmailBackend) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
        connection=connection,
    )
    for content, mimetype in data["alternatives"]:
        message.attach_alternative(content, mimetype)
    return message


def enqueue(*, kind: OutgoingMail.Kind, payload: Mapping[str, object]) -> OutgoingMail:
    """Write one mail to the outbox in the current transaction; deliver it after commit."""
    with transaction.atomic():
        mail = OutgoingMail(kind=kind, data_key=DataKey.generate(), next_attempt_at=timezone.now())
        mail.payload = payload
        mail.save()
    transaction.on_commit(partial(_after_commit, mail.pk), robust=True)
    return mail


def queue_password_reset(*, email: str, language: str) -> OutgoingMail:
    """Queue a reset request for an address, known or not: the same work in the request either way."""
    return enqueue(kind=OutgoingMail.Kind.PASSWORD_RESET, payload={"email": email, "language": language})


class OutboxBackend(BaseEmailBackend):
    """An e-mail backend that only writes to the outbox (sending is the delivery's job)."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        with transaction.atomic():
            for message in email_messages:
                enqueue(kind=OutgoingMail.Kind.MESSAGE, payload=_serialise(message))
        return len(email_messages)


def _after_commit(mail_id: UUID) -> None:
    mode = getattr(settings, "CAREPLUS_MAIL_DELIVER_AFTER_COMMIT", "inline")
    if mode == "inline":
        deliver(mail_id)
    elif mode == "thread":
        # Not a daemon: a process that ends (a management command, a worker restarting) first lets
        # the send finish (bounded by EMAIL_TIMEOUT), so a mail is never left half-sent.
        threading.Thread(target=_deliver_in_thread, args=(mail_id,), name="careplus-mail", daemon=False).start()


def _deliver_in_thread(mail_id: UUID) -> None:
    try:
        deliver(mail_id)
    except Exception:  # the cron command will try again; never crash silently
        logger.exception("mail %s: delivery thread failed", mail_id)
    finally:
        connections.close_all()


# --- Delivery ---------------------------------------------------------------------------------


def _claim(mail_id: UUID) -> bool:
    """Take one due mail for this process (a conditional update: two senders never both win)."""
    now = timezone.now()
    due = Q(status=OutgoingMail.Status.QUEUED) | Q(status=OutgoingMail.Status.SENDING)
    claimed = OutgoingMail.objects.filter(due, pk=mail_id, next_attempt_at__lte=now).update(
        status=OutgoingMail.Status.SENDING, next_attempt_at=now + CLAIM_TIMEOUT
    )
    return claimed == 1


def _error_label(error: Exception) -> str:
    """Describe a failure without its text (SMTP replies often quote the address)."""
    code = getattr(error, "smtp_code", None)
    if code is None and isinstance(error, smtplib.SMTPRecipientsRefused):
        code = next((c for c, _msg in error.recipients.values()), None)
    label = type(error).__name__
    return f"{label} {code}" if code is not None else label


def _send_password_reset(payload: Mapping[str, str], connection: BaseEmailBackend) -> None:
    base = urlsplit(settings.CAREPLUS_BASE_URL)
    form = _ResetForm({"email": payload["email"]}, connection=connection)
    if not form.is_valid():
        return
    with translation.override(payload.get("language") or settings.LANGUAGE_CODE):
        form.save(
            domain_override=base.netloc,
            use_https=base.scheme == "https",
            subject_template_name=RESET_SUBJECT_TEMPLATE,
            email_template_name=RESET_EMAIL_TEMPLATE,
        )


class _ResetForm(CarePlusForm, PasswordResetForm):
    """Django's reset form, sending through the delivery connection rather than the outbox."""

    def __init__(self, *args: Any, connection: BaseEmailBackend, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connection = connection

    def send_mail(  # noqa: PLR0917 - Django's signature
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],  # a template context (Django's signature)
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        from django.template import loader

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        EmailMultiAlternatives(subject, body, from_email, [to_email], connection=self.connection).send()


def deliver(mail_id: UUID) -> bool:
    """Send one due mail; on failure schedule the next attempt (or mark it failed). Return True when sent."""
    if not _claim(mail_id):
        return False
    mail = OutgoingMail.objects.select_related("data_key").get(pk=mail_id)
    try:
        payload = mail.payload
        connection = get_connection(delivery_backend(), fail_silently=False)
        if mail.kind == OutgoingMail.Kind.PASSWORD_RESET:
            _send_password_reset(payload, connection)
        else:
            _message(payload, connection).send()
    except Exception as error:  # any failure of the relay, the network or the content: retry, then report
        _failed(mail, error)
        return False
    _sent(mail)
    return True


def _sent(mail: OutgoingMail) -> None:
    """Record a mail as sent, trying again while SQLite is locked by another writer: once the relay
    accepted it, losing this write would send it again."""
    for attempt in range(SENT_WRITE_ATTEMPTS):
        try:
            _record_sent(mail)
        except OperationalError:
            if attempt == SENT_WRITE_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
        else:
            return


def _record_sent(mail: OutgoingMail) -> None:
    with transaction.atomic():
        OutgoingMail.objects.filter(pk=mail.pk).update(
            status=OutgoingMail.Status.SENT,
            sent_at=timezone.now(),
            attempts=mail.attempts + 1,
            last_error="",
            payload=None,
            data_key=None,
        )
        if mail.data_key_id is not None:  # crypto-shredding: the content can never be read again
            DataKey.objects.filter(pk=mail.data_key_id).update(wrapped=None, destroyed_at=timezone.now())


def _failed(mail: OutgoingMail, error: Exception) -> None:
    attempts = mail.attempts + 1
    label = _error_label(error)[:120]
    if attempts >= MAX_ATTEMPTS:
        status, next_at = OutgoingMail.Status.FAILED, timezone.now()
        logger.error("mail %s (%s) not sent after %d attempts: %s", mail.pk, mail.kind, attempts, label)
    else:
        status, next_at = OutgoingMail.Status.QUEUED, timezone.now() + RETRY_DELAYS[attempts - 1]
        logger.warning("mail %s (%s) attempt %d failed, retry at %s: %s", mail.pk, mail.kind, attempts, next_at, label)
    OutgoingMail.objects.filter(pk=mail.pk).update(
        status=status, attempts=attempts, next_attempt_at=next_at, last_error=label
    )


def deliver_due(*, limit: int = 500, retry_failed: bool = False) -> tuple[int, int]:
    """Send the due mails (and, on request, the failed ones again); return (sent, not sent)."""
    if retry_failed:
        OutgoingMail.objects.filter(status=OutgoingMail.Status.FAILED).update(
            status=OutgoingMail.Status.QUEUED, attempts=0, next_attempt_at=timezone.now()
        )
    due = (
        OutgoingMail.objects.filter(
            status__in=[OutgoingMail.Status.QUEUED, OutgoingMail.Status.SENDING], next_attempt_at__lte=timezone.now()
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = failed = 0
    for mail_id in list(due):
        if deliver(mail_id):
            sent += 1
        else:
            failed += 1
    return sent, failed


def failed_mails() -> list[OutgoingMail]:
    """The mails given up on, newest first, for the DPO (no content is read)."""
    return list(
        OutgoingMail.objects.filter(status=OutgoingMail.Status.FAILED).defer("payload").order_by("-created_at")[:50]
    )
