"""Issue 21 point 2: offices and partner organisations on screens, each write audited, bad input refused."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks

from django import forms
from django.core import mail
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse

from careplus.access.roles import Role
from careplus.accounts import offices
from careplus.accounts import services as account_services
from careplus.accounts.forms import RoleGrantForm
from careplus.accounts.models import Office, Organisation, RoleGrant, User
from careplus.audit.models import AuditEvent
from careplus.cases.forms import HandoverForm
from careplus.core import locking
from careplus.core.departements import DEPARTEMENTS, normalise_departement, validate_departement
from careplus.core.errors import RuleViolation, StaleObject
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]

DAKAR = {
    "name": "Bureau de Dakar",
    "code": " dkr ",
    "country": "SN",
    "city": "Dakar",
    "time_zone": "Africa/Dakar",
    "kind": "return_country",
}
COMMISSARIAT = {"name": "Commissariat de Lyon 7e", "type": "police", "departement": "69"}


def _events(action: str, obj: Any) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by(
            "seq"
        )
    )


# --- One validator per kind of value ------------------------------------------------------


@pytest.mark.parametrize("code", ["01", "19", "21", "95", "2A", "2b", " 69 ", "971", "976", "974"])
def test_i21_p02_french_departement_codes_are_accepted(code: str) -> None:
    validate_departement(code)
    assert normalise_departement(code) in DEPARTEMENTS


@pytest.mark.parametrize("code", ["", "0", "00", "20", "96", "99", "2C", "970", "979", "999", "6 9", "69\u202e"])
def test_i21_p02_other_departement_codes_are_refused(code: str) -> None:
    with pytest.raises(Exception, match="département"):
        validate_departement(code)


def test_i21_p02_time_zones_are_the_servers_own() -> None:
    offices.validate_time_zone("Africa/Dakar")
    with pytest.raises(Exception, match="Africa/Dakar"):
        offices.validate_time_zone("Africa/Dakkar")


# --- Offices: services ---------------------------------------------------------------------


def test_i21_p02_office_create_trims_and_upper_cases_the_code_and_is_audited(dpo: User) -> None:
    office = offices.office_create(actor=dpo, **DAKAR)
    assert (office.code, office.country, office.city, office.time_zone, office.active) == (
        "DKR",
        "SN",
        "Dakar",
        "Africa/Dakar",
        True,
    )
    (event,) = _events("create", office)
    assert event.actor_id == str(dpo.pk)
    assert set(event.fields.split(",")) == {"code", "name", "country", "city", "kind", "time_zone"}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"code": "shr"}, "code", "Un autre bureau a déjà le code SHR."),
        ({"code": "D K R"}, "code", "Saisissez de 2 à 10 lettres, chiffres ou tirets"),
        ({"time_zone": "Africa/Dakkar"}, "time_zone", "Choisissez un fuseau horaire dans la liste"),
        ({"country": "ZZ"}, "country", "Choisissez un pays dans la liste."),
        ({"city": " "}, "city", "Ce champ est obligatoire."),
        ({"name": "Bureau\u202e"}, "name", "U\\+202E"),
    ],
)
def test_i21_p02_bad_office_input_is_refused_on_its_field_and_nothing_is_written(
    dpo: User, change: dict[str, str], field: str, message: str
) -> None:
    factories.shared_office()  # code SHR
    before = (Office.objects.count(), AuditEvent.objects.filter(action="create").count())
    with pytest.raises(offices.FieldRefused, match=message) as refused:
        offices.office_create(actor=dpo, **{**DAKAR, **change})
    assert refused.value.field == field
    assert (Office.objects.count(), AuditEvent.objects.filter(action="create").count()) == before


def test_i21_p02_office_edit_is_version_checked_and_audited_with_the_fields_changed(dpo: User) -> None:
    office = offices.office_create(actor=dpo, **DAKAR)
    values = {**DAKAR, "city": "Thiès"}
    changed = offices.office_update(actor=dpo, office=office, expected_version=office.version, **values)
    assert changed == ["city"]
    office.refresh_from_db()
    assert (office.city, office.version) == ("Thiès", 2)
    (event,) = _events("change", office)
    assert event.fields == "city"
    with pytest.raises(StaleObject, match=re.escape(locking.stale_message())):
        offices.office_update(actor=dpo, office=office, expected_version=1, **{**values, "city": "Saint-Louis"})
    office.refresh_from_db()
    assert office.city == "Thiès"
    assert len(_events("change", office)) == 1


def test_i21_p02_deactivated_office_is_no_longer_offered_but_files_keep_it(dpo: User) -> None:
    office = factories.make_office("KTM", country="NP")
    case = factories.make_case(office=office)
    offices.office_deactivate(actor=dpo, office=office, expected_version=office.version)
    office.refresh_from_db()
    case.refresh_from_db()
    assert not office.active
    assert case.office_id == office.pk
    assert _events("change", office)[-1].fields == "active"
    assert office not in _choices(RoleGrantForm(), "office")
    assert office not in _choices(HandoverForm(), "office")
    with pytest.raises(RuleViolation, match="déjà désactivé"):
        offices.office_deactivate(actor=dpo, office=office, expected_version=office.version)
    offices.office_reactivate(actor=dpo, office=office, expected_version=office.version)
    assert Office.objects.get(pk=office.pk).active
    assert [e.fields for e in _events("change", office)] == ["active", "active"]


def test_i21_p02_no_caseworker_is_bound_to_a_deactivated_office(dpo: User) -> None:
    office = factories.make_office()
    offices.office_deactivate(actor=dpo, office=office, expected_version=office.version)
    user = factories.make_user()
    with pytest.raises(RuleViolation, match="désactivé"):
        account_services.role_grant(
            actor=dpo, user=user, role=Role.CASEWORKER, office=office, code=factories.totp_code(dpo)
        )
    assert not RoleGrant.objects.filter(user=user).exists()


def test_i21_p02_a_case_opened_from_a_referral_gets_no_deactivated_office(dpo: User, coordinator: User) -> None:
    from careplus.cases import services as case_services

    office = factories.make_office("NPL", country="NP")
    offices.office_deactivate(actor=dpo, office=office, expected_version=office.version)
    referral = factories.make_referral(country_of_return="NP")
    case = case_services.case_open_from_referral(actor=coordinator, referral=referral, opened_on=referral.received_on)
    assert case.office_id is None


# --- Offices: screens ----------------------------------------------------------------------


def test_i21_p02_dpo_creates_an_office_on_screen(dpo: User, signed_in: SignedIn) -> None:
    client = signed_in(dpo)
    page = client.get(reverse("accounts:office_create")).content.decode()
    assert "Sénégal" in page  # countries by their French names
    assert 'value="Africa/Dakar"' in page
    response = client.post(reverse("accounts:office_create"), DAKAR)
    office = Office.objects.get(code="DKR")
    assert response["Location"] == reverse("accounts:office_detail", kwargs={"office_id": office.pk})
    listing = client.get(reverse("accounts:office_list")).content.decode()
    assert "Bureau de Dakar" in listing
    assert "Sénégal" in listing


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"code": "shr"}, "Un autre bureau a déjà le code SHR."),
        ({"time_zone": "Africa/Dakkar"}, "Choisissez un fuseau horaire dans la liste, par exemple Africa/Dakar."),
        ({"code": ""}, "Ce champ est obligatoire."),
    ],
)
def test_i21_p02_bad_office_input_on_screen_says_why_and_writes_nothing(
    dpo: User, signed_in: SignedIn, change: dict[str, str], message: str
) -> None:
    factories.shared_office()
    before = (Office.objects.count(), AuditEvent.objects.filter(action="create").count())
    response = signed_in(dpo).post(reverse("accounts:office_create"), {**DAKAR, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (Office.objects.count(), AuditEvent.objects.filter(action="create").count()) == before


def test_i21_p02_stale_office_edit_shows_both_values_and_keeps_the_saved_one(dpo: User, signed_in: SignedIn) -> None:
    office = offices.office_create(actor=dpo, **DAKAR)
    offices.office_update(actor=dpo, office=office, expected_version=1, **{**DAKAR, "city": "Thiès"})
    response = signed_in(dpo).post(
        reverse("accounts:office_detail", kwargs={"office_id": office.pk}),
        {**DAKAR, "city": "Saint-Louis", "version": 1},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "Thiès" in body
    assert "Saint-Louis" in body
    office.refresh_from_db()
    assert office.city == "Thiès"


# --- Organisations: services and screens ----------------------------------------------------


def test_i21_p02_organisation_create_and_edit_are_audited(coordinator: User) -> None:
    organisation = offices.organisation_create(actor=coordinator, **{**COMMISSARIAT, "departement": "2a"})
    assert (organisation.departement, organisation.type, organisation.active) == ("2A", "police", True)
    (created,) = _events("create", organisation)
    assert created.actor_id == str(coordinator.pk)
    offices.organisation_update(
        actor=coordinator,
        organisation=organisation,
        expected_version=organisation.version,
        **{**COMMISSARIAT, "departement": "974"},
    )
    (changed,) = _events("change", organisation)
    assert changed.fields == "departement"
    with pytest.raises(StaleObject, match=re.escape(locking.stale_message())):
        offices.organisation_update(
            actor=coordinator, organisation=organisation, expected_version=1, **{**COMMISSARIAT, "departement": "01"}
        )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"type": ""}, "type", "Choisissez le type d’organisation."),
        ({"type": "bank"}, "type", "Choisissez un type d’organisation dans la liste."),
        ({"departement": "20"}, "departement", "Saisissez un numéro de département français"),
        ({"departement": "977x"}, "departement", "Saisissez un numéro de département français"),
        ({"name": "organisation PARTAGÉE"}, "name", "Une organisation porte déjà ce nom."),
    ],
)
def test_i21_p02_bad_organisation_input_is_refused_on_its_field_and_nothing_is_written(
    coordinator: User, change: dict[str, str], field: str, message: str
) -> None:
    factories.shared_organisation()
    before = (Organisation.objects.count(), AuditEvent.objects.count())
    with pytest.raises(offices.FieldRefused, match=message) as refused:
        offices.organisation_create(actor=coordinator, **{**COMMISSARIAT, **change})
    assert refused.value.field == field
    assert (Organisation.objects.count(), AuditEvent.objects.count()) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"type": ""}, "Choisissez le type d’organisation."),
        ({"departement": "99"}, "Saisissez un numéro de département français, par exemple 69 ou 2A."),
    ],
)
def test_i21_p02_bad_organisation_input_on_screen_says_why_and_writes_nothing(
    coordinator: User, signed_in: SignedIn, change: dict[str, str], message: str
) -> None:
    response = signed_in(coordinator).post(reverse("accounts:organisation_create"), {**COMMISSARIAT, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Organisation.objects.filter(name=COMMISSARIAT["name"]).exists()


def test_i21_p02_deactivated_organisation_is_offered_to_no_one(coordinator: User) -> None:
    from careplus.referrals import selectors as referral_selectors

    organisation = factories.make_organisation()
    offices.organisation_deactivate(actor=coordinator, organisation=organisation, expected_version=1)
    organisation.refresh_from_db()
    assert not organisation.active
    assert _events("change", organisation)[-1].fields == "active"
    assert organisation not in referral_selectors.organisations_for(actor=coordinator, coordinator=True)
    assert organisation not in _choices(RoleGrantForm(), "organisation")
    offices.organisation_reactivate(actor=coordinator, organisation=organisation, expected_version=2)
    organisation.refresh_from_db()
    assert organisation.active


# --- A partner organisation's users, invited from its page ----------------------------------


def test_i21_p02_dpo_invites_a_partner_from_the_organisation_page(
    dpo: User, signed_in: SignedIn, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    organisation = factories.make_organisation("ASE du Rhône")
    client = signed_in(dpo)
    url = reverse("accounts:organisation_invite", kwargs={"organisation_id": organisation.pk})
    data = {"email": "Awa.Diop@Example.test", "full_name": "Awa Diop", "language": "fr"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**data, "code": factories.totp_code(dpo, offset_steps=1)})
    assert response.status_code == 302
    user = User.objects.get(email="awa.diop@example.test")
    grant = RoleGrant.objects.get(user=user)
    assert (grant.role, grant.organisation_id, grant.granted_by_id) == (Role.PARTNER, organisation.pk, dpo.pk)
    assert len(mail.outbox) == 1
    assert "/mot-de-passe/nouveau/" in mail.outbox[0].body
    assert AuditEvent.objects.filter(action="create", object_id=str(user.pk), actor_id=str(dpo.pk)).exists()
    assert AuditEvent.objects.filter(action="role_grant", object_id=str(user.pk), fields="role:partner").exists()
    page = client.get(reverse("accounts:organisation_detail", kwargs={"organisation_id": organisation.pk}))
    assert "awa.diop@example.test" in page.content.decode()


def test_i21_p02_an_invitation_without_a_fresh_code_creates_no_account(dpo: User, signed_in: SignedIn) -> None:
    organisation = factories.make_organisation()
    url = reverse("accounts:organisation_invite", kwargs={"organisation_id": organisation.pk})
    data = {"email": "x@example.test", "full_name": "X Y", "language": "fr"}
    for code in ("", "000000"):
        response = signed_in(dpo).post(url, {**data, "code": code})
        assert response.status_code == 400
        assert not User.objects.filter(email="x@example.test").exists()
    refusals = AuditEvent.objects.filter(action="role_grant", outcome="denied", object_id=str(organisation.pk))
    assert refusals.count() == 2
    assert mail.outbox == []


def test_i21_p02_an_invitation_to_a_known_address_is_refused_on_the_field(dpo: User, signed_in: SignedIn) -> None:
    organisation = factories.make_organisation()
    known = factories.make_user(Role.TRAINER)
    url = reverse("accounts:organisation_invite", kwargs={"organisation_id": organisation.pk})
    response = signed_in(dpo).post(
        url, {"email": known.email, "full_name": "X", "language": "fr", "code": factories.totp_code(dpo)}
    )
    assert response.status_code == 400
    assert not RoleGrant.objects.filter(user=known, role=Role.PARTNER).exists()


def test_i21_p02_a_coordinator_manages_organisations_but_invites_no_one(coordinator: User, signed_in: SignedIn) -> None:
    organisation = factories.make_organisation()
    client = signed_in(coordinator)
    page = client.get(reverse("accounts:organisation_detail", kwargs={"organisation_id": organisation.pk}))
    assert page.status_code == 200
    assert 'name="full_name"' not in page.content.decode()
    url = reverse("accounts:organisation_invite", kwargs={"organisation_id": organisation.pk})
    response = client.post(url, {"email": "x@example.test", "full_name": "X", "language": "fr", "code": "123456"})
    assert response.status_code == 404
    assert not User.objects.filter(email="x@example.test").exists()


def test_i21_p02_managing_offices_and_organisations_opens_no_case_file() -> None:
    from careplus.access.roles import CASE_FILE_ACTIONS, Action

    assert Action.OFFICES_MANAGE not in CASE_FILE_ACTIONS
    assert Action.ORGANISATIONS_MANAGE not in CASE_FILE_ACTIONS


def test_i21_p02_navigation_shows_the_screens_to_those_allowed(
    dpo: User, coordinator: User, caseworker: User, signed_in: SignedIn
) -> None:
    offices_url = reverse("accounts:office_list")
    organisations_url = reverse("accounts:organisation_list")
    home_dpo = signed_in(dpo).get(reverse("home:home")).content.decode()
    home_coordinator = signed_in(coordinator).get(reverse("home:home")).content.decode()
    home_caseworker = signed_in(caseworker).get(reverse("home:home")).content.decode()
    assert offices_url in home_dpo
    assert organisations_url in home_dpo
    assert offices_url not in home_coordinator
    assert organisations_url in home_coordinator
    assert organisations_url not in home_caseworker


def _choices(form: forms.Form, name: str) -> QuerySet[Any]:
    """The records a model choice field offers."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    assert field.queryset is not None
    return field.queryset
