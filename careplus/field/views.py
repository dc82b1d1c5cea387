"""The field app's shell (issue 23): the page app.js fills, its state at each contact, the service
worker and the web manifest.

Nothing personal is served here. The shell page, the service worker script and the manifest are
the same for every user (the service worker keeps the shell in its cache); the state answer holds
only the user's id and a CSRF token, is never cached, and says `{"signed_in": false}` with a 401
(never a redirect) once the session has ended, so that app.js wipes what the device keeps.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from careplus.access.decorators import api_authenticated, public
from careplus.access.fetch import require
from careplus.access.roles import Action
from careplus.core.http import methods
from careplus.core.middleware import keep_cache_control
from careplus.field.texts import ui_texts

SCOPE = "/terrain/"
SERVICE_WORKER_SOURCE = "field/sw.js"
# Static files the shell needs offline (the base layout's and the field app's), in the order the
# service worker fetches them. A new script of the field app is added here.
SHELL_STATIC = (
    "css/careplus.css",
    "vendor/htmx-2.0.8.min.js",
    "js/careplus.js",
    "field/register.js",
    "field/app.js",
    "field/crypto.js",
    "field/store.js",
    "field/vault.js",
    "field/icons/icon-192.png",
    "field/icons/icon-512.png",
)
# ES modules import each other by relative URL ("./crypto.js"): with hashed static names in
# production these are fetched under their plain names too, so both are kept.
FIELD_MODULES = ("field/app.js", "field/crypto.js", "field/store.js", "field/vault.js")
THEME_COLOUR = "#0b4f8a"  # --brand in static/css/careplus.css
BACKGROUND_COLOUR = "#f5f7fa"  # --bg


@methods("GET")
def app(request: HttpRequest) -> HttpResponse:
    """The app shell: a container app.js fills, its translated strings, no personal data."""
    require(request.user, Action.CASES_EDIT)
    context = {
        "texts": ui_texts(),
        # The shell is kept by the service worker: no menu and no user name in the header, and no
        # flash message (it could name a file); those stay stored for the next page.
        "nav_items": [],
        "messages": [],
    }
    return render(request, "field/app.html", context)


@api_authenticated  # answers 401 JSON itself: app.js must learn the session ended, not follow a redirect
@methods("GET")
def state(request: HttpRequest) -> HttpResponse:
    """Tell app.js at each contact whether the session still holds, and give it a CSRF token."""
    user = request.user
    is_verified = getattr(user, "is_verified", None)  # added by django-otp's middleware
    if not user.is_authenticated or not callable(is_verified) or not is_verified():
        response = JsonResponse({"signed_in": False}, status=401)
    else:
        require(user, Action.CASES_EDIT)
        response = JsonResponse({"user_id": str(user.pk), "csrf_token": get_token(request), "signed_in": True})
    return response  # never cached: NoStoreMiddleware sends "no-store" on every page


def _static_path(name: str) -> Path | None:
    found = finders.find(name)
    return Path(found) if isinstance(found, str) else None


def _precache_urls() -> list[str]:
    urls = [reverse("field:app"), reverse("field:manifest")]
    urls += [static(name) for name in SHELL_STATIC]
    plain = [f"{static('')}{name}" for name in FIELD_MODULES]
    return urls + [url for url in plain if url not in urls]


def _version(source: bytes, urls: list[str]) -> str:
    """Change whenever the worker, a precached file or a precached URL changes (new cache, old ones deleted)."""
    digest = hashlib.sha256(source)
    digest.update("\n".join(urls).encode())
    for name in SHELL_STATIC:
        path = _static_path(name)
        digest.update(path.read_bytes() if path else name.encode())
    return digest.hexdigest()[:16]


@public  # a service worker script holds no data
@methods("GET")
def service_worker(request: HttpRequest) -> HttpResponse:
    """Serve static/field/sw.js from /terrain/ (its scope), preceded by the list of files to precache."""
    path = _static_path(SERVICE_WORKER_SOURCE)
    if path is None:
        raise Http404
    source = path.read_bytes()
    urls = _precache_urls()
    config = {"version": _version(source, urls), "shell": reverse("field:app"), "precache": urls}
    header = f"self.CAREPLUS_FIELD = {json.dumps(config)};\n".encode()
    response = HttpResponse(header + source, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = SCOPE
    response["Cache-Control"] = "no-cache"
    return keep_cache_control(response)


@public  # the same for everyone, needed before sign-in to install the app
@methods("GET")
def manifest(request: HttpRequest) -> HttpResponse:
    """The web manifest that makes the field app installable."""
    data = {
        "id": SCOPE,
        "name": "CARE+ terrain",
        "short_name": "CARE+",
        "description": _("Follow-up visits and arrival assistance recorded without a connection."),
        "lang": get_language() or "fr",
        "start_url": reverse("field:app"),
        "scope": SCOPE,
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static(f"field/icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}
            for size in (192, 512)
        ],
    }
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type="application/manifest+json; charset=utf-8")
