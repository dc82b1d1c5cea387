"""Benchmarks and load tests: the development secrets of var/, but DEBUG off as in production."""

from __future__ import annotations

from config.settings.dev import *
from config.settings.env import BASE_DIR

DEBUG = False
LOGGING["loggers"] = {"django.request": {"level": "ERROR"}}  # expected 404/412 answers are not news

# The bench adds one page: the layout with nothing in it, the floor of the page timings.
ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
