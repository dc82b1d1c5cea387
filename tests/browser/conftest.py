"""Playwright driving Debian's chromium; a missing browser fails the tests, never skips them."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from django.db import connections

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run 'apt-get install -y chromium' (make test does it).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()
        # While Playwright's event loop runs in this thread, Django keeps the thread's database
        # connections apart from the ones opened before it started (asgiref's storage follows the
        # async context then): a test run after the first browser test used another connection.
        # Close it before the loop stops, or it outlives the run and PostgreSQL refuses to drop the
        # test database ("is being accessed by other users").
        connections.close_all()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Open pages in separate browser contexts (separate sessions), closed once idle."""
    pages: list[Page] = []

    def _open() -> Page:
        context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 860})
        page = context.new_page()
        page.set_default_timeout(10_000)
        pages.append(page)
        return page

    yield _open
    for page in pages:
        # Let in-flight requests finish before the live server stops sharing its database.
        page.wait_for_load_state("networkidle")
        page.context.close()


@pytest.fixture
def page(new_page: Callable[[], Page]) -> Page:
    return new_page()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
