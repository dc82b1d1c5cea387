"""Issue 23: the field app's shell works without a connection, under the strict CSP.

A caseworker opens /terrain/, the service worker installs and takes control; with the browser
offline the page reloads from the service worker's cache. That cache holds the shell and static
files only: no /api/ answer and no session state, ever.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import ConsoleMessage, Page, ViewportSize, expect

from django.utils import translation

from careplus.access.roles import Role
from tests import factories
from tests.browser.helpers import serious_accessibility_violations, sign_in, wait_until_controlled_by_service_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE: ViewportSize = {"width": 375, "height": 740}

# Records every CSP violation the page sees (added before any page script runs).
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""

# Every URL in every cache of this origin, by cache name.
CACHED_URLS = """
async () => {
  const listing = {};
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    listing[name] = (await cache.keys()).map((request) => new URL(request.url).pathname);
  }
  return listing;
}
"""


def test_shell_reloads_offline_from_the_service_worker_with_no_personal_data_cached(
    new_page: Callable[[], Page], live_server: object
) -> None:
    base = str(live_server)
    caseworker = factories.make_user(Role.CASEWORKER, office=factories.make_office("KTM", country="NP"))
    page = new_page()  # a fresh context: no service worker registered yet
    page.set_viewport_size(PHONE)
    console: list[str] = []

    def note(message: ConsoleMessage) -> None:
        console.append(message.text)

    page.context.on("console", note)
    page.add_init_script(CSP_LISTENER)
    sign_in(page, base, caseworker)
    with translation.override("fr"):
        heading = translation.gettext("Visits without a connection")  # "Visites hors connexion"

    page.goto(base + "/terrain/")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    state = page.evaluate("navigator.serviceWorker.ready.then((registration) => registration.active.state)")
    assert state in {"activating", "activated"}
    wait_until_controlled_by_service_worker(page)
    scope = page.evaluate("navigator.serviceWorker.ready.then((registration) => registration.scope)")
    assert scope == base + "/terrain/"

    # While controlled, the page talks to the API and asks its state: neither may reach the cache.
    assert page.evaluate("fetch('/api/v1/me/').then((response) => response.status)") == 200
    session = page.evaluate("fetch('/terrain/etat/').then((response) => response.json())")
    assert session["signed_in"] is True
    assert session["user_id"] == str(caseworker.pk)
    assert serious_accessibility_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    page.context.set_offline(True)
    # The service worker is offline too (a file it has not kept cannot be fetched), so what the
    # reload shows comes from its cache.
    missing = page.evaluate("fetch('/static/field/not-kept.js').then(() => 'answered', () => 'failed')")
    assert missing == "failed"
    response = page.reload()
    assert response is not None
    assert response.from_service_worker
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert page.locator("#field-app").get_attribute("data-state-url") == "/terrain/etat/"
    assert page.evaluate("JSON.parse(document.getElementById('field-texts').textContent).sync_now")
    # The API and the session state are not answered from a cache: offline they fail.
    for url in ("/api/v1/me/", "/terrain/etat/"):
        outcome = page.evaluate(f"fetch('{url}').then(() => 'answered', () => 'failed')")
        assert outcome == "failed", url
    assert serious_accessibility_violations(page) == []

    listing = page.evaluate(CACHED_URLS)
    assert list(listing)
    assert all(name.startswith("careplus-field-") for name in listing)
    cached = [url for urls in listing.values() for url in urls]
    assert "/terrain/" in cached
    assert "/static/field/app.js" in cached
    assert [url for url in cached if url.startswith(("/api/", "/terrain/etat/"))] == []

    assert page.evaluate("window.__cspViolations") == []
    assert [text for text in console if "Content Security Policy" in text] == []
    page.context.set_offline(False)
