"""REL-KILL9 drill: kill -9 a writer committing case files, many times; nothing acknowledged is lost.

    .venv/bin/python -m drills.kill9 [--rounds 25]

A child process opens cases through the real service (case, timeline event and audit event in one
transaction) and appends each case's id to an acknowledgement file once the commit returned. The
parent kills it with SIGKILL at a random moment, then checks: every acknowledged case is there
(lost writes), every case has its timeline and audit events (half-written records), the database's
own integrity check, and finally the whole audit chain. Prints the figures; exits 1 on any loss.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from drills.common import setup_django


def writer(ack_path: str) -> None:
    """Open cases forever, acknowledging each after its commit."""
    from careplus.cases import services

    with open(ack_path, "a", encoding="ascii") as ack:
        while True:
            case = services.case_open(
                actor=None,
                given_names="Drill",
                family_name="Kill",
                date_of_birth=None,
                sex="f",
                nationality="NP",
                country_of_return="NP",
            )
            ack.write(f"{case.pk}\n")
            ack.flush()
            os.fsync(ack.fileno())


def _check(acknowledged: set[str]) -> dict[str, int]:
    from django.db import connection

    from careplus.audit.models import AuditEvent
    from careplus.cases.models import Case, CaseEvent

    stored = {str(pk) for pk in Case.objects.values_list("pk", flat=True)}
    with_event = {str(pk) for pk in CaseEvent.objects.filter(kind="opened").values_list("case_id", flat=True)}
    audited = set(
        AuditEvent.objects.filter(object_type="cases.case", action="create").values_list("object_id", flat=True)
    )
    normalised_audit = {value.replace("-", "") for value in audited}
    half = [pk for pk in stored if pk not in with_event or pk.replace("-", "") not in normalised_audit]
    integrity = 0
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA integrity_check")
            integrity = 0 if cursor.fetchone()[0] == "ok" else 1
    return {
        "stored": len(stored),
        "lost": len(acknowledged - stored),
        "half_written": len(half),
        "integrity_errors": integrity,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--writer", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        setup_django(os.environ["DATABASE_URL"])
        writer(args.writer)
        return 0
    url = setup_django()
    from django.db import connection

    from careplus.audit.services import verify_chain

    ack_path = Path(tempfile.mkdtemp(prefix="careplus-kill9-")) / "acks.txt"
    ack_path.parent.mkdir(parents=True, exist_ok=True)
    ack_path.write_text("")
    rng = random.Random(9)  # noqa: S311  # timing of the kills, not a secret
    worst = {"lost": 0, "half_written": 0, "integrity_errors": 0}
    figures: dict[str, int] = {}
    for _round in range(args.rounds):
        child = subprocess.Popen(  # noqa: S603  # our own module, fixed arguments
            [sys.executable, "-m", "drills.kill9", "--writer", str(ack_path)],
            env={**os.environ, "DATABASE_URL": url},
        )
        time.sleep(rng.uniform(1.5, 3.0))
        child.send_signal(signal.SIGKILL)
        child.wait()
        connection.close()
        acknowledged = {line for line in ack_path.read_text().split() if line}
        figures = _check(acknowledged)
        worst = {key: max(value, figures[key]) for key, value in worst.items()}
    verdict = verify_chain()
    acknowledged_total = len({line for line in ack_path.read_text().split() if line})
    print(
        f"kill -9 drill on {connection.vendor}: {args.rounds} kills, "
        f"{acknowledged_total} acknowledged cases, {figures.get('stored', 0)} stored"
    )
    print(f"  lost acknowledged writes: {worst['lost']}")
    print(f"  half-written cases (no timeline or audit event): {worst['half_written']}")
    print(f"  database integrity errors: {worst['integrity_errors']}")
    print(
        f"  audit chain: {'ok' if verdict.ok else 'BROKEN at ' + str(verdict.first_broken)} ({verdict.checked} events)"
    )
    return 0 if verdict.ok and not any(worst.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
