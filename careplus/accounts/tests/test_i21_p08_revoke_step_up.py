"""Issue 21, point 8: revoking a role asks for a fresh second-factor code, like granting one."""

from __future__ import annotations

from typing import Any

import pytest

from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts.models import RoleGrant, User
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.models import AuditEvent
from tests import factories

pytestmark = pytest.mark.django_db


def _revoke(client: Any, grant: RoleGrant, **data: str) -> Any:
    url = reverse("accounts:user_revoke", kwargs={"user_id": grant.user_id, "grant_id": grant.pk})
    return client.post(url, data, follow=True)


@pytest.mark.parametrize("code", ["", "000000", "not a code"])
def test_i21_p08_revoking_without_a_valid_code_changes_nothing_and_is_audited(
    dpo: User, signed_in: Any, code: str
) -> None:
    holder = factories.make_user(Role.COORDINATOR)
    grant = RoleGrant.objects.get(user=holder, role=Role.COORDINATOR)
    holder_client = signed_in(holder)
    response = _revoke(signed_in(dpo), grant, code=code)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]  # said, not silently ignored
    grant.refresh_from_db()
    assert grant.revoked_at is None
    # The holder's session was not ended either.
    assert holder_client.get(reverse("home:home")).status_code == 200
    refused = AuditEvent.objects.filter(
        action=AuditAction.ROLE_REVOKE, outcome=AuditOutcome.DENIED, object_id=str(holder.pk)
    ).values_list("fields", flat=True)
    assert list(refused) == ["refused:step_up,role:coordinator"]


def test_i21_p08_revoking_with_a_fresh_code_revokes_and_the_page_asks_for_it(dpo: User, signed_in: Any) -> None:
    holder = factories.make_user(Role.COORDINATOR)
    grant = RoleGrant.objects.get(user=holder, role=Role.COORDINATOR)
    client = signed_in(dpo)
    page = client.get(reverse("accounts:user_detail", kwargs={"user_id": holder.pk})).content.decode()
    assert f'id="revoke-code-{grant.pk}"' in page
    assert 'autocomplete="one-time-code"' in page
    _revoke(client, grant, code=factories.totp_code(dpo))
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert grant.revoked_by == dpo
