"""The DPO's audit search and its CSV export with a second-factor step-up."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import cast

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careplus.accounts.models import User
from careplus.audit.choices import AuditAction
from careplus.audit.models import AuditEvent
from careplus.audit.services import record_event
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def test_search_by_action_actor_and_object(dpo: User, signed_in: SignedIn) -> None:
    case = factories.make_case()
    record_event(action=AuditAction.VIEW, obj=case, actor=dpo)
    record_event(action=AuditAction.LOGIN_FAILED, actor=None, actor_label="intruder@example.test")
    client = signed_in(dpo)
    page = client.get(reverse("audit:event_list"), {"action": AuditAction.LOGIN_FAILED}).content.decode()
    assert "intruder@example.test" in page
    assert str(case.pk) not in page
    page = client.get(reverse("audit:event_list"), {"object_id": str(case.pk)}).content.decode()
    assert str(case.pk) in page
    assert "intruder@example.test" not in page
    page = client.get(reverse("audit:event_list"), {"actor": "intruder"}).content.decode()
    assert "intruder@example.test" in page


def test_period_filter_and_bad_period(dpo: User, signed_in: SignedIn) -> None:
    record_event(action=AuditAction.LOGIN_FAILED, actor=None, actor_label="today@example.test")
    client = signed_in(dpo)
    page = client.get(reverse("audit:event_list"), {"date_from": "2000-01-01", "date_to": "2000-01-31"})
    assert "today@example.test" not in page.content.decode()
    bad = client.get(reverse("audit:event_list"), {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "La fin de la période précède son début." in bad.content.decode()
    wrong_type = client.get(reverse("audit:event_list"), {"date_from": "pas une date"})
    assert wrong_type.status_code == 200
    assert "Saisissez une date valide." in wrong_type.content.decode()


def test_export_needs_the_second_factor_again(dpo: User, signed_in: SignedIn) -> None:
    record_event(action=AuditAction.LOGIN_FAILED, actor=None, actor_label='=HYPERLINK("http://x")')
    client = signed_in(dpo)
    url = reverse("audit:event_export") + "?action=login_failed"
    before = AuditEvent.objects.filter(action=AuditAction.EXPORT).count()

    refused = client.post(url, {"token": "123456" if factories.totp_code(dpo) != "123456" else "654321"})
    assert refused.status_code == 400
    assert "Ce code n&#x27;est pas valide" in refused.content.decode()
    missing = client.post(url, {})
    assert missing.status_code == 400
    assert "Ce champ est obligatoire." in missing.content.decode()
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).count() == before

    TOTPDevice.objects.filter(user=dpo).update(throttling_failure_timestamp=timezone.now() - timedelta(seconds=9))
    response = client.post(url, {"token": factories.totp_code(dpo)})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="audit.csv"'
    body = cast(StreamingHttpResponse, response).getvalue().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][0] == "seq"
    labels = [row[2] for row in rows[1:]]
    assert '\'=HYPERLINK("http://x")' in labels
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT).count() == before + 1
