"""Behind the second-factor gate the view reads the user itself, not the lazy objects in front of it
(issue 24: each attribute read through them raised and caught an AttributeError)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from django.test import Client
from django.urls import reverse
from django.utils.functional import LazyObject, SimpleLazyObject

from careplus.access.roles import Role
from careplus.accounts.middleware import _loaded
from careplus.accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db

SignedIn = Callable[[User], Client]


def test_a_verified_user_reaches_the_view_as_itself(signed_in: SignedIn) -> None:
    user = factories.make_user(Role.CASEWORKER)
    response = signed_in(user).get(reverse("home:home"))
    assert response.status_code == 200
    seen = response.wsgi_request.user
    assert type(seen) is User
    assert seen.pk == user.pk
    assert seen.is_verified()  # type: ignore[attr-defined]  # django-otp's, kept on the user


def test_the_gate_still_refuses_before_the_second_factor_and_keeps_the_anonymous_lazy() -> None:
    user = factories.make_user(Role.CASEWORKER)
    client = Client()
    client.force_login(user)  # a password, no second factor
    response = client.get(reverse("home:home"))
    assert response.status_code == 302
    assert reverse("accounts:otp_verify") in response["Location"]
    anonymous = Client().get(reverse("home:home"))
    assert anonymous.status_code == 302
    assert isinstance(anonymous.wsgi_request.__dict__["user"], LazyObject)


def test_loaded_unwraps_nested_lazy_objects_only_once_loaded() -> None:
    inner = SimpleLazyObject(lambda: "the user")
    outer = SimpleLazyObject(lambda: inner)
    assert _loaded(outer) is outer  # never read: kept as it is
    assert str(outer) == "the user"  # read (both loaded)
    found: object = _loaded(outer)
    assert found == "the user"
    assert type(found) is str
    assert _loaded("plain") == "plain"
