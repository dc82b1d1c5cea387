"""A canary written to every encrypted field never reaches the database files, dumps, backups or logs."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from django.db import connection

from careplus.cases.models import Case, CaseAttachment
from careplus.core.fields import encrypted_fields
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
CANARY = factories.CANARY

WRITE_CANARIES = f"""
import datetime
from careplus.cases import services
from careplus.cases.models import CaseAttachment
from careplus.accounts.models import User
case = services.case_open(actor=None, given_names="{CANARY}-given", family_name="{CANARY}-family",
    date_of_birth=datetime.date(1990, 1, 2), sex="f", nationality="NP", country_of_return="NP",
    safe_contact={{"alias": "{CANARY}-alias"}})
uploader = User.objects.create_user(email="uploader@example.test", full_name="Up Loader")
attachment = CaseAttachment(case=case, content_type="text/plain", size=20, uploaded_by=uploader)
attachment.filename = "{CANARY}-file.txt"
attachment.content = b"{CANARY}-content"
attachment.save()
print("written", case.reference)
"""


def test_every_encrypted_field_is_covered_by_the_canary_script() -> None:
    names = {f.name for model in (Case, CaseAttachment) for f in encrypted_fields(model)}
    assert names == {
        "given_names",
        "family_name",
        "date_of_birth",
        "safe_contact",
        "filename",
        "content",
    }


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREPLUS_", "DJANGO_", "DATABASE_URL"))}
    env.update(extra)
    return env


def _manage(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def _sqlite_branch(tmp_path: Path) -> None:
    var = tmp_path / "var"
    env = _clean_env(DJANGO_SETTINGS_MODULE="config.settings.dev", CAREPLUS_VAR_DIR=str(var))
    logs = _manage("migrate", "--noinput", env=env)
    logs += _manage("shell", "-c", WRITE_CANARIES, env=env)
    logs += _manage("backup", str(var / "backups" / "careplus.bak"), env=env)
    logs += _manage("verify_audit", env=env)
    files = [p for p in var.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"careplus.sqlite3", "careplus.bak"} <= names
    assert "careplus.sqlite3-wal" in names or "careplus.sqlite3" in names
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), path
    assert CANARY not in logs


def _postgres_branch(tmp_path: Path) -> None:
    case = factories.make_case(family_name=f"{CANARY}-family", given_names=f"{CANARY}-given")
    attachment = CaseAttachment(case=case, content_type="text/plain", size=20, uploaded_by=factories.make_user())
    attachment.filename = f"{CANARY}-file.txt"
    attachment.content = f"{CANARY}-content".encode()
    attachment.save()
    params = connection.settings_dict
    dump = tmp_path / "dump.sql"
    pg_dump = shutil.which("pg_dump")
    assert pg_dump is not None, "pg_dump is needed for the PostgreSQL run"
    subprocess.run(
        [pg_dump, "-h", params["HOST"] or "127.0.0.1", "-U", params["USER"], "-d", params["NAME"], "-f", str(dump)],
        check=True,
        capture_output=True,
    )
    assert "cases_case" in dump.read_text()
    assert CANARY.encode() not in dump.read_bytes()
    from careplus.core.backup import write_backup

    backup = tmp_path / "careplus.bak"
    write_backup(backup)
    assert CANARY.encode() not in backup.read_bytes()


@pytest.mark.django_db(transaction=True)
def test_canary_is_absent_from_storage_backups_and_logs(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    if connection.vendor == "sqlite":
        _sqlite_branch(tmp_path)
    else:
        assert connection.vendor == "postgresql"
        _postgres_branch(tmp_path)
    assert CANARY not in caplog.text


class _Lines(logging.Handler):
    """Keep every formatted log line (the dev server's access log does not reach caplog)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _http(url: str, *, cookies: dict[str, str], data: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Send a request as a browser would (cookies, form body); return status, final URL and body."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, method="POST" if data is not None else "GET")
    request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _sep, rest = header.partition("=")
                cookies[name.strip()] = rest.split(";")[0]
            return response.status, response.url, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, url, error.read().decode()


@pytest.mark.django_db(transaction=True)
def test_p16_a_searched_name_reaches_no_url_and_no_log_line(live_server: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Search by a name through the real dev server with its access log on: the name is in no log line."""
    from django.conf import settings
    from django.core.servers.basehttp import WSGIRequestHandler
    from django.test import Client

    from careplus.access.roles import Role

    case = factories.make_case(family_name=f"{CANARY}-family", given_names=f"{CANARY}-given")
    coordinator = factories.make_user(Role.COORDINATOR)
    client = Client()
    factories.sign_in(client, coordinator)
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    live_server.thread.httpd.RequestHandlerClass = WSGIRequestHandler  # the access log of `runserver`
    lines = _Lines()
    loggers = [logging.getLogger(name) for name in ("django.server", "django.request", "django")]
    for logger in loggers:
        logger.addHandler(lines)
    caplog.set_level(logging.DEBUG)
    try:
        base = f"{live_server.url}/recherche/"
        status, _url, page = _http(base, cookies=cookies)
        assert status == 200
        form = re.search(r'<form method="post" action="/recherche/"[^>]*role="search"', page)
        assert form is not None, "the search form is sent by POST to a URL without the query"
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None
        name = f"{CANARY}-given {CANARY}-family"
        status, url, results = _http(base, cookies=cookies, data={"q": name, "csrfmiddlewaretoken": token.group(1)})
        assert status == 200
        assert case.reference in results
        assert CANARY not in url
        forged, _url, _page = _http(base, cookies=cookies, data={"q": name})  # no CSRF token: refused
        assert forged == 403
    finally:
        for logger in loggers:
            logger.removeHandler(lines)
    assert any("POST /recherche/" in line for line in lines.lines), lines.lines  # the access log was read
    assert any("CSRF" in line for line in lines.lines), lines.lines  # so was Django's request log
    assert not [line for line in lines.lines if CANARY in line]
    assert CANARY not in caplog.text
