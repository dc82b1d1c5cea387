"""Prepare a load test on the synthetic database: signed-in sessions, API tokens, case ids.

    .venv/bin/python -m loadtest.prepare OUT.json

Writes, for each synthetic office's caseworker, a session cookie that passed both factors, a
personal API token, a sample of case ids in their scope and one case id outside it (to check
that no response leaks it); and for the coordinator, a session, the programme and case ids.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.run import _setup


def main(out: Path, cases: int) -> None:
    _setup(cases)
    from django.conf import settings

    from careplus.access.scopes import cases_visible_to
    from careplus.accounts import services as account_services
    from careplus.accounts.models import User
    from careplus.cases.models import Case
    from careplus.programmes.models import Programme
    from drills.common import verified_client

    users: list[dict[str, Any]] = []
    for email in ("sktm@synthetique.test", "syao@synthetique.test", "stun@synthetique.test", "slos@synthetique.test"):
        user = User.objects.get(email=email)
        client = verified_client(user)
        visible = cases_visible_to(user)
        in_scope = [str(pk) for pk in visible.order_by("?").values_list("pk", flat=True)[:300]]
        outside = Case.objects.exclude(office_id__in=visible.values("office_id")).values_list("pk", flat=True).first()
        returned = [str(pk) for pk in visible.filter(status="returned").values_list("pk", flat=True)[:200]]
        references = list(visible.order_by("?").values_list("reference", flat=True)[:100])
        _token, raw = account_services.api_token_create(user=user, name="load test", days=1)
        users.append(
            {
                "email": email,
                "cookie": {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value},
                "token": raw,
                "cases": in_scope,
                "returned": returned,
                "references": references,
                "outside": str(outside),
            }
        )
    coordinator = User.objects.get(email="coordination@synthetique.test")
    client = verified_client(coordinator)
    programme = Programme.objects.get(name="Programme synthétique")
    everyone = {
        "email": coordinator.email,
        "cookie": {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value},
        "programme": str(programme.pk),
        "cases": [str(pk) for pk in Case.objects.order_by("?").values_list("pk", flat=True)[:300]],
        "references": list(Case.objects.order_by("?").values_list("reference", flat=True)[:100]),
    }
    out.write_text(json.dumps({"users": users, "coordinator": everyone}, indent=2))
    print(f"Prepared {len(users)} caseworkers and a coordinator in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 100_000)
