"""Issue 19 (security review), account points: 1 (role grants), 6 (tokens end with the
credentials), 7 (recovery codes: step-up, audit, stored hashed), 18 (account events audited)."""

from __future__ import annotations

import importlib
from types import SimpleNamespace
from typing import Any

import pytest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from django.apps import apps
from django.contrib.auth.tokens import default_token_generator
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from careplus.access.policy import roles_of
from careplus.access.roles import ROLE_ACTIONS, Action, Role, opens_case_files
from careplus.accounts import services
from careplus.accounts.models import ApiToken, RoleGrant, User, UserSession
from careplus.audit.choices import AuditAction, AuditOutcome
from careplus.audit.models import AuditEvent
from careplus.core.errors import RuleViolation
from tests import factories
from tests.api.helpers import api_client, token_for

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"
VERIFY = "/connexion/code/"
NEW_PASSWORD = "Kiwi-Lanterne-7429!"


def _grant_url(user: User) -> str:
    return reverse("accounts:user_grant", kwargs={"user_id": user.pk})


def _events(action: AuditAction, **filters: Any) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, **filters).order_by("seq"))


def _refusals(user: User, action: AuditAction = AuditAction.ROLE_GRANT) -> list[str]:
    return [e.fields for e in _events(action, object_id=str(user.pk), outcome=AuditOutcome.DENIED)]


def _unthrottle(user: User) -> None:
    """django-otp slows retries after a failure; a test moves on at once."""
    TOTPDevice.objects.filter(user=user).update(throttling_failure_count=0, throttling_failure_timestamp=None)


# --- Point 1: role grants ------------------------------------------------------------------


def test_p01_dpo_cannot_grant_themself_a_case_file_role(dpo: User, signed_in: Any) -> None:
    client = signed_in(dpo)
    page = client.get(reverse("accounts:user_detail", kwargs={"user_id": dpo.pk})).content.decode()
    assert _grant_url(dpo) not in page  # no grant form on one's own account
    assert "/revoquer/" not in page

    response = client.post(_grant_url(dpo), {"role": Role.COORDINATOR, "code": factories.totp_code(dpo)})
    assert response.status_code == 400
    assert not RoleGrant.objects.filter(user=dpo, role=Role.COORDINATOR).exists()
    dpo_fresh = User.objects.get(pk=dpo.pk)
    assert roles_of(dpo_fresh) == frozenset({Role.DPO})
    assert _refusals(dpo) == ["refused:own_account,role:coordinator"]
    case = factories.make_case()
    assert client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk})).status_code == 404


def test_p01_nobody_revokes_a_role_on_their_own_account(dpo: User, signed_in: Any) -> None:
    factories.make_user(Role.DPO)  # so that the last-DPO rule is not what refuses
    grant = RoleGrant.objects.get(user=dpo, role=Role.DPO)
    url = reverse("accounts:user_revoke", kwargs={"user_id": dpo.pk, "grant_id": grant.pk})
    response = signed_in(dpo).post(url, follow=True)
    assert response.status_code == 200
    grant.refresh_from_db()
    assert grant.revoked_at is None
    assert _refusals(dpo, AuditAction.ROLE_REVOKE) == ["refused:own_account,role:dpo"]
    with pytest.raises(services.RoleChangeRefused):
        services.role_revoke(actor=dpo, grant=grant)


def test_p01_granting_a_role_needs_a_fresh_second_factor(dpo: User, signed_in: Any) -> None:
    user = factories.make_user()
    client = signed_in(dpo)

    missing = client.post(_grant_url(user), {"role": Role.TRAINER})
    assert missing.status_code == 400
    assert missing.context["grant_form"].has_error("code")
    wrong = client.post(_grant_url(user), {"role": Role.TRAINER, "code": "000000"})
    assert wrong.status_code == 400
    assert wrong.context["grant_form"].has_error("code")
    assert not RoleGrant.objects.filter(user=user).exists()
    assert _refusals(user) == ["refused:step_up,role:trainer"] * 2
    assert len(_events(AuditAction.SECOND_FACTOR_FAILED, actor_id=str(dpo.pk))) == 1

    _unthrottle(dpo)
    done = client.post(_grant_url(user), {"role": Role.TRAINER, "code": factories.totp_code(dpo)})
    assert done.status_code == 302
    assert RoleGrant.objects.get(user=user).role == Role.TRAINER

    # The same code cannot be given again for another grant.
    replay = client.post(
        _grant_url(user),
        {"role": Role.PARTNER, "organisation": factories.make_organisation().pk, "code": factories.totp_code(dpo)},
    )
    assert replay.status_code == 400
    assert RoleGrant.objects.filter(user=user).count() == 1


def test_p01_the_role_table_says_which_roles_open_case_files() -> None:
    opening = {role for role in Role if opens_case_files(role)}
    assert opening == {Role.COORDINATOR, Role.CASEWORKER}
    assert all(Action.CASES_VIEW in ROLE_ACTIONS[role] for role in opening)


@pytest.mark.parametrize(
    ("held", "granted"),
    [
        (Role.DPO, Role.COORDINATOR),
        (Role.DPO, Role.CASEWORKER),
        (Role.AUDITOR, Role.COORDINATOR),
        (Role.COORDINATOR, Role.DPO),
        (Role.CASEWORKER, Role.AUDITOR),
    ],
)
def test_p01_separation_of_duties_is_refused_and_audited(dpo: User, held: Role, granted: Role) -> None:
    user = factories.make_user(held)
    office = factories.make_office() if granted == Role.CASEWORKER else None
    with pytest.raises(services.RoleChangeRefused) as refused:
        services.role_grant(actor=dpo, user=user, role=granted, office=office, code=factories.totp_code(dpo))
    assert refused.value.rule == "separation_of_duties"
    assert roles_of(User.objects.get(pk=user.pk)) == frozenset({held})
    assert _refusals(user) == [f"refused:separation_of_duties,role:{granted}"]
    with pytest.raises(RuleViolation):  # set-up and fixtures are held to it too
        services.role_grant_system(user=user, role=granted, office=office)


def test_p01_roles_without_case_files_may_be_combined_with_oversight(dpo: User) -> None:
    auditor = factories.make_user(Role.AUDITOR)
    services.role_grant(actor=dpo, user=auditor, role=Role.TRAINER, code=factories.totp_code(dpo))
    assert roles_of(User.objects.get(pk=auditor.pk)) == frozenset({Role.AUDITOR, Role.TRAINER})


# --- Point 6: API tokens end with the credentials --------------------------------------------


def _token_works(raw: str) -> int:
    return int(api_client(token=raw).get(ME).status_code)


def _revoked_audited(user: User) -> bool:
    token_ids = [str(pk) for pk in ApiToken.objects.filter(user=user).values_list("pk", flat=True)]
    return all(
        AuditEvent.objects.filter(action=AuditAction.CHANGE, object_id=pk, fields="revoked_at").exists()
        for pk in token_ids
    )


def test_p06_changing_the_password_revokes_the_api_tokens(signed_in: Any) -> None:
    user = factories.make_user(Role.CASEWORKER)
    raw = token_for(user)
    assert _token_works(raw) == 200
    response = signed_in(user).post(
        reverse("accounts:password_change"),
        {"old_password": factories.PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert len(messages) == 2  # the password is changed; the token is revoked
    assert _token_works(raw) == 401
    assert ApiToken.objects.get(user=user).revoked_at is not None
    assert _revoked_audited(user)


def test_p06_a_password_reset_revokes_the_api_tokens_and_ends_the_sessions(signed_in: Any) -> None:
    user = factories.make_user(Role.CASEWORKER)
    raw = token_for(user)
    session = signed_in(user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    client = Client()
    form_url = client.get(reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token}))[
        "Location"
    ]
    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == reverse("accounts:password_reset_complete")
    assert _token_works(raw) == 401
    assert _revoked_audited(user)
    assert not UserSession.objects.filter(user_id=user.pk).exists()
    assert session.get("/")["Location"].startswith("/connexion/")


@pytest.mark.parametrize("route", ["accounts:user_reset_second_factor", "accounts:user_deactivate"])
def test_p06_dpo_actions_on_an_account_revoke_its_api_tokens(dpo: User, signed_in: Any, route: str) -> None:
    user = factories.make_user(Role.CASEWORKER)
    raw = token_for(user)
    response = signed_in(dpo).post(reverse(route, kwargs={"user_id": user.pk}), {"version": user.version}, follow=True)
    assert response.status_code == 200
    assert any("API" in str(m) for m in response.context["messages"])
    assert _token_works(raw) == 401
    assert _revoked_audited(user)
    if route == "accounts:user_deactivate":  # reactivation does not bring the token back
        user.refresh_from_db()
        services.user_reactivate(actor=dpo, user=user, expected_version=user.version)
        assert _token_works(raw) == 401


def test_p06_revoking_a_role_revokes_the_api_tokens(dpo: User, signed_in: Any) -> None:
    user = factories.make_user(Role.CASEWORKER)
    raw = token_for(user)
    assert _token_works(raw) == 200
    grant = RoleGrant.objects.get(user=user)
    url = reverse("accounts:user_revoke", kwargs={"user_id": user.pk, "grant_id": grant.pk})
    response = signed_in(dpo).post(url, {"code": factories.totp_code(dpo)}, follow=True)
    assert any("API" in str(m) for m in response.context["messages"])
    assert _token_works(raw) == 401
    assert _revoked_audited(user)


# --- Point 7: recovery codes ---------------------------------------------------------------


def test_p07_recovery_codes_are_stored_as_keyed_hashes(coordinator: User) -> None:
    codes = services.recovery_codes_generate(user=coordinator, count=5)
    stored = set(StaticToken.objects.filter(device__user=coordinator).values_list("token", flat=True))
    assert len(stored) == 5
    for code in codes:
        assert code not in stored
        assert code.replace("-", "") not in stored
        assert services.recovery_code_digest(code) in stored
        with override_settings(CAREPLUS_INDEX_KEY="another-key-" * 4):  # keyed, not a bare hash
            assert services.recovery_code_digest(code) not in stored


def test_p07_regenerating_recovery_codes_needs_a_fresh_code_and_is_audited(coordinator: User, signed_in: Any) -> None:
    old = services.recovery_codes_generate(user=coordinator, count=3)
    before = set(StaticToken.objects.filter(device__user=coordinator).values_list("token", flat=True))
    client = signed_in(coordinator)
    url = reverse("accounts:recovery_codes")

    for data in ({}, {"code": "000000"}):
        refused = client.post(url, data)
        assert refused.status_code == 400
        assert refused.context["recovery_form"].has_error("code")
        assert old[0] not in refused.content.decode()
        _unthrottle(coordinator)
        StaticDevice.objects.filter(user=coordinator).update(throttling_failure_count=0)
    assert set(StaticToken.objects.filter(device__user=coordinator).values_list("token", flat=True)) == before
    assert not _events(AuditAction.CHANGE, object_id=str(coordinator.pk), fields="recovery_codes")

    done = client.post(url, {"code": factories.totp_code(coordinator)})
    assert done.status_code == 200
    new = done.context["codes"]
    assert len(new) == 10
    assert new[0] in done.content.decode()
    assert StaticToken.objects.filter(device__user=coordinator).count() == 10
    assert len(_events(AuditAction.CHANGE, object_id=str(coordinator.pk), fields="recovery_codes")) == 1

    signing_in = Client()
    signing_in.post("/connexion/", {"username": coordinator.email, "password": factories.PASSWORD})
    assert signing_in.post(VERIFY, {"token": old[0]}).status_code == 200  # the old codes are gone
    StaticDevice.objects.filter(user=coordinator).update(throttling_failure_count=0)
    assert signing_in.post(VERIFY, {"token": new[0]})["Location"] == "/"


def test_p07_a_wrong_recovery_code_slows_the_next_attempt_down(coordinator: User) -> None:
    codes = services.recovery_codes_generate(user=coordinator, count=2)
    client = Client()
    client.post("/connexion/", {"username": coordinator.email, "password": factories.PASSWORD})
    assert client.post(VERIFY, {"token": "zzzzz-zzzzz"}).status_code == 200
    assert client.post(VERIFY, {"token": codes[0]}).status_code == 200  # throttled: refused at once
    assert StaticToken.objects.filter(device__user=coordinator).count() == 2


def test_p07_codes_stored_in_clear_before_the_migration_still_work_once(coordinator: User) -> None:
    device = StaticDevice.objects.create(user=coordinator, name=services.RECOVERY_DEVICE_NAME, confirmed=True)
    StaticToken.objects.create(device=device, token="abcde-fghjk")  # as the old code stored it
    migration = importlib.import_module("careplus.accounts.migrations.0003_recovery_codes_hashed")
    migration.hash_clear_codes(apps, SimpleNamespace(connection=connection))
    stored = StaticToken.objects.get(device=device).token
    assert stored == services.recovery_code_digest("abcde-fghjk")
    assert "abcde" not in stored

    client = Client()
    client.post("/connexion/", {"username": coordinator.email, "password": factories.PASSWORD})
    assert client.post(VERIFY, {"token": "ABCDE-FGHJK"})["Location"] == "/"
    assert not StaticToken.objects.filter(device=device).exists()


# --- Point 18: account events in the audit log ------------------------------------------------


def test_p18_a_password_change_is_audited(signed_in: Any) -> None:
    user = factories.make_user(Role.TRAINER)
    signed_in(user).post(
        reverse("accounts:password_change"),
        {"old_password": factories.PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    [event] = _events(AuditAction.CHANGE, object_id=str(user.pk), fields="password")
    assert event.actor_id == str(user.pk)


def test_p18_recovery_code_regeneration_is_audited(coordinator: User) -> None:
    services.recovery_codes_regenerate(user=coordinator, code=factories.totp_code(coordinator), count=4)
    [event] = _events(AuditAction.CHANGE, object_id=str(coordinator.pk), fields="recovery_codes")
    assert event.outcome == AuditOutcome.SUCCESS


def test_p18_a_reset_request_is_audited_without_the_address(coordinator: User) -> None:
    url = reverse("accounts:password_reset")
    Client().post(url, {"email": coordinator.email})
    Client().post(url, {"email": "ghost@example.test"})
    events = _events(AuditAction.CREATE, object_type=services.PASSWORD_RESET_OBJECT)
    assert len(events) == 2
    known, unknown = events
    for event in events:
        row = " ".join(str(value) for value in AuditEvent.objects.filter(seq=event.seq).values().get().values())
        assert "example.test" not in row
        assert "coordinator" not in row
        assert "ghost" not in row
        assert event.actor_id == ""
    assert known.object_id != unknown.object_id
    assert (known.actor_label, known.fields, known.outcome) == (unknown.actor_label, unknown.fields, unknown.outcome)
    Client().post(url, {"email": coordinator.email.upper()})  # the same address gives the same id
    assert _events(AuditAction.CREATE, object_type=services.PASSWORD_RESET_OBJECT)[-1].object_id == known.object_id


def test_p18_second_factor_enrolment_is_audited() -> None:
    user = factories.make_user(Role.TRAINER, with_totp=False)
    device = services.totp_device_for_enrolment(user=user)
    device.confirmed = True
    device.save()
    code = factories.totp_code(user)
    device.confirmed = False
    device.save()
    assert services.totp_confirm(user=user, device=device, token=code)
    [event] = _events(AuditAction.SECOND_FACTOR_ENROLLED, object_id=str(user.pk))
    assert event.actor_id == str(user.pk)


def test_p01_a_case_file_role_held_beside_an_oversight_role_opens_nothing(dpo: User, signed_in: Any) -> None:
    """A pair made before the rule (as the review did on the demo data) or outside the services is inert."""
    RoleGrant.objects.create(user=dpo, role=Role.COORDINATOR)  # bypasses role_grant on purpose
    case = factories.make_case()
    fresh = User.objects.get(pk=dpo.pk)
    assert roles_of(fresh) == frozenset({Role.DPO})
    client = signed_in(fresh)
    assert client.get(reverse("cases:case_detail", kwargs={"case_id": case.pk})).status_code == 404
    assert client.get(reverse("cases:case_list")).status_code == 404
    assert client.get(reverse("accounts:user_list")).status_code == 200  # the DPO's own duties stay
