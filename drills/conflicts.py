"""REL-LOST-UPDATE drill: pairs of simultaneous conflicting edits, through the pages and the API.

    .venv/bin/python -m drills.conflicts [--pairs 1000]

For each pair, two clients holding the same version of a training session save different values
at the same instant (a barrier releases both threads). Exactly one must win; the other gets 412
(API) or the form again with "someone else saved" (pages); the final version must equal one plus
the number of winning writes. Prints the figures; exits 1 if any pair broke the rule.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import sys
import threading
from collections import Counter
from typing import Any

from drills.common import setup_django, verified_client

OK_API, STALE_API = 200, 412
OK_PAGE, STALE_PAGE = 302, 400


def _api_edit(client: Any, pk: Any, city: str) -> Any:
    return client.patch(f"/api/v1/trainings/{pk}/", {"city": city}, format="json", HTTP_IF_MATCH='"1"')


def _page_edit(client: Any, pk: Any, form: dict[str, Any], city: str) -> Any:
    return client.post(f"/formations/{pk}/modifier/", {**form, "city": city, "status": "planned"})


def _pair(calls: list[Any]) -> list[int]:
    barrier = threading.Barrier(len(calls))
    statuses: list[int] = [0] * len(calls)

    def run(index: int) -> None:
        from django.db import connection

        barrier.wait()
        try:
            statuses[index] = calls[index]().status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=1000)
    args = parser.parse_args()
    url = setup_django()

    from rest_framework.test import APIClient

    from django.test import override_settings

    from careplus.access.roles import Role
    from careplus.accounts import services as account_services
    from careplus.accounts.models import User
    from careplus.programmes.models import Programme
    from careplus.trainings.models import TrainingSession

    trainer = User.objects.create_user(email="drill-trainer@example.test", password=None, full_name="Drill")
    account_services.role_grant_system(user=trainer, role=Role.TRAINER)
    programme = Programme.objects.create(
        name="Drill",
        funder="Fictif",
        starts_on=datetime.date(2018, 1, 1),
        ends_on=datetime.date(2030, 1, 1),
        target_beneficiaries=1,
        target_trainings=1,
    )
    _token, raw = account_services.api_token_create(user=trainer, name="drill", days=1)
    api_clients = [APIClient(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {raw}") for _i in range(2)]
    page_clients = [verified_client(trainer) for _i in range(2)]
    outcome: dict[str, Counter[str]] = {"api": Counter(), "pages": Counter()}
    broken: list[str] = []
    with override_settings(CAREPLUS_API_RATES={"token": "1000000/hour", "list": "1000000/minute", "export": "5/hour"}):
        for index in range(args.pairs):
            values = {
                "programme": programme,
                "title": f"Session {index}",
                "city": "Lyon",
                "venue": "Salle",
                "held_on": datetime.date(2018, 6, 5),
                "capacity": 20,
                "modules": ["I"],
                "created_by": trainer,
            }
            for channel in ("api", "pages"):
                session = TrainingSession.objects.create(**values)
                if channel == "api":
                    clients = api_clients
                    calls = [
                        functools.partial(_api_edit, c, session.pk, city)
                        for c, city in zip(clients, ("Bordeaux", "Marseille"), strict=True)
                    ]
                    ok, stale = OK_API, STALE_API
                else:
                    clients = page_clients
                    form = {**{k: v for k, v in values.items() if k not in {"programme", "created_by"}}, "version": 1}
                    calls = [
                        functools.partial(_page_edit, c, session.pk, form, city)
                        for c, city in zip(clients, ("Bordeaux", "Marseille"), strict=True)
                    ]
                    ok, stale = OK_PAGE, STALE_PAGE
                statuses = _pair(calls)
                session.refresh_from_db()
                winners = statuses.count(ok)
                outcome[channel].update(str(s) for s in statuses)
                if winners != 1 or statuses.count(stale) != 1 or session.version != 1 + winners:
                    broken.append(f"{channel} pair {index}: {statuses}, version {session.version}")
    print(f"Conflicting pairs on {url.split(':', 1)[0]}: {args.pairs} through the API, {args.pairs} through the pages")
    for channel, counts in outcome.items():
        print(f"  {channel:<6} statuses: {dict(sorted(counts.items()))}")
    print(f"  pairs without exactly one winner or with a lost update: {len(broken)}")
    for line in broken[:10]:
        print("   ", line)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
