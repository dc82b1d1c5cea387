"""Development settings: secrets generated once into var/, demo data allowed."""

from __future__ import annotations

from config.settings.base import *
from config.settings.env import dev_secret, env_str

DEBUG = True
SECRET_KEY = env_str("DJANGO_SECRET_KEY") or dev_secret("secret_key")
CAREPLUS_MASTER_KEYS = env_str("CAREPLUS_MASTER_KEYS") or "dev1:" + dev_secret("master_key", nbytes=32)
CAREPLUS_AUDIT_KEY = env_str("CAREPLUS_AUDIT_KEY") or dev_secret("audit_key", nbytes=32)
CAREPLUS_INDEX_KEY = env_str("CAREPLUS_INDEX_KEY") or dev_secret("index_key", nbytes=32)
CAREPLUS_DEMO_ALLOWED = True
WHITENOISE_USE_FINDERS = True
