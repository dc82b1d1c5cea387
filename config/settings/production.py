"""Production settings: only hardening; every secret comes from the environment."""

from __future__ import annotations

import os

from config.settings.base import *
from config.settings.env import BASE_DIR, MissingSettingError, env_bool, env_int, env_list, env_str, required

SECRET_KEY = required("DJANGO_SECRET_KEY")
# The master keys come from the environment or from a file (mode 0600) named by the environment.
CAREPLUS_MASTER_KEYS = env_str("CAREPLUS_MASTER_KEYS") or ""
CAREPLUS_MASTER_KEY_FILE = env_str("CAREPLUS_MASTER_KEY_FILE") or ""
if not CAREPLUS_MASTER_KEYS and not CAREPLUS_MASTER_KEY_FILE:
    required("CAREPLUS_MASTER_KEYS")  # stops with the one-line message
if CAREPLUS_MASTER_KEY_FILE and not os.access(CAREPLUS_MASTER_KEY_FILE, os.R_OK):
    raise MissingSettingError(f"CARE+ refuses to start: the master key file {CAREPLUS_MASTER_KEY_FILE} cannot be read.")
CAREPLUS_AUDIT_KEY = required("CAREPLUS_AUDIT_KEY")
CAREPLUS_INDEX_KEY = required("CAREPLUS_INDEX_KEY")
ALLOWED_HOSTS = env_list("CAREPLUS_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    required("CAREPLUS_ALLOWED_HOSTS")
DATABASES = {"default": database_config(required("DATABASE_URL"))}

DEBUG = False
STATIC_ROOT = BASE_DIR / "staticfiles"
CAREPLUS_DEMO_ALLOWED = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_SSL_REDIRECT = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 63072000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_NAME = "__Host-sid"
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_NAME = "__Host-csrftoken"
# Mail: every message goes to the outbox table in the caller's transaction, then to this SMTP
# relay after commit (in a background thread, never in the request) and by `manage.py
# send_mail_queue` from cron, which retries failures with a growing delay.
EMAIL_BACKEND = "careplus.core.mail.OutboxBackend"
CAREPLUS_MAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CAREPLUS_MAIL_DELIVER_AFTER_COMMIT = "thread"
EMAIL_HOST = env_str("EMAIL_HOST") or ""
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=not EMAIL_USE_SSL)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise MissingSettingError("CARE+ refuses to start: set EMAIL_USE_TLS or EMAIL_USE_SSL, not both.")
EMAIL_PORT = env_int("EMAIL_PORT", 465 if EMAIL_USE_SSL else 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD") or ""
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
# Rate limits (API, registration link) must be shared by every worker: a cache table in the
# database, created once with `manage.py createcachetable`.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "careplus_cache"}}
LOGGING["root"]["level"] = "INFO"
