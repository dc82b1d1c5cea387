"""Sign-in with password and second factor, lockout, session lifetime and password reset."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from pytest_django import DjangoCaptureOnCommitCallbacks

from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careplus.access.roles import Role
from careplus.accounts import services
from careplus.accounts.middleware import SESSION_LAST_SEEN, SESSION_STARTED
from careplus.accounts.models import User, UserSession
from careplus.accounts.sessions import session_digest
from tests import factories

pytestmark = pytest.mark.django_db

LOGIN = "/connexion/"
VERIFY = "/connexion/code/"
SETUP = "/connexion/authentificateur/"
HOME = "/"


def post_password(client: Client, email: str, password: str = factories.PASSWORD) -> Any:
    return client.post(LOGIN, {"username": email, "password": password})


def test_password_then_code_lands_on_french_home(coordinator: User) -> None:
    """A correct password leads to the code step; a valid code opens the home page in French."""
    client = Client()
    response = post_password(client, coordinator.email)
    assert response.status_code == 302
    assert response["Location"] == VERIFY
    assert client.get(HOME)["Location"].startswith(VERIFY)  # password alone is not enough

    response = client.post(VERIFY, {"token": factories.totp_code(coordinator)})
    assert response.status_code == 302
    assert response["Location"] == HOME
    page = client.get(HOME)
    assert page.status_code == 200
    assert "Vos rôles" in page.content.decode()
    assert "Coordination" in page.content.decode()


def test_email_case_and_spaces_do_not_matter(coordinator: User) -> None:
    """The e-mail is matched in its canonical form."""
    client = Client()
    response = post_password(client, "  COORDINATOR@Example.test ")
    assert response["Location"] == VERIFY


def test_wrong_password_and_unknown_account_get_the_same_answer(coordinator: User) -> None:
    """Login does not reveal whether an account exists."""
    wrong = post_password(Client(), coordinator.email, "not-the-password-123")
    unknown = post_password(Client(), "nobody@example.test", "not-the-password-123")
    assert wrong.status_code == unknown.status_code == 200
    message = "Adresse électronique ou mot de passe incorrect."
    assert message in wrong.content.decode()
    assert message in unknown.content.decode()


def test_deactivated_user_cannot_sign_in(coordinator: User) -> None:
    User.objects.filter(pk=coordinator.pk).update(is_active=False)
    response = post_password(Client(), coordinator.email)
    assert response.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect." in response.content.decode()


def test_session_id_changes_at_login_and_after_second_factor(coordinator: User) -> None:
    client = Client()
    client.get(LOGIN)
    client.session.save()
    anonymous_key = client.session.session_key
    post_password(client, coordinator.email)
    password_key = client.session.session_key
    client.post(VERIFY, {"token": factories.totp_code(coordinator)})
    verified_key = client.session.session_key
    assert len({anonymous_key, password_key, verified_key}) == 3
    assert not UserSession.objects.filter(session_key=session_digest(str(password_key))).exists()


def test_reused_code_is_refused(coordinator: User) -> None:
    """A TOTP code works once: replaying it in another session fails."""
    code = factories.totp_code(coordinator)
    first = Client()
    post_password(first, coordinator.email)
    assert first.post(VERIFY, {"token": code})["Location"] == HOME

    second = Client()
    post_password(second, coordinator.email)
    response = second.post(VERIFY, {"token": code})
    assert response.status_code == 200
    assert "Ce code n&#x27;est pas valide" in response.content.decode()
    assert second.get(HOME)["Location"].startswith(VERIFY)


def test_code_two_steps_away_is_refused(coordinator: User) -> None:
    client = Client()
    post_password(client, coordinator.email)
    response = client.post(VERIFY, {"token": factories.totp_code(coordinator, offset_steps=-3)})
    assert response.status_code == 200
    assert client.get(HOME)["Location"].startswith(VERIFY)


def test_bad_code_input_gets_field_message(coordinator: User) -> None:
    client = Client()
    post_password(client, coordinator.email)
    for bad in ["", "12", "x" * 40]:
        response = client.post(VERIFY, {"token": bad})
        assert response.status_code == 200
        content = response.content.decode()
        assert "field__errors" in content
    assert client.get(HOME)["Location"].startswith(VERIFY)


def test_recovery_code_works_once(coordinator: User) -> None:
    codes = services.recovery_codes_generate(user=coordinator, count=3)
    client = Client()
    post_password(client, coordinator.email)
    assert client.post(VERIFY, {"token": codes[0].upper()})["Location"] == HOME
    assert StaticToken.objects.filter(device__user=coordinator).count() == 2

    again = Client()
    post_password(again, coordinator.email)
    assert again.post(VERIFY, {"token": codes[0]}).status_code == 200
    assert again.get(HOME)["Location"].startswith(VERIFY)


def test_first_sign_in_enrols_an_authenticator_and_shows_recovery_codes() -> None:
    user = factories.make_user(Role.TRAINER, with_totp=False)
    client = Client()
    response = post_password(client, user.email)
    assert response["Location"] == SETUP
    page = client.get(SETUP)
    assert "<svg" in page.content.decode()
    assert client.get(VERIFY)["Location"] == SETUP

    bad = client.post(SETUP, {"token": "12ab"})
    assert "Saisissez les 6 chiffres" in bad.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()

    device = TOTPDevice.objects.get(user=user, confirmed=False)
    device.confirmed = True  # compute the code the phone would show
    device.save()
    code = factories.totp_code(user)
    device.confirmed = False
    device.save()
    response = client.post(SETUP, {"token": code})
    assert response.status_code == 200
    assert "Vos codes de secours" in response.content.decode()
    assert StaticToken.objects.filter(device__user=user).count() == 10
    assert client.get(HOME).status_code == 200


def test_lockout_engages_at_the_sixth_failure_and_lifts_after_cooloff(coordinator: User) -> None:
    client = Client()
    for _attempt in range(5):
        assert post_password(client, coordinator.email, "wrong-password-000").status_code == 200
    assert post_password(client, coordinator.email, "wrong-password-000").status_code == 429
    locked = post_password(client, coordinator.email)  # the right password, but locked
    assert locked.status_code == 429
    assert "Trop de tentatives échouées" in locked.content.decode()
    assert "_auth_user_id" not in client.session

    other_ip = Client(REMOTE_ADDR="10.9.8.7")
    assert post_password(other_ip, coordinator.email)["Location"] == VERIFY

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert post_password(client, coordinator.email)["Location"] == VERIFY


def test_idle_session_expires(coordinator: User, signed_in: object) -> None:
    client = Client()
    factories.sign_in(client, coordinator)
    assert client.get(HOME).status_code == 200
    session = client.session
    session[SESSION_LAST_SEEN] = time.time() - 31 * 60
    session.save()
    response = client.get(HOME)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_session_older_than_twelve_hours_expires(coordinator: User) -> None:
    client = Client()
    factories.sign_in(client, coordinator)
    session = client.session
    session[SESSION_STARTED] = time.time() - 12 * 3600 - 60
    session[SESSION_LAST_SEEN] = time.time()
    session.save()
    assert client.get(HOME)["Location"].startswith(LOGIN)


def test_activity_within_thirty_minutes_keeps_the_session(coordinator: User) -> None:
    client = Client()
    factories.sign_in(client, coordinator)
    session = client.session
    session[SESSION_LAST_SEEN] = time.time() - 29 * 60
    session.save()
    assert client.get(HOME).status_code == 200


def test_logout_invalidates_the_session_on_the_server(coordinator: User) -> None:
    client = Client()
    factories.sign_in(client, coordinator)
    assert client.get(HOME).status_code == 200
    old_cookie = client.cookies["sessionid"].value
    assert client.post("/deconnexion/")["Location"] == LOGIN
    assert not UserSession.objects.filter(session_key=session_digest(old_cookie)).exists()

    replay = Client()
    replay.cookies["sessionid"] = old_cookie
    assert replay.get(HOME)["Location"].startswith(LOGIN)


def test_logout_needs_post(coordinator: User) -> None:
    client = Client()
    factories.sign_in(client, coordinator)
    assert client.get("/deconnexion/").status_code == 405
    assert client.get(HOME).status_code == 200


def test_reset_page_answers_the_same_for_known_and_unknown_addresses(
    coordinator: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        known = Client().post(reverse("accounts:password_reset"), {"email": coordinator.email})
        unknown = Client().post(reverse("accounts:password_reset"), {"email": "ghost@example.test"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [coordinator.email]


def test_reset_link_sets_password_but_second_factor_is_still_needed(
    coordinator: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        Client().post(reverse("accounts:password_reset"), {"email": coordinator.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/mot-de-passe/nouveau/" in line)
    path = link.split("://", 1)[1].split("/", 1)[1]
    client = Client()
    form_page = client.get("/" + path, follow=True)
    assert form_page.status_code == 200
    new_password = "Another-Long-Secret-77"
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert response["Location"] == reverse("accounts:password_reset_complete")
    assert client.get(HOME)["Location"].startswith(LOGIN)  # not signed in by the reset
    assert post_password(Client(), coordinator.email, new_password)["Location"] == VERIFY


def test_short_or_common_password_is_refused_with_french_messages(coordinator: User) -> None:
    client = Client()
    factories.sign_in(client, coordinator)
    url = reverse("accounts:password_change")
    for bad, message in [
        ("short-1", "Ce mot de passe est trop court"),
        ("password1234", "Ce mot de passe est trop courant"),
    ]:
        response = client.post(
            url,
            {"old_password": factories.PASSWORD, "new_password1": bad, "new_password2": bad},
        )
        assert response.status_code == 200
        assert message in response.content.decode()
    coordinator.refresh_from_db()
    assert coordinator.check_password(factories.PASSWORD)


def test_login_form_bad_input_gets_field_messages() -> None:
    client = Client()
    response = client.post(LOGIN, {"username": "", "password": ""})
    assert response.status_code == 200
    assert "Ce champ est obligatoire." in response.content.decode()
    response = client.post(LOGIN, {"username": "not-an-email", "password": "x"})
    assert "Saisissez une adresse de courriel valide." in response.content.decode()
    response = client.post(LOGIN, {"username": "a" * 300 + "@example.test", "password": "x"})
    assert response.status_code == 200
    assert "field__errors" in response.content.decode()


def test_reset_forms_bad_input_gets_field_messages(
    coordinator: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    url = reverse("accounts:password_reset")
    for data, message in [
        ({"email": ""}, "Ce champ est obligatoire."),
        ({"email": "x" * 300}, "Saisissez une adresse de courriel valide."),
    ]:
        response = Client().post(url, data)
        assert response.status_code == 200
        assert message in response.content.decode()
    assert mail.outbox == []

    with django_capture_on_commit_callbacks(execute=True):  # the outbox sends after commit
        Client().post(url, {"email": coordinator.email})
    link = next(line for line in mail.outbox[0].body.splitlines() if "/mot-de-passe/nouveau/" in line)
    client = Client()
    form_url = client.get("/" + link.split("://", 1)[1].split("/", 1)[1], follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "Long-Enough-Pass-1", "new_password2": "Other-Pass-22"})
    assert response.status_code == 200
    assert "Les deux mots de passe ne correspondent pas." in response.content.decode()
    coordinator.refresh_from_db()
    assert coordinator.check_password(factories.PASSWORD)
