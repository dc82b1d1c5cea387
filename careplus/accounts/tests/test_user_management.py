"""The DPO's screens and services: create users, grant and revoke roles, deactivate."""

from __future__ import annotations

import html
from collections.abc import Callable

import pytest
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks

from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from careplus.access.policy import roles_of
from careplus.access.roles import Role
from careplus.accounts import services
from careplus.accounts.models import RoleGrant, User, UserSession
from careplus.core import locking
from careplus.core.errors import RuleViolation, StaleObject
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def test_dpo_creates_an_account_and_the_person_is_invited(
    dpo: User,
    signed_in: SignedIn,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    client = signed_in(dpo)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:user_create"),
            {
                "email": "New.Person@Example.test",
                "full_name": "Nouvelle Personne",
                "language": "fr",
            },
        )
    user = User.objects.get(email="new.person@example.test")
    assert response["Location"] == reverse("accounts:user_detail", kwargs={"user_id": user.pk})
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    assert "/mot-de-passe/nouveau/" in mail.outbox[0].body
    assert mail.outbox[0].subject == "Votre compte CARE+"


@pytest.mark.parametrize(
    ("data", "field_message"),
    [
        ({"email": "", "full_name": "", "language": "fr"}, "Ce champ est obligatoire."),
        (
            {"email": "pas-une-adresse", "full_name": "X", "language": "fr"},
            "Saisissez une adresse de courriel valide.",
        ),
        (
            {"email": "a@example.test", "full_name": "X" * 151, "language": "fr"},
            "Assurez-vous que cette valeur comporte au plus 150",
        ),
        (
            {"email": "a@example.test", "full_name": "X", "language": "xx"},
            "Sélectionnez un choix valide.",
        ),
    ],
)
def test_bad_input_on_user_creation_changes_nothing(
    dpo: User, signed_in: SignedIn, data: dict[str, str], field_message: str
) -> None:
    before = User.objects.count()
    response = signed_in(dpo).post(reverse("accounts:user_create"), data)
    assert response.status_code == 200
    assert field_message in response.content.decode()
    assert User.objects.count() == before
    assert mail.outbox == []


def test_duplicate_email_is_refused_with_a_message(dpo: User, signed_in: SignedIn) -> None:
    response = signed_in(dpo).post(
        reverse("accounts:user_create"),
        {"email": "DPO@example.test", "full_name": "Double", "language": "fr"},
    )
    assert "Un compte existe déjà avec cette adresse électronique." in response.content.decode()
    assert User.objects.filter(email="dpo@example.test").count() == 1


def test_dpo_grants_a_caseworker_role_bound_to_an_office(dpo: User, signed_in: SignedIn) -> None:
    user = factories.make_user()
    office = factories.make_office("KTM")
    client = signed_in(dpo)
    url = reverse("accounts:user_grant", kwargs={"user_id": user.pk})

    refused = client.post(url, {"role": Role.CASEWORKER})
    assert refused.status_code == 400
    assert "Un agent de terrain doit être rattaché à un bureau." in refused.content.decode()
    assert not RoleGrant.objects.filter(user=user).exists()

    client.post(url, {"role": Role.CASEWORKER, "office": office.pk, "code": factories.totp_code(dpo)})
    grant = RoleGrant.objects.get(user=user)
    assert (grant.role, grant.office, grant.granted_by) == (Role.CASEWORKER, office, dpo)

    duplicate = client.post(url, {"role": Role.CASEWORKER, "office": office.pk})
    assert "détient déjà ce rôle" in duplicate.content.decode()
    assert RoleGrant.objects.filter(user=user).count() == 1


def test_bad_role_input_changes_nothing(dpo: User, signed_in: SignedIn) -> None:
    user = factories.make_user()
    url = reverse("accounts:user_grant", kwargs={"user_id": user.pk})
    for data in [{}, {"role": "superuser"}, {"role": Role.PARTNER, "organisation": "not-a-uuid"}]:
        response = signed_in(dpo).post(url, data)
        assert response.status_code == 400
        assert "field__errors" in response.content.decode() or "form-errors" in response.content.decode()
    assert not RoleGrant.objects.filter(user=user).exists()


def test_partner_grant_ignores_an_office_sent_with_it() -> None:
    dpo = factories.make_user(Role.DPO)
    user = factories.make_user()
    grant = services.role_grant(
        actor=dpo,
        user=user,
        role=Role.PARTNER,
        organisation=factories.make_organisation(),
        office=factories.make_office(),
        code=factories.totp_code(dpo),
    )
    assert grant.office is None


def test_revoking_a_role_removes_access(dpo: User, signed_in: SignedIn) -> None:
    other_dpo = factories.make_user(Role.DPO)
    grant = RoleGrant.objects.get(user=other_dpo)
    victim_client = signed_in(other_dpo)
    assert victim_client.get(reverse("accounts:user_list")).status_code == 200

    signed_in(dpo).post(
        reverse("accounts:user_revoke", kwargs={"user_id": other_dpo.pk, "grant_id": grant.pk}),
        {"code": factories.totp_code(dpo)},
    )
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert grant.revoked_by == dpo
    # Revoking a role ends the person's sessions: they sign in again, with their remaining roles.
    assert victim_client.get(reverse("accounts:user_list"))["Location"].startswith("/connexion/")
    assert signed_in(other_dpo).get(reverse("accounts:user_list")).status_code == 404


def test_the_last_dpo_keeps_the_role(dpo: User) -> None:
    grant = RoleGrant.objects.get(user=dpo, role=Role.DPO)
    with pytest.raises(RuleViolation, match="protection des données"):
        services.role_revoke(actor=factories.make_user(Role.COORDINATOR), grant=grant)
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_deactivating_a_user_ends_all_their_sessions(dpo: User, signed_in: SignedIn) -> None:
    target = factories.make_user(Role.COORDINATOR)
    laptop, phone = signed_in(target), signed_in(target)
    assert laptop.get("/").status_code == 200
    assert UserSession.objects.filter(user_id=target.pk).count() == 2

    response = signed_in(dpo).post(
        reverse("accounts:user_deactivate", kwargs={"user_id": target.pk}),
        {"version": target.version},
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert not target.is_active
    assert UserSession.objects.filter(user_id=target.pk).count() == 0
    for client in (laptop, phone):
        assert client.get("/")["Location"].startswith("/connexion/")
    assert roles_of(target) == frozenset()


def test_stale_version_is_refused(dpo: User) -> None:
    target = factories.make_user(Role.TRAINER)
    with pytest.raises(StaleObject):
        services.user_deactivate(actor=dpo, user=target, expected_version=target.version + 5)
    target.refresh_from_db()
    assert target.is_active


def test_stale_deactivation_form_shows_a_message(dpo: User, signed_in: SignedIn) -> None:
    target = factories.make_user(Role.TRAINER)
    response = signed_in(dpo).post(
        reverse("accounts:user_deactivate", kwargs={"user_id": target.pk}),
        {"version": target.version + 1},
        follow=True,
    )
    with translation.override("fr"):
        said = html.escape(str(locking.SAVED_MEANWHILE))  # the one wording of a stale edit (issue 22)
    assert said in response.content.decode()
    target.refresh_from_db()
    assert target.is_active


def test_dpo_cannot_deactivate_themselves(dpo: User) -> None:
    with pytest.raises(RuleViolation):
        services.user_deactivate(actor=dpo, user=dpo, expected_version=dpo.version)


def test_reactivation_restores_access(dpo: User) -> None:
    target = factories.make_user(Role.TRAINER)
    target = services.user_deactivate(actor=dpo, user=target, expected_version=target.version)
    services.user_reactivate(actor=dpo, user=target, expected_version=target.version)
    target.refresh_from_db()
    assert target.is_active
    assert Role.TRAINER in roles_of(target)


def test_second_factor_reset_forces_a_new_enrolment(dpo: User, signed_in: SignedIn) -> None:
    target = factories.make_user(Role.TRAINER)
    session = signed_in(target)
    signed_in(dpo).post(
        reverse("accounts:user_reset_second_factor", kwargs={"user_id": target.pk}),
        {"version": target.version},
    )
    assert not services.has_confirmed_totp(target)
    assert session.get("/")["Location"].startswith("/connexion/")
    client = Client()
    client.post("/connexion/", {"username": target.email, "password": factories.PASSWORD})
    assert client.get("/connexion/code/")["Location"] == "/connexion/authentificateur/"


def test_user_list_searches_and_filters(dpo: User, signed_in: SignedIn) -> None:
    factories.make_user(Role.PARTNER, email="anna.partner@example.test")
    factories.make_user(Role.TRAINER, email="bruno.trainer@example.test")
    client = signed_in(dpo)
    content = client.get(reverse("accounts:user_list"), {"q": "anna"}).content.decode()
    assert "anna.partner@example.test" in content
    assert "bruno.trainer@example.test" not in content
    content = client.get(reverse("accounts:user_list"), {"role": Role.TRAINER}).content.decode()
    assert "bruno.trainer@example.test" in content
    assert "anna.partner@example.test" not in content


def test_user_list_query_count_does_not_grow_with_users(
    dpo: User, signed_in: SignedIn, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    for _index in range(30):
        factories.make_user(Role.PARTNER)
    client = signed_in(dpo)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("accounts:user_list"))
    assert response.status_code == 200


def test_htmx_search_returns_only_the_table(dpo: User, signed_in: SignedIn) -> None:
    response = signed_in(dpo).get(reverse("accounts:user_list"), {"q": "dpo"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert "<table" in content
    assert "<html" not in content
