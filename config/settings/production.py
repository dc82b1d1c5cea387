"""Production settings: only hardening; every secret comes from the environment."""

from __future__ import annotations

from config.settings.base import *
from config.settings.env import BASE_DIR, env_list, required

SECRET_KEY = required("DJANGO_SECRET_KEY")
CAREPLUS_MASTER_KEYS = required("CAREPLUS_MASTER_KEYS")
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
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# Rate limits (API, registration link) must be shared by every worker: a cache table in the
# database, created once with `manage.py createcachetable`.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "careplus_cache"}}
LOGGING["root"]["level"] = "INFO"
