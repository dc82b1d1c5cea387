"""Settings shared by every environment; the others only override."""

from __future__ import annotations

from typing import Any

import dj_database_url

from django.utils.translation import gettext_lazy as _

from config.settings.env import BASE_DIR, VAR_DIR, env_bool, env_int, env_list, env_str
from config.settings.security import *

DEBUG = False
ALLOWED_HOSTS: list[str] = env_list("CAREPLUS_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django_htmx",
    "django_countries",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "careplus.core",
    "careplus.accounts",
    "careplus.audit",
    "careplus.programmes",
    "careplus.cases",
    "careplus.returns",
    "careplus.field",
    "careplus.trainings",
    "careplus.reporting",
    "careplus.search",
    "careplus.referrals",
    "careplus.privacy",
    "careplus.api",
    "careplus.home",
    "careplus.instruments",
    "careplus.ops",
    "careplus.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "careplus.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "careplus.core.http.DeclaredMethodsMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "careplus.audit.middleware.AuditContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "careplus.accounts.middleware.SessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "careplus.accounts.middleware.RequireSecondFactorMiddleware",
    "careplus.accounts.middleware.OfficeTimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "careplus.core.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
    "careplus.cases.middleware.RestrictedReasonMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            # Django's own two loaders behind its cache, one copy per language (careplus.core.template_loader).
            "loaders": [
                (
                    "careplus.core.template_loader.Loader",
                    ["django.template.loaders.filesystem.Loader", "django.template.loaders.app_directories.Loader"],
                ),
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "careplus.home.context_processors.navigation",
            ],
        },
    },
]
FORM_RENDERER = "careplus.core.forms.CarePlusFormRenderer"


def _sqlite_default() -> str:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{VAR_DIR / 'careplus.sqlite3'}"


def database_config(url: str | None) -> dict[str, Any]:
    """Return the default database settings for a DATABASE_URL (SQLite when unset)."""
    config: dict[str, Any] = dict(dj_database_url.parse(url or _sqlite_default(), conn_max_age=0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL for concurrent readers, FULL so a committed record survives a crash,
        # IMMEDIATE so writers queue instead of failing on lock upgrade. The connection is kept
        # between requests (a file open costs nothing to keep) so its page cache stays warm, and
        # pages are read through a memory map.
        config["CONN_MAX_AGE"] = 600
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 5,
            "init_command": (
                "PRAGMA journal_mode=WAL;PRAGMA synchronous=FULL;PRAGMA busy_timeout=5000;PRAGMA foreign_keys=ON;"
                "PRAGMA mmap_size=268435456;PRAGMA cache_size=-32000;"
            ),
        }
    else:
        # Each worker keeps its connection between requests (a new PostgreSQL backend per request
        # cost the server a process and the page a few milliseconds), checked before reuse, so a
        # restarted database is reconnected to at the next request.
        config["CONN_MAX_AGE"] = 600
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": database_config(env_str("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home:home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and numbers as each language writes them; English is en-GB (day first), not US.
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
# The country lists are those the EU and IOM use: ISO 3166-1 plus Kosovo (XK, user-assigned
# code used by the EU and the IOM), outside the European Union.
COUNTRIES_OVERRIDE = {"XK": _("Kosovo")}
TIME_ZONE = "Europe/Paris"
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# The sender of every e-mail; CAREPLUS_FROM_EMAIL is the older name, still accepted.
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or env_str("CAREPLUS_FROM_EMAIL") or "careplus@localhost"
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the outbox (careplus.core.mail.OutboxBackend) really sends, and when: "inline" right after
# commit in this process, "thread" after commit in a background thread (the request never waits for
# SMTP), "" only from `manage.py send_mail_queue`.
CAREPLUS_MAIL_DELIVERY_BACKEND = "django.core.mail.backends.console.EmailBackend"
CAREPLUS_MAIL_DELIVER_AFTER_COMMIT = "inline"

# Behind a reverse proxy: take the client's address from X-Forwarded-For, counting this many
# trusted proxies from the right (never the leftmost, client-written, entry). Off by default.
CAREPLUS_TRUST_X_FORWARDED_FOR = env_bool("CAREPLUS_TRUST_X_FORWARDED_FOR")
CAREPLUS_TRUSTED_PROXY_COUNT = env_int("CAREPLUS_TRUSTED_PROXY_COUNT", 1)

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

CAREPLUS_BASE_URL = env_str("CAREPLUS_BASE_URL") or "http://127.0.0.1:8000"

# Disclosure control: smallest count shown in a breakdown; k of the anonymised dataset (CTDC uses 11).
CAREPLUS_SDC_K = int(env_str("CAREPLUS_SDC_K") or 5)
# Closed case files are anonymised this many days after closure (manage.py anonymise_expired).
CAREPLUS_RETENTION_DAYS = int(env_str("CAREPLUS_RETENTION_DAYS") or 5 * 365)
CAREPLUS_DATASET_K = int(env_str("CAREPLUS_DATASET_K") or 11)

# Programme facts used before the programme models exist.
CAREPLUS_DEMO_ALLOWED = False

# REST API: JSON only, bearer tokens or a verified session, one error shape, configured rates.
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "careplus.api.authentication.BearerTokenAuthentication",
        "careplus.api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["careplus.api.parsers.BoundedJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "careplus.api.errors.exception_handler",
    "DEFAULT_VERSIONING_CLASS": None,
}
SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "CARE+ API",
    "DESCRIPTION": (
        "Referrals, case status, assessments, reintegration plans, follow-up visits, trainings and "
        "programme indicators, under the same access policy and audit as the pages. Writes to an existing "
        "record need `If-Match` with its `ETag`. Errors have the shape `{code, message, extra}`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "careplus.cases.choices.CaseStatus",
        "ReferralStatusEnum": "careplus.referrals.choices.ReferralStatus",
        "PlanItemStatusEnum": "careplus.returns.choices.ItemStatus",
        "VisitStatusEnum": "careplus.returns.choices.VisitStatus",
        "TrainingStatusEnum": "careplus.trainings.choices.SessionStatus",
        "CountryEnum": "careplus.api.serializers.referrals.COUNTRY_CODES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "careplus.api.schema.add_error_responses",
    ],
}
CAREPLUS_API_RATES: dict[str, str] = {
    "token": env_str("CAREPLUS_API_RATE_TOKEN") or "2000/hour",
    "list": env_str("CAREPLUS_API_RATE_LIST") or "300/minute",
    "export": env_str("CAREPLUS_API_RATE_EXPORT") or "5/hour",
}
