"""Issue 19, point 24 and sweep (c): every route answers 405 to the methods it does not handle.

The routes are read from the URL configuration, so a new route is covered without being listed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from careplus.accounts.models import User
from careplus.core.http import declared_methods

# Every method a client may send, the WebDAV one the review used included.
PROBED = ("GET", "POST", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND")
FILLERS: dict[str, Callable[[], object]] = {
    "uuid": uuid.uuid4,
    "int": lambda: 1,
    "slug": lambda: "x",
    "string": lambda: "x",
    "path": lambda: "x",
}


def _patterns(resolver: URLResolver, namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _patterns(entry, inner)
        elif entry.name:
            yield f"{namespace}{entry.name}", entry


ROUTES = sorted(_patterns(get_resolver()), key=lambda item: item[0])


def _url(name: str, pattern: URLPattern) -> str:
    converters: dict[str, Any] = pattern.pattern.converters
    kwargs = {}
    for key, converter in converters.items():
        kind = type(converter).__name__.removesuffix("Converter").lower()
        kwargs[key] = FILLERS[kind]()
    return reverse(name, kwargs=kwargs)


def _not_handled(pattern: URLPattern) -> list[str]:
    allowed = declared_methods(pattern.callback)
    assert allowed, f"{pattern.callback} declares no HTTP method"
    return [method for method in PROBED if method not in allowed]


def test_sweep_c_every_view_declares_its_methods() -> None:
    undeclared = [name for name, pattern in ROUTES if not declared_methods(pattern.callback)]
    assert undeclared == []
    assert len(ROUTES) > 100


def test_sweep_c_pages_handle_only_get_and_post() -> None:
    """An expectation of its own, not read from the declarations: a page (outside the API) never
    takes PUT, PATCH or DELETE, not even one a Django form view inherits as an alias of POST."""
    wider = {
        name: sorted(declared_methods(pattern.callback) or ())
        for name, pattern in ROUTES
        if not name.startswith("api:")
        and not (declared_methods(pattern.callback) or frozenset()) <= {"GET", "HEAD", "POST", "OPTIONS"}
    }
    assert wider == {}


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "pattern"), ROUTES, ids=[name for name, _pattern in ROUTES])
def test_sweep_c_undeclared_methods_answer_405(
    name: str, pattern: URLPattern, coordinator: User, signed_in: Callable[[User], Client]
) -> None:
    url = _url(name, pattern)
    anonymous = Client(enforce_csrf_checks=True)
    member = signed_in(coordinator)
    for method in _not_handled(pattern):
        for client in (anonymous, member):
            response = client.generic(method, url)
            assert response.status_code == 405, (method, url, response.status_code)
            assert response.content.count(b"CARE-") == 0


@pytest.mark.django_db
def test_p24_account_page_refuses_put_patch_delete_trace_propfind(
    coordinator: User, signed_in: Callable[[User], Client]
) -> None:
    client = signed_in(coordinator)
    url = reverse("accounts:account")
    assert client.get(url).status_code == 200
    for method in ("PUT", "PATCH", "DELETE", "TRACE", "PROPFIND"):
        response = client.generic(method, url)
        assert response.status_code == 405
        assert set(response["Allow"].split(", ")) == {"GET", "HEAD"}


@pytest.mark.django_db
def test_p24_form_views_refuse_the_put_django_aliases_to_post(
    coordinator: User, signed_in: Callable[[User], Client]
) -> None:
    client = Client()
    for name in ("accounts:login", "accounts:password_reset"):
        response = client.put(reverse(name), "username=x&password=y")
        assert response.status_code == 405
    assert signed_in(coordinator).put(reverse("accounts:password_change")).status_code == 405


@pytest.mark.django_db
def test_p24_api_answers_405_in_its_error_shape(coordinator: User, signed_in: Callable[[User], Client]) -> None:
    response = signed_in(coordinator).generic("PROPFIND", reverse("api:me"))
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
