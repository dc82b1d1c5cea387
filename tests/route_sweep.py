"""Route sweeps generated from the URL configuration: every route, its kwargs built by name.

A new route is swept without being listed here; a route whose URL takes a kwarg this module
cannot serve fails the sweeps loudly (add the object to `sweep_context` and its name to `VALUES`).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from careplus.access.roles import Role
from careplus.accounts import services as account_services
from careplus.accounts.models import RoleGrant, User
from careplus.cases import services as case_services
from careplus.cases.models import Case, Consent, Handover
from careplus.core.models import Instrument
from careplus.returns.models import ArrivalItem, Departure, FollowUpAlert, PlanItem, Visit
from careplus.trainings.models import SessionMaterial
from tests import factories

CANARY = factories.CANARY

# Kwargs that name a record holding (or opening) a beneficiary's personal data.
PERSONAL_KWARGS = frozenset(
    {"case_id", "referral_id", "visit_id", "item_id", "attachment_id", "consent_id", "handover_id", "alert_id"}
)


@dataclass(frozen=True)
class SweptRoute:
    name: str
    kwarg_names: tuple[str, ...]
    callback: Any

    @property
    def api_view(self) -> Any:
        """The DRF view class of an API route, else None."""
        return getattr(self.callback, "cls", None)

    def methods(self) -> list[str]:
        """The methods to call: an API view's handlers; for a page, GET then (if refused) POST."""
        view = self.api_view
        if view is not None:
            return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]
        return ["get", "post"]


def _kwarg_names(pattern: Any) -> tuple[str, ...]:
    return tuple(pattern.regex.groupindex)


def iter_routes(
    patterns: list[Any] | None = None, prefix: str = "", kwargs: tuple[str, ...] = ()
) -> Iterator[SweptRoute]:
    """Yield every named URL pattern with the names of all the kwargs its full URL takes."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        names = kwargs + _kwarg_names(entry.pattern)
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from iter_routes(entry.url_patterns, namespace, names)
        elif isinstance(entry, URLPattern):
            assert entry.name, f"URL pattern {entry.pattern} has no name"
            yield SweptRoute(prefix + entry.name, names, entry.callback)


VALUES: dict[str, Callable[[dict[str, Any], str], Any]] = {
    "case_id": lambda c, route: c["case"].pk,
    "section": lambda c, route: "risque",
    "consent_id": lambda c, route: c["consent"].pk,
    "handover_id": lambda c, route: c["handover"].pk,
    "attachment_id": lambda c, route: c["attachment"].pk,
    "item_id": lambda c, route: (c["arrival_item"] if "arrival" in route else c["plan_item"]).pk,
    "visit_id": lambda c, route: c["visit"].pk,
    "alert_id": lambda c, route: c["alert"].pk,
    "referral_id": lambda c, route: c["referral"].pk,
    "user_id": lambda c, route: c["target"].pk,
    "grant_id": lambda c, route: c["target_grant"].pk,
    "token_id": lambda c, route: c["token"].pk,
    "session_id": lambda c, route: c["training"].pk,
    "participation_id": lambda c, route: c["participation"].pk,
    "material_id": lambda c, route: c["material"].pk,
    "programme_id": lambda c, route: c["referral"].programme_id,
    "token": lambda c, route: "abc-def" if "reset" in route else c["training"].registration_token,
    "uidb64": lambda c, route: "MTIz",
    # Issue 21, point 4: an instrument version (the eligibility parameters in force) and its kind.
    "instrument_id": lambda c, route: Instrument.objects.get(kind="eligibility", version="2018-1").pk,
    "kind": lambda c, route: "eligibility",
    "office_id": lambda c, route: factories.shared_office().pk,
    "organisation_id": lambda c, route: factories.shared_organisation().pk,
    # Issue 21, point 5: the file of a data-subject access request (a case file).
    "subject_kind": lambda c, route: "case",
    "subject_id": lambda c, route: c["case"].pk,
    "request_id": lambda c, route: _erasure_request(c).pk,
}


def _erasure_request(ctx: dict[str, Any]) -> Any:
    """Issue 21, point 5: one pending erasure request of the swept file, asked by the target DPO."""
    if "erasure_request" not in ctx:
        from careplus.privacy import erasure

        ctx["erasure_request"] = erasure.erasure_request(
            actor=ctx["target"], reference=ctx["case"].reference, reason="Demande de la personne."
        )
    return ctx["erasure_request"]


def url_for(route: SweptRoute, ctx: dict[str, Any], section: str = "") -> str:
    """Reverse the route with each kwarg built by its name; an unknown name fails loudly."""
    unknown = [name for name in route.kwarg_names if name not in VALUES]
    if unknown:
        raise AssertionError(
            f"route {route.name} takes {unknown}: teach tests/route_sweep.py (VALUES, sweep_context) to build them"
        )
    kwargs: dict[str, Any] = {}
    for name in route.kwarg_names:
        if name == "section" and section:
            kwargs[name] = section
        else:
            kwargs[name] = VALUES[name](ctx, route.name)
    return reverse(route.name, kwargs=kwargs)


def call(client: Client, route: SweptRoute, method: str, url: str, **headers: str) -> Any:
    """Call a route as its own client would: pages with a form body, the API with JSON."""
    if route.api_view is not None and method != "get":
        return getattr(client, method)(url, json.dumps({}), content_type="application/json", headers=headers)
    return getattr(client, method)(url, {}, headers=headers)


def plant_canaries(case: Case) -> None:
    """Write the canary into the free text of the file and its records (names, contact, notes, return)."""
    author = factories.system_user()
    case_services.note_add(actor=author, case=case, body=f"{CANARY}-note")
    departure = Departure.objects.get(case=case)
    departure.case = case
    departure.airport = f"{CANARY}-airport"
    departure.save()
    for visit in Visit.objects.filter(case=case):
        visit.case = case
        visit.notes = f"{CANARY}-visit"
        visit.save()


def sweep_context(*, restricted: bool) -> dict[str, Any]:
    """One returned case file (a minor's, so every section applies) with every kind of record, and the rest."""
    office = factories.shared_office()
    case = factories.make_returned_case(office=office)
    Case.objects.filter(pk=case.pk).update(is_minor=True)
    coordinator = factories.make_user(Role.COORDINATOR)
    caseworker = factories.make_user(Role.CASEWORKER, office=office)
    # The family name carries the canary; names are set through the service's encrypted fields.
    case = Case.objects.select_related("data_key", "office").get(pk=case.pk)
    case.family_name = f"{CANARY}-family"
    case.given_names = f"{CANARY}-given"
    case.safe_contact = {"channel": "phone", "alias": f"{CANARY}-alias"}
    case.save()
    plant_canaries(case)
    if restricted:
        case_services.restriction_set(
            actor=coordinator,
            case=case,
            restricted=True,
            users=[coordinator, caseworker],
            expected_version=case.version,
        )
        case.refresh_from_db()
    visit = Visit.objects.filter(case=case).first()
    assert visit is not None
    target = factories.make_user(Role.DPO)
    training = factories.make_training()
    material = SessionMaterial.objects.create(
        session=training,
        module="I",
        filename="m.pdf",
        content=b"%PDF-1.4",
        content_type="application/pdf",
        uploaded_by=factories.system_user(),
    )
    referral = factories.make_referral(family_name=f"{CANARY}-referral", organisation=factories.shared_organisation())
    return {
        "case": case,
        "coordinator": coordinator,
        "caseworker": caseworker,
        "target": target,
        "target_grant": RoleGrant.objects.get(user=target),
        "consent": Consent.objects.filter(case=case).first(),
        "handover": Handover.objects.create(
            case=case, office=office, sent_by=factories.system_user(), due_on=datetime.date(2030, 1, 1)
        ),
        "attachment": case_services.attachment_add(
            actor=factories.system_user(),
            case=case,
            filename=f"{CANARY}.pdf",
            content=b"%PDF-1.4 " + CANARY.encode(),
            content_type="application/pdf",
        ),
        "visit": visit,
        "arrival_item": ArrivalItem.objects.create(case=case, kind="shelter", planned_on=datetime.date(2030, 1, 1)),
        "plan_item": PlanItem.objects.create(
            case=case, category="iga", provider="P", delivery_mode="in_kind", planned_amount=Decimal("10.00")
        ),
        "alert": FollowUpAlert.objects.create(case=case, visit=visit, item="psy_distress"),
        "referral": referral,
        "token": account_services.api_token_create(user=target, name="t", days=30)[0],
        "training": training,
        "participation": factories.add_participant(training, present=True),
        "material": material,
    }


def signed_in(user: User) -> Client:
    client = Client()
    factories.sign_in(client, user)
    return client
