"""Referrals and cases over the API: scope, mass assignment, concurrency, errors."""

from __future__ import annotations

import datetime

import pytest
from pytest_django import DjangoAssertNumQueries

from careplus.access.roles import Role
from careplus.audit.models import AuditEvent
from careplus.cases.models import Case, Consent, RestrictedView
from careplus.referrals.models import Referral
from tests import factories
from tests.api.helpers import api_client, referral_body

pytestmark = pytest.mark.django_db
REFERRALS = "/api/v1/referrals/"


@pytest.fixture(autouse=True)
def programme() -> None:
    factories.make_programme()


def test_a_partner_refers_and_reads_back_the_status_only() -> None:
    partner = factories.make_user(Role.PARTNER)
    client = api_client(partner)
    response = client.post(REFERRALS, referral_body(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "received"
    assert "given_names" not in body
    assert "family_name" not in body
    assert response["ETag"] == '"1"'
    referral = Referral.objects.get(pk=body["id"])
    assert referral.given_names == "Amina"
    detail = client.get(f"{REFERRALS}{referral.pk}/").json()
    assert set(detail) == {
        "id",
        "reference",
        "status",
        "received_on",
        "organisation_id",
        "programme_id",
        "created_at",
        "updated_at",
    }


def test_a_coordinator_reads_the_person_data() -> None:
    referral = factories.make_referral()
    body = api_client(factories.make_user(Role.COORDINATOR)).get(f"{REFERRALS}{referral.pk}/").json()
    assert body["given_names"] == "Leila"
    assert body["family_name"] == "Haddad"


def test_a_partners_token_cannot_read_another_organisations_referral() -> None:
    mine = factories.make_user(Role.PARTNER)
    other = factories.make_referral()
    own = factories.make_referral(actor=mine, organisation=mine.role_grants.get().organisation, family_name="Own")
    client = api_client(mine)
    response = client.get(f"{REFERRALS}{other.pk}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert AuditEvent.objects.filter(action="denied", object_id=str(other.pk)).exists()
    listed = [row["id"] for row in client.get(REFERRALS).json()["results"]]
    assert listed == [str(own.pk)]
    assert client.get(f"{REFERRALS}count/").json() == {"count": 1}


def test_mass_assignment_of_protected_referral_fields_changes_nothing() -> None:
    partner = factories.make_user(Role.PARTNER)
    own_org = partner.role_grants.get().organisation
    assert own_org is not None
    foreign = factories.make_organisation()
    other_programme = factories.make_programme(name="Autre programme")
    case = factories.make_case()
    attempts = {
        "status": "accepted",
        "organisation": str(foreign.pk),
        "programme": str(other_programme.pk),
        "programme_id": str(other_programme.pk),
        "case": str(case.pk),
        "case_id": str(case.pk),
        "is_minor": True,
        "possible_duplicate": True,
        "reference": "ORI-FORGED",
        "submitted_by": str(case.pk),
        "version": 99,
        "channel": "email",
        "data_key": "x",
        "id": "00000000-0000-0000-0000-000000000001",
    }
    client = api_client(partner)
    for field_name, value in attempts.items():
        response = client.post(
            REFERRALS, referral_body(family_name=f"Test{field_name}", **{field_name: value}), format="json"
        )
        if response.status_code == 201:
            referral = Referral.objects.get(pk=response.json()["id"])
            assert (referral.status, referral.organisation_id, referral.case_id) == ("received", own_org.pk, None)
            assert referral.programme_id != other_programme.pk
            assert (referral.is_minor, referral.reference != "ORI-FORGED", referral.version) == (False, True, 1)
            assert referral.channel == "portal"
            assert str(referral.pk) != attempts["id"]
        else:
            assert response.status_code == 400, (field_name, response.json())
    assert not Referral.objects.filter(organisation=foreign).exists()


def test_bad_input_gets_field_errors_in_the_users_language_and_saves_nothing() -> None:
    partner = factories.make_user(Role.PARTNER)
    body = referral_body(date_of_birth=None, departement="123", forms_of_exploitation=["piracy"])
    body.pop("family_name")
    response = api_client(partner, language="fr").post(REFERRALS, body, format="json")
    assert response.status_code == 400
    error = response.json()
    assert error["code"] == "invalid"
    assert error["message"] == "Certains champs ne sont pas valides ; rien n’a été enregistré."
    fields = error["extra"]["fields"]
    assert {"family_name", "forms_of_exploitation.0"} <= set(fields)
    assert fields["family_name"] == ["Ce champ est obligatoire."]
    assert not Referral.objects.exists()
    # rules of the portal's form apply too: a département and a date of birth or an age
    response = api_client(partner).post(REFERRALS, referral_body(date_of_birth=None, departement="123"), format="json")
    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"date_of_birth", "departement"}
    assert not Referral.objects.exists()


def test_a_possible_duplicate_answers_409_until_confirmed() -> None:
    partner = factories.make_user(Role.PARTNER)
    client = api_client(partner)
    assert client.post(REFERRALS, referral_body(), format="json").status_code == 201
    again = client.post(REFERRALS, referral_body(), format="json")
    assert again.status_code == 400 or again.status_code == 409
    assert again.json()["code"] == "possible_duplicate"
    assert Referral.objects.count() == 1
    confirmed = client.post(REFERRALS, referral_body(confirm_duplicate=True), format="json")
    assert confirmed.status_code == 201
    assert Referral.objects.count() == 2


def test_cursor_pagination_walks_every_referral_once() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    made = {str(factories.make_referral(family_name=f"Nom{i}").pk) for i in range(5)}
    client = api_client(coordinator)
    seen: list[str] = []
    url = f"{REFERRALS}?page_size=2"
    while url:
        page = client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(made)


def test_filters_on_status_and_dates() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    early = factories.make_referral(family_name="Early", received_on=datetime.date(2018, 1, 10))
    factories.make_referral(family_name="Late", received_on=datetime.date(2018, 6, 10))
    client = api_client(coordinator)
    rows = client.get(f"{REFERRALS}?received_before=2018-03-01&status=received").json()["results"]
    assert [row["id"] for row in rows] == [str(early.pk)]
    bad = client.get(f"{REFERRALS}?received_before=yesterday")
    assert bad.status_code == 400
    assert "received_before" in bad.json()["extra"]["fields"]


CASES = "/api/v1/cases/"


def test_a_caseworker_lists_and_counts_only_the_cases_of_their_office() -> None:
    office = factories.make_office()
    caseworker = factories.make_user(Role.CASEWORKER, office=office)
    mine = factories.make_case(office=office)
    unshared = factories.make_case(office=office, shared=False, family_name="Unshared")
    elsewhere = factories.make_case(office=factories.make_office(), family_name="Elsewhere")
    client = api_client(caseworker)
    ids = [row["id"] for row in client.get(CASES).json()["results"]]
    assert ids == [str(mine.pk)]
    assert client.get(f"{CASES}count/").json() == {"count": 1}
    for hidden in (unshared, elsewhere):
        assert client.get(f"{CASES}{hidden.pk}/").status_code == 404
    filtered = client.get(f"{CASES}?office={elsewhere.office_id}").json()["results"]
    assert filtered == []


def test_case_detail_carries_an_etag_and_the_possible_transitions() -> None:
    case = factories.make_case()
    response = api_client(factories.make_user(Role.COORDINATOR)).get(f"{CASES}{case.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == f'"{case.version}"'
    body = response.json()
    assert body["given_names"] == "Sita"
    targets = {row["target"]: row for row in body["transitions"]}
    assert "pre_departure" in targets
    assert targets["pre_departure"]["missing"]  # data-processing consent not yet recorded


def _ready_for_pre_departure(case: Case) -> None:
    Consent.objects.create(
        case=case, scope="data_processing", given_on=datetime.date(2018, 4, 2), recorded_by=factories.system_user()
    )


def test_a_transition_needs_if_match_and_a_stale_one_gets_412_with_nothing_changed() -> None:
    case = factories.make_case()
    _ready_for_pre_departure(case)
    client = api_client(factories.make_user(Role.COORDINATOR))
    url = f"{CASES}{case.pk}/transitions/"
    missing = client.post(url, {"target": "pre_departure"}, format="json")
    assert missing.status_code == 428
    assert missing.json()["code"] == "precondition_required"
    stale = client.post(url, {"target": "pre_departure"}, format="json", HTTP_IF_MATCH=f'"{case.version + 5}"')
    assert stale.status_code == 412
    case.refresh_from_db()
    assert case.status == "open"
    done = client.post(url, {"target": "pre_departure"}, format="json", HTTP_IF_MATCH=f'"{case.version}"')
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "pre_departure"
    assert done["ETag"] == f'"{case.version + 1}"'
    replay = client.post(url, {"target": "open", "reason": "x"}, format="json", HTTP_IF_MATCH=f'"{case.version}"')
    assert replay.status_code == 412


def test_a_caseworker_cannot_change_a_status_and_a_blocked_transition_says_why() -> None:
    office = factories.make_office()
    case = factories.make_case(office=office)
    caseworker_client = api_client(factories.make_user(Role.CASEWORKER, office=office))
    url = f"{CASES}{case.pk}/transitions/"
    assert (
        caseworker_client.post(url, {"target": "pre_departure"}, format="json", HTTP_IF_MATCH='"1"').status_code == 404
    )
    coordinator = api_client(factories.make_user(Role.COORDINATOR))
    blocked = coordinator.post(url, {"target": "pre_departure"}, format="json", HTTP_IF_MATCH=f'"{case.version}"')
    assert blocked.status_code == 409
    assert blocked.json()["code"] == "transition_blocked"
    assert blocked.json()["extra"]["missing"]
    case.refresh_from_db()
    assert case.status == "open"


def test_mass_assignment_on_a_transition_changes_only_the_status() -> None:
    case = factories.make_case()
    _ready_for_pre_departure(case)
    other_office = factories.make_office()
    client = api_client(factories.make_user(Role.COORDINATOR))
    body = {
        "target": "pre_departure",
        "office": str(other_office.pk),
        "restricted": True,
        "version": 42,
        "is_minor": True,
        "reference": "FORGED",
    }
    response = client.post(f"{CASES}{case.pk}/transitions/", body, format="json", HTTP_IF_MATCH=f'"{case.version}"')
    assert response.status_code == 200
    case.refresh_from_db()
    assert (case.office_id, case.restricted, case.is_minor, case.reference != "FORGED") == (
        case.office_id,
        False,
        False,
        True,
    )
    assert case.office_id != other_office.pk
    assert case.version == 2


def test_a_restricted_case_needs_a_reason_which_is_recorded() -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    case = factories.make_case()
    Case.objects.filter(pk=case.pk).update(restricted=True)
    case.restricted_users.add(coordinator)
    client = api_client(coordinator)
    refused = client.get(f"{CASES}{case.pk}/")
    assert refused.status_code == 403
    assert refused.json()["code"] == "reason_required"
    allowed = client.get(f"{CASES}{case.pk}/", HTTP_X_ACCESS_REASON="Suivi de la visite du mois 3")
    assert allowed.status_code == 200
    assert RestrictedView.objects.filter(case=case, user=coordinator).count() == 1
    outsider = api_client(factories.make_user(Role.COORDINATOR))
    assert outsider.get(f"{CASES}{case.pk}/", HTTP_X_ACCESS_REASON="curiosité pure").status_code == 404


def test_list_reads_take_a_constant_number_of_queries(django_assert_max_num_queries: DjangoAssertNumQueries) -> None:
    coordinator = factories.make_user(Role.COORDINATOR)
    for index in range(12):
        factories.make_case(family_name=f"Nom{index}")
    client = api_client(coordinator)
    with django_assert_max_num_queries(12):
        assert len(client.get(CASES).json()["results"]) == 12


def test_reading_a_case_file_writes_one_view_event() -> None:
    case = factories.make_case()
    coordinator = factories.make_user(Role.COORDINATOR)
    client = api_client(coordinator)
    before = AuditEvent.objects.filter(action="view", object_id=str(case.pk)).count()
    assert client.get(f"{CASES}{case.pk}/").status_code == 200
    views = AuditEvent.objects.filter(action="view", object_id=str(case.pk), actor_id=str(coordinator.pk))
    assert views.count() - before == 1


@pytest.mark.parametrize("body", ["[" * 50_000, '{"languages": ' + "[" * 40 + "]" * 40 + "}"])
def test_p21_a_deeply_nested_body_is_a_clear_400_and_saves_nothing(body: str) -> None:
    partner = factories.make_user(Role.PARTNER)
    response = api_client(partner).post(REFERRALS, data=body, content_type="application/json")
    assert response.status_code == 400
    error = response.json()
    assert error["message"] == "The request body is nested too deeply."
    assert not Referral.objects.exists()
