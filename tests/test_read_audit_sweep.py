"""Every GET route that shows personal data writes an audit event.

The routes come from the URL configuration (tests/route_sweep.py). A route shows personal data
when its URL names a beneficiary's record (a file, referral, visit, document...) or when its page
holds the canary planted in the people's names, contact, notes, departure and visits; each role
that reaches it must leave an audit event of that read.
"""

from __future__ import annotations

from typing import Any

import pytest

from django.urls import reverse

from careplus.access.roles import Role
from careplus.audit.models import AuditEvent
from careplus.cases.slugs import SECTION_SLUGS
from tests import factories
from tests.route_sweep import CANARY, PERSONAL_KWARGS, SweptRoute, iter_routes, signed_in, sweep_context, url_for

pytestmark = pytest.mark.django_db

READERS = (Role.COORDINATOR, Role.CASEWORKER, Role.PARTNER, Role.AUDITOR, Role.TRAINER, Role.DPO)


def _get_routes() -> list[SweptRoute]:
    routes = []
    for route in iter_routes():
        view = route.api_view
        if view is not None and not hasattr(view, "get"):
            continue
        routes.append(route)
    return routes


def _named_record(route: Any, ctx: dict[str, Any]) -> str | None:
    """The id of the case file or referral whose read the URL asks for (None for a list)."""
    if "case_id" in route.kwarg_names:
        return str(ctx["case"].pk)
    if "referral_id" in route.kwarg_names:
        return str(ctx["referral"].pk)
    return None


def _last_seq() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_sweep_b_every_get_route_showing_personal_data_writes_an_audit_event() -> None:
    ctx = sweep_context(restricted=False)
    personas = {
        Role.COORDINATOR: ctx["coordinator"],
        Role.CASEWORKER: ctx["caseworker"],
        Role.PARTNER: factories.make_user(Role.PARTNER, organisation=factories.shared_organisation()),
        Role.AUDITOR: factories.make_user(Role.AUDITOR),
        Role.TRAINER: factories.make_user(Role.TRAINER),
        Role.DPO: factories.make_user(Role.DPO),
    }
    clients = {role: signed_in(user) for role, user in personas.items()}
    failures: list[str] = []
    personal_pages = set()
    for route in _get_routes():
        urls = (
            [url_for(route, ctx, section=s) for s in SECTION_SLUGS.values()]
            if "section" in route.kwarg_names
            else [url_for(route, ctx)]
        )
        for url in urls:
            for role in READERS:
                seq = _last_seq()
                response = clients[role].get(url)
                if response.status_code != 200:
                    continue  # refused (404), redirected or not a GET route: nothing shown
                body = b"".join(response) if response.streaming else response.content
                shows = CANARY.encode() in body or bool(PERSONAL_KWARGS & set(route.kwarg_names))
                if not shows:
                    continue
                personal_pages.add(route.name)
                written = AuditEvent.objects.filter(
                    seq__gt=seq, actor_id=str(personas[role].pk), action__in=["view", "export"]
                )
                named = _named_record(route, ctx)
                if named is not None:  # the event is about the record the URL names, not any read
                    written = written.filter(object_id=named)
                if not written.exists():
                    failures.append(f"{route.name} GET {url} as {role.value}: personal data shown, no audit event")
    assert not failures, "\n".join(failures)
    # Not vacuous: the file's pages and sub-pages, the return pages, referrals and API reads were swept.
    expected = {
        "cases:case_detail",
        "cases:case_section",
        "cases:case_plan",
        "returns:overview",
        "returns:departure_edit",
        "returns:visit_record",
        "referrals:referral_detail",
        "referrals:referral_screening",
        "api:visit_detail",
    }
    assert expected <= personal_pages, expected - personal_pages


def test_p03_sub_pages_of_a_file_are_audited_with_the_part_read(coordinator: Any, signed_in: Any) -> None:
    case = factories.make_returned_case(office=factories.shared_office())
    visit = case.visits.first()
    assert visit is not None
    client = signed_in(coordinator)
    pages = {
        reverse("cases:case_section", kwargs={"case_id": case.pk, "section": "risque"}): "riskassessment",
        reverse("cases:case_section", kwargs={"case_id": case.pk, "section": "besoins"}): "needsassessment",
        reverse("cases:case_section", kwargs={"case_id": case.pk, "section": "juridique"}): "legalsituation",
        reverse("cases:case_plan", kwargs={"case_id": case.pk}): "departure_plan",
        reverse("returns:overview", kwargs={"case_id": case.pk}): "return",
        reverse("returns:departure_edit", kwargs={"case_id": case.pk}): "departure",
        reverse("returns:visit_record", kwargs={"case_id": case.pk, "visit_id": visit.pk}): "visit",
    }
    for url, part in pages.items():
        seq = _last_seq()
        assert client.get(url).status_code == 200, url
        event = AuditEvent.objects.get(seq__gt=seq, action="view")
        assert (event.object_type, event.object_id, event.field_names) == ("cases.case", str(case.pk), [part]), url


def test_p03_the_identification_screening_page_is_audited(coordinator: Any, signed_in: Any) -> None:
    factories.make_programme()
    referral = factories.make_referral()
    seq = _last_seq()
    page = signed_in(coordinator).get(reverse("referrals:referral_screening", kwargs={"referral_id": referral.pk}))
    assert page.status_code == 200
    event = AuditEvent.objects.get(seq__gt=seq, action="view")
    assert (event.object_type, event.object_id, event.field_names) == (
        "referrals.referral",
        str(referral.pk),
        ["screening"],
    )
