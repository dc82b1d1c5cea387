"""Test settings: fast hashing, mail kept in memory, secrets fixed per run."""

from __future__ import annotations

import secrets

from config.settings.base import *
from config.settings.env import env_str

SECRET_KEY = secrets.token_urlsafe(50)
CAREPLUS_MASTER_KEYS = "test1:" + secrets.token_urlsafe(32)
CAREPLUS_AUDIT_KEY = secrets.token_urlsafe(32)
CAREPLUS_INDEX_KEY = secrets.token_urlsafe(32)
CAREPLUS_DEMO_ALLOWED = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
WHITENOISE_USE_FINDERS = True

# A test that needs SQLite's own locking between two connections (an in-memory database shared between threads
# answers "table is locked" at once instead of queueing) runs itself again in a subprocess on a file database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and env_str("CAREPLUS_TEST_SQLITE_FILE"):
    DATABASES["default"]["TEST"] = {"NAME": env_str("CAREPLUS_TEST_SQLITE_FILE")}
