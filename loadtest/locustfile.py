"""Load mix on loopback: 70 % reads, 20 % edits, 10 % searches, by caseworkers of four offices
and a coordinator (one user in five).

Caseworkers read the case list and case pages in their scope, add a plan item through the API
and search a case number; every few requests they ask for a case of another office: it must
answer 404, and no page may contain that case's id (an authorisation leak). The coordinator
reads every office's files, the referrals, the dashboard, and searches.

With CAREPLUS_LOAD_HOSTS (several base addresses, comma-separated: one per application server),
each user sends its requests to the servers in turn, as a proxy spreading requests would: the
same session, rate limits and audit chain serve it whichever server answers.
"""

from __future__ import annotations

import itertools
import json
import os
import random
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

DATA = json.loads(Path(os.environ["CAREPLUS_LOAD_DATA"]).read_text(encoding="utf-8"))
_USERS = itertools.cycle(DATA["users"])
HOSTS = [host for host in os.environ.get("CAREPLUS_LOAD_HOSTS", "").split(",") if host]


def spread_over_servers(user: HttpUser) -> None:
    """Send each of the user's requests to the next application server (round robin)."""
    if len(HOSTS) < 2:
        return
    servers = itertools.cycle(HOSTS)
    request = user.client.request

    def to_next_server(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        user.client.base_url = next(servers)
        return request(method, url, *args, **kwargs)

    user.client.request = to_next_server  # type: ignore[method-assign]


class Caseworker(HttpUser):
    weight = 4
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.me = next(_USERS)
        self.client.cookies.update(self.me["cookie"])
        spread_over_servers(self)

    def _leak_check(self, response: Any) -> None:
        if self.me["outside"] in (response.text or ""):
            response.failure("authorisation leak: an out-of-scope case id appeared")

    @task(35)
    def case_list(self) -> None:
        page = random.randint(1, 40)
        with self.client.get(
            f"/dossiers/?status=returned&page={page}", name="/dossiers/?page", catch_response=True
        ) as r:
            self._leak_check(r)

    @task(25)
    def case_detail(self) -> None:
        case = random.choice(self.me["cases"])
        with self.client.get(f"/dossiers/{case}/", name="/dossiers/[id]/", catch_response=True) as r:
            self._leak_check(r)

    @task(10)
    def case_part(self) -> None:
        case = random.choice(self.me["cases"])
        part = random.choice(("historique", "notes", "consentements"))
        with self.client.get(
            f"/dossiers/{case}/?onglet={part}", name="/dossiers/[id]/?onglet", catch_response=True
        ) as r:
            self._leak_check(r)

    @task(20)
    def add_plan_item(self) -> None:
        case = random.choice(self.me["returned"])
        body = {
            "category": "vocational",
            "description": "Formation professionnelle",
            "provider": "Centre fictif",
            "delivery_mode": "in_kind",
            "planned_amount": "120.00",
        }
        self.client.post(
            f"/api/v1/cases/{case}/plan-items/",
            json=body,
            headers={"Authorization": f"Bearer {self.me['token']}"},
            name="/api/v1/cases/[id]/plan-items/",
        )

    @task(10)
    def search(self) -> None:
        reference = random.choice(self.me["references"])
        with self.client.get(f"/recherche/?q={reference}", name="/recherche/", catch_response=True) as r:
            self._leak_check(r)

    @task(3)
    def out_of_scope(self) -> None:
        with self.client.get(
            f"/dossiers/{self.me['outside']}/", name="/dossiers/[other office]/", catch_response=True
        ) as r:
            if r.status_code == 404:
                r.success()
            else:
                r.failure(f"out-of-scope case answered {r.status_code}")


class Coordinator(HttpUser):
    weight = 1  # against 4 caseworkers
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.me = DATA["coordinator"]
        self.client.cookies.update(self.me["cookie"])
        spread_over_servers(self)

    @task(30)
    def case_list(self) -> None:
        self.client.get(f"/dossiers/?page={random.randint(1, 200)}", name="/dossiers/?page (coordinator)")

    @task(30)
    def case_detail(self) -> None:
        case = random.choice(self.me["cases"])
        self.client.get(f"/dossiers/{case}/", name="/dossiers/[id]/ (coordinator)")

    @task(15)
    def referrals(self) -> None:
        self.client.get("/orientations/", name="/orientations/")

    @task(15)
    def dashboard(self) -> None:
        period = random.choice(["all", "2024-S1", "2025-S2", "2026-03"])
        self.client.get(f"/tableau-de-bord/?programme={self.me['programme']}&period={period}", name="/tableau-de-bord/")

    @task(10)
    def search(self) -> None:
        self.client.get(f"/recherche/?q={random.choice(self.me['references'])}", name="/recherche/ (coordinator)")
