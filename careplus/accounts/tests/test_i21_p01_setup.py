"""Issue 21 point 1: `manage.py setup` creates the first DPO (and coordinator) without a Python shell."""

from __future__ import annotations

import base64
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from careplus.access.policy import roles_of
from careplus.access.roles import Role
from careplus.accounts.models import RoleGrant, User
from careplus.audit.models import AuditEvent
from careplus.audit.services import verify_chain
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=False)
ROOT = Path(__file__).resolve().parents[3]


def _setup(*args: str) -> None:
    with translation.override("en"):  # the messages' English text, whatever the translations say
        call_command("setup", "--no-input", *args, stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_i21_p01_setup_creates_the_dpo_and_coordinator_with_invitations() -> None:
    _setup(
        "--dpo-email",
        "Delphine.DPO@Example.test",
        "--dpo-name",
        "Delphine Morel",
        "--dpo-language",
        "en",
        "--coordinator-email",
        "coord@example.test",
        "--coordinator-name",
        "Claire Petit",
    )
    dpo = User.objects.get(email="delphine.dpo@example.test")
    coordinator = User.objects.get(email="coord@example.test")
    assert dpo.full_name == "Delphine Morel"
    assert dpo.language == "en"
    assert not dpo.has_usable_password()
    assert not coordinator.has_usable_password()
    assert roles_of(dpo) == {Role.DPO}
    assert roles_of(coordinator) == {Role.COORDINATOR}
    # The same invitation as the user screen: a link to choose a password, in the person's language.
    assert sorted(m.to[0] for m in mail.outbox) == ["coord@example.test", "delphine.dpo@example.test"]
    assert all("/mot-de-passe/nouveau/" in m.body for m in mail.outbox)
    # Audited with the system as actor.
    events = AuditEvent.objects.filter(object_id__in=[str(dpo.pk), str(coordinator.pk)])
    assert {(e.action, e.actor_id) for e in events} == {("create", ""), ("role_grant", "")}
    assert events.filter(action="role_grant", fields="role:dpo").exists()
    assert verify_chain().ok


def test_i21_p01_setup_without_coordinator() -> None:
    _setup("--dpo-email", "dpo@example.test", "--dpo-name", "Delphine Morel")
    assert list(User.objects.values_list("email", flat=True)) == ["dpo@example.test"]
    assert RoleGrant.objects.filter(role=Role.DPO).count() == 1


def test_i21_p01_setup_refused_when_a_dpo_exists() -> None:
    make_user(Role.DPO, email="first@example.test")
    before = AuditEvent.objects.count()
    with pytest.raises(CommandError, match="already set up"):
        _setup("--dpo-email", "second@example.test", "--dpo-name", "Second DPO")
    assert not User.objects.filter(email="second@example.test").exists()
    assert AuditEvent.objects.count() == before
    assert mail.outbox == []


def test_i21_p01_setup_allowed_again_when_the_only_dpo_was_deactivated() -> None:
    old = make_user(Role.DPO, email="first@example.test")
    User.objects.filter(pk=old.pk).update(is_active=False)
    _setup("--dpo-email", "second@example.test", "--dpo-name", "Second DPO")
    assert roles_of(User.objects.get(email="second@example.test")) == {Role.DPO}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dpo-email", "not-an-address", "--dpo-name", "Delphine Morel"], "valid e-mail"),
        (["--dpo-email", "dpo@example.test", "--dpo-name", "Delphine\x1b[2J Morel"], "control character"),
        (["--dpo-email", "dpo@example.test", "--dpo-name", "Del\u202ephine"], "text-direction"),
        (["--dpo-email", "dpo@example.test"], "required"),
        (
            [
                "--dpo-email",
                "dpo@example.test",
                "--dpo-name",
                "Delphine Morel",
                "--coordinator-email",
                "coord@example.test",
                "--coordinator-name",
                "Claire\x07",
            ],
            "control character",
        ),
        (
            [
                "--dpo-email",
                "dpo@example.test",
                "--dpo-name",
                "Delphine Morel",
                "--coordinator-email",
                "DPO@example.test",
                "--coordinator-name",
                "Claire Petit",
            ],
            "address of their own",
        ),
    ],
)
def test_i21_p01_setup_bad_input_creates_nothing(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        _setup(*args)
    assert User.objects.count() == 0
    assert AuditEvent.objects.count() == 0
    assert mail.outbox == []


def test_i21_p01_setup_prompts_when_not_given(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["dpo@example.test", "Delphine Morel", "", "coord@example.test", "Claire Petit", "en"])
    monkeypatch.setattr("builtins.input", lambda _prompt="": next(answers))
    call_command("setup", stdout=io.StringIO())
    assert User.objects.get(email="dpo@example.test").language == "fr"
    assert User.objects.get(email="coord@example.test").language == "en"


def test_i21_p01_setup_runs_under_production_settings(tmp_path: Path) -> None:
    """The command as the deployment guide runs it: production settings, the required variables, an empty database."""
    database = tmp_path / "careplus.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREPLUS_", "DJANGO_", "DATABASE_URL", "EMAIL_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": base64.urlsafe_b64encode(os.urandom(48)).decode(),
            "CAREPLUS_MASTER_KEYS": "prod1:" + base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "CAREPLUS_AUDIT_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "CAREPLUS_INDEX_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "CAREPLUS_ALLOWED_HOSTS": "careplus.test",
            "CAREPLUS_BASE_URL": "https://careplus.test",
            "DATABASE_URL": f"sqlite:///{database}",
            "EMAIL_HOST": "127.0.0.1",
            "DEFAULT_FROM_EMAIL": "careplus@example.test",
        }
    )

    def manage(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            check=False,
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )

    assert manage("migrate", "-v0").returncode == 0
    done = manage("setup", "--no-input", "--dpo-email", "dpo@example.test", "--dpo-name", "Delphine Morel")
    assert done.returncode == 0, done.stderr
    assert "dpo@example.test" in done.stdout
    with sqlite3.connect(database) as db:
        users = list(db.execute("SELECT email, is_active FROM accounts_user"))
        queued = list(db.execute("SELECT status FROM core_outgoingmail"))
    assert users == [("dpo@example.test", 1)]
    assert queued == [("queued",)]  # the invitation waits in the (encrypted) outbox for send_mail_queue
    again = manage("setup", "--no-input", "--dpo-email", "other@example.test", "--dpo-name", "Other Person")
    assert again.returncode != 0
    assert "Rien n’a été créé" in again.stderr or "Nothing was created" in again.stderr
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM accounts_user").fetchone() == (1,)
    assert manage("verify_audit").returncode == 0
