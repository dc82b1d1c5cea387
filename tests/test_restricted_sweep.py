"""A restricted file: every route that takes its id asks the reason first, then audits each read with it.

The routes come from the URL configuration (tests/route_sweep.py): a new page, partial, download,
export or API endpoint of a case file is swept without being listed.
"""

from __future__ import annotations

from typing import Any

import pytest

from django.urls import reverse

from careplus.access.reading import SESSION_KEY
from careplus.access.roles import Role
from careplus.audit.models import AuditEvent
from careplus.cases import services as case_services
from careplus.cases.models import Case, CaseNote, RestrictedView
from careplus.cases.slugs import SECTION_SLUGS
from tests import factories
from tests.route_sweep import CANARY, SweptRoute, call, iter_routes, signed_in, sweep_context, url_for

pytestmark = pytest.mark.django_db

GATE = "cases:case_reason"  # the reason form itself: it asks, it reads nothing
REASON = "Préparation de l'audience du 12 mars"
USERS = ("coordinator", "caseworker")  # both named on the restricted file; a route is served by the first allowed


def _case_routes() -> list[SweptRoute]:
    return [route for route in iter_routes() if "case_id" in route.kwarg_names]


def _urls(route: SweptRoute, ctx: dict[str, Any]) -> list[str]:
    if "section" in route.kwarg_names:
        return [url_for(route, ctx, section=slug) for slug in SECTION_SLUGS.values()]
    return [url_for(route, ctx)]


def _reads(case: Case) -> tuple[int, int]:
    views = AuditEvent.objects.filter(action="view", object_type="cases.case", object_id=str(case.pk)).count()
    return views, RestrictedView.objects.filter(case=case).count()


def _last_seq() -> int:
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
    return last or 0


def _asks_the_reason(route: SweptRoute, response: Any, case: Case) -> list[str]:
    body = response.content.decode(errors="replace")
    problems = []
    if CANARY in body:
        problems.append("shows personal data")
    if route.api_view is not None:
        if response.status_code != 403 or response.json().get("code") != "reason_required":
            problems.append(f"API answered {response.status_code} instead of reason_required")
    else:
        gate = reverse(GATE, kwargs={"case_id": case.pk})
        if f'action="{gate}"' not in body or 'name="reason"' not in body:
            problems.append(f"answered {response.status_code} without the reason form")
        if response.status_code not in {200, 403}:
            problems.append(f"reason form with status {response.status_code}")
    return problems


def test_sweep_a_every_route_of_a_restricted_file_asks_the_reason_then_audits_each_read_with_it() -> None:
    ctx = sweep_context(restricted=True)
    case: Case = ctx["case"]
    routes = _case_routes()
    assert len(routes) >= 40, [r.name for r in routes]  # pages, downloads and API endpoints of a file
    clients = {who: signed_in(ctx[who]) for who in USERS}
    failures: list[str] = []
    served: list[tuple[SweptRoute, str, str, str]] = []

    # Without a reason in the session (nor the API header): the reason is asked, nothing is shown or read.
    for route in routes:
        for url in _urls(route, ctx):
            reached = None
            for who in USERS:
                for method in route.methods():
                    before = _reads(case)
                    response = call(clients[who], route, method, url)
                    if response.status_code == 405:
                        continue
                    if response.status_code == 404:
                        break  # not this user's action: the next user
                    failures += [f"{route.name} {method} {url}: {p}" for p in _asks_the_reason(route, response, case)]
                    if _reads(case) != before:
                        failures.append(f"{route.name} {method} {url}: a read recorded without a reason")
                    reached = (who, method)
                    break
                if reached:
                    break
            if reached is None:
                failures.append(f"{route.name} {url}: no named user could reach it")
            else:
                served.append((route, url, *reached))

    # With the reason given once (pages) or in the header (API): every read is audited with it.
    for who, client in clients.items():
        given = client.post(reverse(GATE, kwargs={"case_id": case.pk}), {"reason": REASON})
        assert given.status_code == 302, who
    shown = set()
    # The caseworker's routes first: a coordinator's route may withdraw the consent that shares the file.
    for route, url, who, method in sorted(served, key=lambda item: item[2] != "caseworker"):
        if route.name == GATE:
            again = call(clients[who], route, method, url)
            assert again.status_code == 302, "the reason form sends back once the reason is given"
            continue
        headers = {"X-Access-Reason": REASON} if route.api_view is not None else {}
        seq = _last_seq()
        rows = set(RestrictedView.objects.filter(case=case).values_list("pk", flat=True))
        response = call(clients[who], route, method, url, **headers)
        if CANARY in response.content.decode(errors="replace"):
            shown.add(route.name)
        events = AuditEvent.objects.filter(
            seq__gt=seq, action="view", object_type="cases.case", object_id=str(case.pk), actor_id=str(ctx[who].pk)
        )
        if not any("reason" in event.field_names and len(event.field_names) > 1 for event in events):
            failures.append(f"{route.name} {method} {url}: read not audited with its part and reason")
        new_rows = RestrictedView.objects.filter(case=case).exclude(pk__in=rows).select_related("case__data_key")
        if [row.reason for row in new_rows] != [REASON]:
            failures.append(f"{route.name} {method} {url}: reason not kept with the read")
    assert not failures, "\n".join(failures)
    # Not vacuous: the pages do show the file once the reason is given.
    assert {"cases:case_detail", "cases:case_plan", "returns:overview", "api:case_detail"} <= shown, shown


def _restricted(*users: Any) -> Case:
    case = factories.make_case(family_name=f"{CANARY}-family")
    case_services.restriction_set(
        actor=users[0], case=case, restricted=True, users=list(users), expected_version=case.version
    )
    return Case.objects.select_related("data_key", "office").get(pk=case.pk)


def test_p02_a_change_posted_without_a_reason_is_refused_visibly_and_sent_back_after_it(coordinator: Any) -> None:
    case = _restricted(coordinator)
    client = signed_in(coordinator)
    notes = reverse("cases:case_detail", kwargs={"case_id": case.pk}) + "?onglet=notes"
    refused = client.post(
        reverse("cases:note_add", kwargs={"case_id": case.pk}), {"body": "Rappeler demain"}, headers={"Referer": notes}
    )
    assert refused.status_code == 403
    page = refused.content.decode()
    assert refused.context["refused"] is True  # "Nothing was saved: ... make your change again."
    assert 'class="message message--error" role="alert"' in page
    assert f'name="next" value="{notes}"' in page.replace("&amp;", "&")
    assert not CaseNote.objects.filter(case=case).exists()
    gate = reverse(GATE, kwargs={"case_id": case.pk})
    back = client.post(gate, {"reason": REASON, "next": notes})
    assert back["Location"] == notes
    assert (
        client.post(reverse("cases:note_add", kwargs={"case_id": case.pk}), {"body": "Rappeler demain"}).status_code
        == 302
    )
    assert CaseNote.objects.filter(case=case).count() == 1


def test_p02_a_reason_given_in_one_session_opens_nothing_for_another_user_or_session(coordinator: Any) -> None:
    colleague = factories.make_user(Role.COORDINATOR)
    case = _restricted(coordinator, colleague)
    url = reverse("cases:case_detail", kwargs={"case_id": case.pk})
    mine = signed_in(coordinator)
    mine.post(reverse(GATE, kwargs={"case_id": case.pk}), {"reason": REASON})
    assert CANARY in mine.get(url).content.decode()
    # The colleague's session does not have it; copying the sealed reason into it does not open the file.
    theirs = signed_in(colleague)
    assert CANARY not in theirs.get(url).content.decode()
    session: Any = theirs.session
    session[SESSION_KEY] = dict(mine.session[SESSION_KEY])
    session.save()
    assert CANARY not in theirs.get(url).content.decode()
    # A second session of the same user is asked again; the API wants its header whatever the session holds.
    assert CANARY not in signed_in(coordinator).get(url).content.decode()
    api = mine.get(reverse("api:case_detail", kwargs={"case_id": case.pk}))
    assert api.status_code == 403
    assert api.json()["code"] == "reason_required"
    # Sign-out forgets it.
    mine.post(reverse("accounts:logout"))
    factories.sign_in(mine, coordinator)
    assert CANARY not in mine.get(url).content.decode()


def test_p02_an_htmx_request_without_a_reason_is_sent_to_the_reason_form(coordinator: Any) -> None:
    case = _restricted(coordinator)
    client = signed_in(coordinator)
    page = reverse("returns:overview", kwargs={"case_id": case.pk})
    partial = client.get(page, headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"})
    assert partial.status_code == 200
    assert CANARY not in partial.content.decode()
    gate = reverse(GATE, kwargs={"case_id": case.pk})
    assert partial["HX-Redirect"] == f"{gate}?next={page.replace('/', '%2F')}"
