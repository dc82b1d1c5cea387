"""Settings: secrets from the environment, hardened production, durable SQLite, headers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from django.conf import settings
from django.db import connection
from django.test import Client

from config.settings import base
from config.settings.base import database_config

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SECRET_KEY": "x" * 64 + "-a-long-random-production-key-for-this-check-only",
    "CAREPLUS_MASTER_KEYS": "prod1:" + "k" * 43,
    "CAREPLUS_AUDIT_KEY": "a" * 43,
    "CAREPLUS_INDEX_KEY": "i" * 43,
    "CAREPLUS_ALLOWED_HOSTS": "careplus.example.org",
    "DATABASE_URL": "sqlite:////tmp/careplus-deploy-check.sqlite3",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CAREPLUS_", "DJANGO_", "DATABASE_URL"))}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("missing", sorted(PRODUCTION_ENV))
def test_production_refuses_to_start_without_each_secret(missing: str) -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.production"
    result = run_manage("check", env=env)
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [f"CARE+ refuses to start: environment variable {missing} is missing."]


MAIL_ENV = {
    "EMAIL_HOST": "smtp.example.org",
    "EMAIL_HOST_USER": "careplus",
    "EMAIL_HOST_PASSWORD": "relay-password",
    "DEFAULT_FROM_EMAIL": "careplus@example.org",
}


def test_production_passes_the_deploy_check() -> None:
    env = {**PRODUCTION_ENV, **MAIL_ENV, "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_argon2_is_the_first_hasher_outside_tests() -> None:
    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    validators: list[Any] = list(base.AUTH_PASSWORD_VALIDATORS)
    assert any(v.get("OPTIONS", {}).get("min_length") == 12 for v in validators)


def test_database_url_defaults_to_sqlite_with_durable_pragmas() -> None:
    config = database_config(None)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert str(config["NAME"]).endswith("var/careplus.sqlite3")
    init = config["OPTIONS"]["init_command"]
    assert "journal_mode=WAL" in init
    assert "synchronous=FULL" in init
    assert "foreign_keys=ON" in init
    assert "busy_timeout=5000" in init


def test_database_url_selects_postgresql() -> None:
    config = database_config("postgres://postgres@127.0.0.1:5432/test")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "test"
    # A worker keeps its connection between requests, checked before each reuse.
    assert config["CONN_MAX_AGE"] == 600
    assert config["CONN_HEALTH_CHECKS"] is True


@pytest.mark.django_db
def test_running_database_enforces_foreign_keys() -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2  # FULL
    else:
        assert connection.vendor == "postgresql"
        with connection.cursor() as cursor:
            cursor.execute("SHOW fsync")
            assert cursor.fetchone()[0] == "on"


def test_sqlite_file_database_runs_in_wal_mode(tmp_path: Path) -> None:
    result = run_manage(
        "migrate",
        "--noinput",
        env={
            "DJANGO_SETTINGS_MODULE": "config.settings.dev",
            "CAREPLUS_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stderr
    import sqlite3

    db = sqlite3.connect(tmp_path / "careplus.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.django_db
def test_pages_carry_security_headers() -> None:
    response = Client().get("/connexion/")
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "base-uri 'none'" in csp
    assert "'nonce-" in csp
    assert "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]
    assert settings.SESSION_COOKIE_HTTPONLY


@pytest.mark.django_db
def test_static_assets_are_served_by_the_app_without_cdn() -> None:
    page = Client().get("/connexion/").content.decode()
    assert "https://" not in page
    assert "http://" not in page
    response = Client().get("/static/vendor/htmx-2.0.8.min.js")
    assert response.status_code == 200


def test_p08_deploy_check_warns_without_the_mail_relay_and_production_reads_it() -> None:
    env = {**PRODUCTION_ENV, "DJANGO_SETTINGS_MODULE": "config.settings.production"}
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "careplus.W001" in result.stdout + result.stderr
    env.update(MAIL_ENV, EMAIL_PORT="2525", EMAIL_USE_TLS="1")
    shown = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_USE_TLS, s.DEFAULT_FROM_EMAIL, s.EMAIL_BACKEND)",
        env=env,
    )
    assert shown.stdout.strip().splitlines()[-1].split() == [
        "smtp.example.org",
        "2525",
        "careplus",
        "True",
        "careplus@example.org",
        "careplus.core.mail.OutboxBackend",
    ]


def test_p10_production_accepts_a_master_key_file_instead_of_the_keys(tmp_path: Path) -> None:
    key_file = tmp_path / "master_keys"
    key_file.write_text(PRODUCTION_ENV["CAREPLUS_MASTER_KEYS"])
    key_file.chmod(0o644)
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "CAREPLUS_MASTER_KEYS"}
    env.update(MAIL_ENV, DJANGO_SETTINGS_MODULE="config.settings.production", CAREPLUS_MASTER_KEY_FILE=str(key_file))
    exposed = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert exposed.returncode != 0
    assert "careplus.E004" in exposed.stdout + exposed.stderr  # readable by others: refused
    key_file.chmod(0o600)
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    env["CAREPLUS_MASTER_KEY_FILE"] = str(tmp_path / "absent")
    refused = run_manage("check", env=env)
    assert refused.returncode != 0
    assert "master key file" in refused.stderr
