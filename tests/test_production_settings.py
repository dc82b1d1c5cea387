"""gunicorn under the production settings, behind a header-setting proxy stand-in, with an SMTP relay.

One module-scoped deployment (SQLite file, migrate, gunicorn on loopback, a proxy thread that appends
the address it saw to X-Forwarded-For and sets X-Forwarded-Proto, an aiosmtpd relay that demands
STARTTLS then AUTH and answers slowly, 0.4 s, like the review's relay). The tests show what a user
or an attacker would see: mail delivered through the relay, the real client address in the lockout
and the audit, and the reset page answering in the same time for known and unknown addresses.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import http.client
import ipaddress
import os
import re
import socket
import sqlite3
import ssl
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOST = "careplus.test"
PASSWORD = "Prod-Test-Passe-2026!"
SMTP_USER, SMTP_PASSWORD = "careplus-relay", "relay-secret-2026"
RELAY_DELAY = 0.4
KNOWN = [f"known{n}@example.test" for n in range(8)]

# The deployment runs on its own SQLite file in both CI passes (the PostgreSQL pass included):
# what is tested here is the settings, the proxy and the mail relay, not the engine.


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _self_signed(directory: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "relay.pem", directory / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass
class Received:
    rcpt: list[str]
    content: str
    authenticated: bool
    tls: bool


@dataclass
class Relay:
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(RELAY_DELAY)
        self.messages.append(
            Received(
                rcpt=list(envelope.rcpt_tos),
                content=envelope.content.decode("utf-8", "replace"),
                authenticated=bool(session.authenticated),
                tls=session.ssl is not None,
            )
        )
        return "250 OK"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok)


class Proxy(BaseHTTPRequestHandler):
    """The reverse proxy stand-in: what nginx does with proxy_add_x_forwarded_for and X-Forwarded-Proto.

    The TCP peer of every test connection is 127.0.0.1, so the test names the address the proxy
    "sees" in X-Test-Peer; a client-written X-Forwarded-For is passed on, as nginx does.
    """

    upstream_port = 0

    def _forward(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        peer = self.headers.get("X-Test-Peer", self.client_address[0])
        headers = {k: v for k, v in self.headers.items() if k.lower() not in {"x-test-peer", "host", "connection"}}
        earlier = self.headers.get("X-Forwarded-For")
        headers["X-Forwarded-For"] = f"{earlier}, {peer}" if earlier else peer
        headers["X-Forwarded-Proto"] = "https"
        headers["Host"] = HOST
        upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=30)
        upstream.request(self.command, self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in {"transfer-encoding", "connection", "content-length"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = _forward
    do_POST = _forward

    def log_message(self, format: str, *args: Any) -> None:
        return


class Browser:
    """A client of the proxy with its own cookies and its own address as the proxy sees it."""

    def __init__(self, port: int, peer: str, *, spoofed_forwarded_for: str = "") -> None:
        self.port, self.peer, self.spoofed = port, peer, spoofed_forwarded_for
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        headers = {"X-Test-Peer": self.peer, "Origin": f"https://{HOST}", "Referer": f"https://{HOST}{path}"}
        if self.spoofed:
            headers["X-Forwarded-For"] = self.spoofed
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            from urllib.parse import urlencode

            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        conn.request(method, path, body=body, headers=headers)
        answer = conn.getresponse()
        text = answer.read().decode("utf-8", "replace")
        for name, value in answer.getheaders():
            if name.lower() == "set-cookie":
                cookie_name, _sep, rest = value.partition("=")
                self.cookies[cookie_name] = rest.split(";", 1)[0]
        conn.close()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, text

    def post_form(self, path: str, data: dict[str, str]) -> tuple[int, dict[str, str], str]:
        _status, _headers, page = self.request("GET", path)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on " + path
        return self.request("POST", path, {**data, "csrfmiddlewaretoken": token.group(1)})


@dataclass
class Deployment:
    proxy_port: int
    database: Path
    relay: Relay
    env: dict[str, str]

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.database) as db:
            return list(db.execute(sql))


def _manage(env: dict[str, str], *args: str) -> None:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120
    )
    print(args[0], round(time.monotonic() - started, 1))


def _static_is_current() -> bool:
    """Whether staticfiles/ was collected after the last change to static/ (collecting takes a minute)."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return False
    collected = manifest.stat().st_mtime
    sources = [ROOT / "static", ROOT / "careplus"]
    return all(
        path.stat().st_mtime < collected for base in sources for path in base.rglob("*") if "static" in path.parts
    )


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    from aiosmtpd.controller import Controller

    directory = tmp_path_factory.mktemp("production")
    cert, key = _self_signed(directory)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    relay = Relay()
    smtp_port = _free_port()
    controller = Controller(
        relay,
        hostname="127.0.0.1",
        port=smtp_port,
        tls_context=tls,
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=_authenticator,
    )
    controller.start()

    database = directory / "careplus.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREPLUS_", "DJANGO_", "DATABASE_URL", "EMAIL_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": base64.urlsafe_b64encode(os.urandom(48)).decode(),
            "CAREPLUS_MASTER_KEYS": "prod1:" + base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "CAREPLUS_AUDIT_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "CAREPLUS_INDEX_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "CAREPLUS_ALLOWED_HOSTS": HOST,
            "CAREPLUS_BASE_URL": f"https://{HOST}",
            "CAREPLUS_TRUST_X_FORWARDED_FOR": "1",
            "CAREPLUS_TRUSTED_PROXY_COUNT": "1",
            "DATABASE_URL": f"sqlite:///{database}",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(smtp_port),
            "EMAIL_HOST_USER": SMTP_USER,
            "EMAIL_HOST_PASSWORD": SMTP_PASSWORD,
            "EMAIL_USE_TLS": "1",
            "DEFAULT_FROM_EMAIL": "careplus@example.test",
            "SSL_CERT_FILE": str(cert),  # the relay's self-signed certificate is the trusted root
        }
    )
    _manage(env, "migrate", "-v0")
    _manage(env, "createcachetable")
    if not _static_is_current():
        _manage(env, "collectstatic", "--noinput", "-v0")  # the manifest storage needs it (staticfiles/, git-ignored)
    _manage(
        env,
        "shell",
        "-c",
        "from careplus.accounts.models import User\n"
        f"for email in {KNOWN!r}:\n"
        f"    User.objects.create_user(email=email, full_name='Test Person', password={PASSWORD!r})",
    )
    app_port = _free_port()
    command = [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{app_port}"]
    gunicorn = subprocess.Popen(
        [*command, "-w", "1", "--threads", "4", "--timeout", "60"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    Proxy.upstream_port = app_port
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", app_port), timeout=1):
                    break
            except OSError:
                assert gunicorn.poll() is None, gunicorn.stderr.read().decode() if gunicorn.stderr else ""
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        yield Deployment(proxy_port=int(proxy.server_address[1]), database=database, relay=relay, env=env)
    finally:
        proxy.shutdown()
        gunicorn.terminate()
        gunicorn.wait(timeout=15)
        controller.stop()


def _wait_until(done: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        time.sleep(0.1)


def _wait_for_mail(relay: Relay, count: int) -> None:
    _wait_until(lambda: len(relay.messages) >= count)


def test_p08_reset_mail_goes_through_the_relay_with_starttls_and_authentication(deployment: Deployment) -> None:
    before = len(deployment.relay.messages)
    status, headers, _page = Browser(deployment.proxy_port, "203.0.113.40").post_form(
        "/mot-de-passe/oubli/", {"email": KNOWN[0]}
    )
    assert status == 302
    assert headers["location"].endswith("/mot-de-passe/oubli/envoye/")
    _wait_for_mail(deployment.relay, before + 1)
    received = deployment.relay.messages[before:]
    assert len(received) == 1
    assert received[0].rcpt == [KNOWN[0]]
    assert received[0].tls
    assert received[0].authenticated
    assert f"https://{HOST}/mot-de-passe/nouveau/" in received[0].content

    # The relay holds the message before the worker hears its answer and marks the mail sent.
    def statuses() -> list[tuple[Any, ...]]:
        return deployment.rows("SELECT status FROM core_outgoingmail WHERE kind = 'password_reset'")

    _wait_until(lambda: ("sent",) in statuses())
    assert ("sent",) in statuses()


def test_p10_lockout_and_audit_use_the_real_client_address_behind_the_proxy(deployment: Deployment) -> None:
    victim_email = KNOWN[1]
    attacker = Browser(deployment.proxy_port, "203.0.113.66", spoofed_forwarded_for="192.0.2.99")
    for _attempt in range(6):
        attacker.post_form("/connexion/", {"username": victim_email, "password": "wrong-password-000"})
    assert attacker.post_form("/connexion/", {"username": victim_email, "password": PASSWORD})[0] == 429
    victim = Browser(deployment.proxy_port, "198.51.100.20")
    status, headers, _page = victim.post_form("/connexion/", {"username": victim_email, "password": PASSWORD})
    assert status == 302, "the victim, from another address, is not locked out"
    assert headers["location"] in {"/connexion/code/", "/connexion/authentificateur/"}  # on to the second factor
    lockouts = deployment.rows("SELECT DISTINCT ip_address FROM axes_accessattempt")
    assert lockouts == [("203.0.113.66",)]
    failed = {row[0] for row in deployment.rows("SELECT ip FROM audit_auditevent WHERE action = 'login_failed'")}
    assert failed == {"203.0.113.66"}
    signed_in = {row[0] for row in deployment.rows("SELECT ip FROM audit_auditevent WHERE action = 'login'")}
    assert signed_in == {"198.51.100.20"}


def test_p09_reset_answers_in_the_same_time_for_known_and_unknown_addresses(deployment: Deployment) -> None:
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for n in range(6):
        for kind, email in (("known", KNOWN[2 + n]), ("unknown", f"ghost{n}@example.test")):
            browser = Browser(deployment.proxy_port, f"203.0.113.{100 + 2 * n + (kind == 'unknown')}")
            _status, _headers, page = browser.request("GET", "/mot-de-passe/oubli/")
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert token
            started = time.perf_counter()
            status, _h, _p = browser.request(
                "POST", "/mot-de-passe/oubli/", {"email": email, "csrfmiddlewaretoken": token.group(1)}
            )
            timings[kind].append(time.perf_counter() - started)
            assert status == 302
    known, unknown = statistics.median(timings["known"]), statistics.median(timings["unknown"])
    assert known < RELAY_DELAY, f"the request waited for the relay ({known:.3f} s)"
    assert abs(known - unknown) < 0.05, f"known {known:.3f} s, unknown {unknown:.3f} s"
