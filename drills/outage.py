"""REL-DB-OUTAGE drill: stop PostgreSQL under load, start it again; the app must answer 503, then recover.

    DATABASE_URL=postgres://… .venv/bin/python -m drills.outage [--down 10]

Starts gunicorn (2 workers, loopback) on the database of DATABASE_URL, sends requests from a
signed-in caseworker without pause, stops the local PostgreSQL cluster (`pg_ctlcluster … stop`)
for `--down` seconds, starts it again, and prints: answers while down (all must be 503, none
with a stack trace), partial writes (none: the writes are whole transactions), and how long the
app took to serve again after the database came back (target ≤ 30 s, without restarting the app).
**It stops the machine's PostgreSQL: never run it while anything else uses that server.**
"""

from __future__ import annotations

import argparse
import http.client
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from drills.common import ROOT, setup_django

PORT = 8766


def _cluster(action: str) -> None:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    command = ["/usr/bin/pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action]
    if action == "stop":
        command += ["-m", "fast"]
    subprocess.run(command, check=True, capture_output=True)  # noqa: S603  # fixed command of the local cluster


def _get(path: str, cookie: str) -> tuple[int, str]:
    """GET a page of the local server; (0, error) when the server cannot be reached."""
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
    try:
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    except (OSError, http.client.HTTPException) as error:
        return 0, str(error)
    finally:
        connection.close()


def _signed_in_cookie() -> str:
    """A caseworker's session that passed both factors, as a Cookie header."""
    from django.conf import settings

    from careplus.access.roles import Role
    from careplus.accounts import services as account_services
    from careplus.accounts.models import Office, User
    from drills.common import verified_client

    office, _created = Office.objects.get_or_create(
        code="DRL", defaults={"name": "Bureau de l'exercice", "country": "NP", "kind": "return_country"}
    )
    user = User.objects.filter(email="outage@example.test").first()
    if user is None:
        user = User.objects.create_user(email="outage@example.test", password=None, full_name="Drill")
        account_services.role_grant_system(user=user, role=Role.CASEWORKER, office=office)
    client = verified_client(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--down", type=float, default=10.0)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("Set DATABASE_URL to a PostgreSQL database of the local cluster.")
        return 2
    setup_django(url)
    cookie = _signed_in_cookie()

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.bench"}
    server = subprocess.Popen(  # noqa: S603  # the venv's gunicorn, fixed arguments
        [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{PORT}"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    base = "/dossiers/"
    try:
        for _attempt in range(50):
            if _get(base, cookie)[0] == 200:
                break
            time.sleep(0.2)
        before = Counter(_get(base, cookie)[0] for _i in range(20))
        _cluster("stop")
        down: Counter[int] = Counter()
        traces = 0
        stop_at = time.monotonic() + args.down
        while time.monotonic() < stop_at:
            status, body = _get(base, cookie)
            down[status] += 1
            traces += int("Traceback" in body or "OperationalError" in body)
        _cluster("start")
        back_at = time.monotonic()
        recovered = None
        while time.monotonic() - back_at < 60:
            if _get(base, cookie)[0] == 200:
                recovered = time.monotonic() - back_at
                break
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait()
    print(f"Database outage drill: PostgreSQL stopped {args.down:.0f} s under requests to {base} on port {PORT}")
    print(f"  before: {dict(before)}")
    print(f"  while down: {dict(down)} (stack traces shown: {traces})")
    print(
        f"  serving again {recovered:.1f} s after PostgreSQL restarted"
        if recovered is not None
        else "  NOT serving again"
    )
    ok = set(down) <= {503} and traces == 0 and recovered is not None and recovered <= 30
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
