"""Issue 19, sweep (d): every dashboard, export and dataset URL discloses the same with extra
parameters that name a threshold (k, threshold, exact, suppress, level) as without them.

The routes come from the URL configuration: every route of the reporting and programmes apps,
and every API route of the reporting views or marked as an export, so a new one is covered
without being listed here.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pypdfium2
import pytest
from openpyxl import load_workbook

from django.core.management import call_command
from django.http import StreamingHttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from careplus.access.roles import Role
from careplus.accounts.models import User
from careplus.demo.programmes import DEMO_PROGRAMME
from careplus.programmes.models import Programme
from tests import factories
from tests.api.helpers import api_client

pytestmark = pytest.mark.django_db

PAGE_NAMESPACES = {"reporting", "programmes"}
API_REPORTING_MODULE = "careplus.api.views.reporting"
EXTRA = [
    "k=1&threshold=0&exact=1&suppress=0&level=0",
    "k=2&threshold=1&exact=true&suppress=false&level=2",
]
ROLES = (Role.AUDITOR, Role.COORDINATOR)


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace or namespace
            yield from _walk(entry.url_patterns, inner or "")
        elif isinstance(entry, URLPattern) and entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


def _is_api_disclosure(pattern: URLPattern) -> bool:
    view_class = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
    if view_class is None:
        return False
    return bool(view_class.__module__ == API_REPORTING_MODULE or getattr(view_class, "is_export", False))


def disclosure_routes() -> list[tuple[str, URLPattern, bool]]:
    """(name, pattern, is_api) of every route the sweep covers, read from the URL configuration."""
    found = []
    for name, pattern in _walk(get_resolver().url_patterns):
        namespace = name.split(":", 1)[0]
        if namespace in PAGE_NAMESPACES:
            found.append((name, pattern, False))
        elif namespace == "api" and _is_api_disclosure(pattern):
            found.append((name, pattern, True))
    return found


def _kwargs(pattern: URLPattern, programme: Programme) -> dict[str, Any]:
    known: dict[str, Callable[[], Any]] = {"programme_id": lambda: programme.pk}
    names = list(pattern.pattern.converters) or re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern))
    unknown = [name for name in names if name not in known]
    if unknown:
        pytest.fail(f"sweep (d): no value for the URL keyword(s) {unknown} of {pattern.pattern}: add them to _kwargs")
    return {name: known[name]() for name in names}


def _normalised(response: Any) -> Any:
    """What a reader gets, without the per-response noise (CSRF tokens, nonces, file timestamps, own address)."""
    content_type = response.get("Content-Type", "")
    if isinstance(response, StreamingHttpResponse):
        return response.getvalue().decode()
    if content_type.startswith("application/json"):
        return json.loads(response.content)
    if "spreadsheetml" in content_type:
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}
    if content_type.startswith("application/pdf"):
        document = pypdfium2.PdfDocument(response.content)
        return [page.get_textpage().get_text_range() for page in document]
    text = response.content.decode()
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)
    text = re.sub(r'name="next" value="[^"]*"', "", text)  # the language switch returns to the address asked
    text = re.sub(r'(csrf[-_]?token|nonce)="[^"]*"', "", text, flags=re.IGNORECASE)
    return re.sub(r'name="csrf-token" content="[^"]*"', "", text)


def test_sweep_d_routes_are_found_from_the_url_configuration() -> None:
    names = {name for name, _pattern, _api in disclosure_routes()}
    assert {"reporting:dashboard", "reporting:donor_xlsx", "reporting:donor_pdf", "reporting:dataset_csv"} <= names
    assert "api:programme_indicators" in names
    assert "programmes:programme_list" in names


@override_settings(CAREPLUS_API_RATES={"token": "10000/hour", "list": "10000/minute", "export": "10000/hour"})
def test_sweep_d_threshold_parameters_never_change_what_is_disclosed() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    programme = Programme.objects.get(name=DEMO_PROGRAMME)
    readers: dict[Role, User] = {role: factories.make_user(role) for role in ROLES}
    pages: dict[Role, Client] = {}
    for role, user in readers.items():
        pages[role] = Client()
        factories.sign_in(pages[role], user)
    apis = {role: api_client(user) for role, user in readers.items()}
    answered: dict[str, set[int]] = {}
    suppressed_seen = False
    for name, pattern, is_api in disclosure_routes():
        url = reverse(name, kwargs=_kwargs(pattern, programme))
        for role in ROLES:
            client: Any = apis[role] if is_api else pages[role]
            plain = client.get(url)
            baseline = _normalised(plain)
            answered.setdefault(name, set()).add(plain.status_code)
            if role == Role.AUDITOR and plain.status_code == 200:
                suppressed_seen = (
                    suppressed_seen
                    or "< 5" in json.dumps(baseline, default=str)
                    or (is_api and baseline.get("exact") is False)
                )
            for extra in EXTRA:
                separator = "&" if "?" in url else "?"
                other = client.get(f"{url}{separator}{extra}")
                assert other.status_code == plain.status_code, (name, role, extra)
                assert _normalised(other) == baseline, (name, role, extra)
    # the sweep is not vacuous: every route answered 200 to one reader, and suppressed figures were compared
    assert all(200 in statuses for statuses in answered.values()), answered
    assert suppressed_seen
