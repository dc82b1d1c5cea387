"""Load mix on loopback: 70 % reads, 20 % edits, 10 % searches, by caseworkers of four offices.

Reads: the case list and case pages in the user's scope; edits: a plan item added through the
API; searches: a case number. Every few requests a user asks for a case of another office: it
must answer 404, and no page may contain that case's id (an authorisation leak).
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


class Caseworker(HttpUser):
    wait_time = between(0.2, 1.0)

    def on_start(self) -> None:
        self.me = next(_USERS)
        self.client.cookies.update(self.me["cookie"])

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

    @task(35)
    def case_detail(self) -> None:
        case = random.choice(self.me["cases"])
        with self.client.get(f"/dossiers/{case}/", name="/dossiers/[id]/", catch_response=True) as r:
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
