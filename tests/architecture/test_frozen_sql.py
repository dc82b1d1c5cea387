"""The migrations carry frozen copies of the trigger SQL; today they equal what the live code writes.

Migrations no longer import careplus.reporting.rollups or careplus.cases.sharing (issue 22, point 3),
so a change to that code does not change an old migration. It must come with a new migration that
reinstalls the triggers from its own copy: this test fails until the copy the database runs is
brought in step (then point it at the new migration's copy).
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from careplus.cases import sharing
from careplus.reporting import rollups
from careplus.reporting.migrations import _rollup_sql

VENDORS = ("sqlite", "postgresql")
sharing_migration = importlib.import_module("careplus.cases.migrations.0009_case_shared_with_office")


class _Recorder:
    """A connection that records the statements run through its cursor."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.statements: list[str] = []

    def cursor(self) -> _Recorder:
        return self

    def __enter__(self) -> _Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, statement: str, params: Any = None) -> None:
        self.statements.append(statement)


def _rebuild(function: Any, vendor: str) -> list[str]:
    recorder = _Recorder(vendor)
    function(recorder)
    return recorder.statements


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_rollup_triggers_of_the_migrations_are_the_live_ones(vendor: str) -> None:
    assert _rollup_sql.INSTALL[vendor] == rollups.install_sql(vendor)
    assert _rollup_sql.UNINSTALL[vendor] == rollups.uninstall_sql(vendor)
    assert _rollup_sql.REBUILD[vendor] == _rebuild(rollups.rebuild, vendor)


@pytest.mark.parametrize("vendor", VENDORS)
def test_the_sharing_triggers_of_the_migration_are_the_live_ones(vendor: str) -> None:
    assert sharing_migration.SHARING_INSTALL[vendor] == sharing.install_sql(vendor)
    assert sharing_migration.SHARING_UNINSTALL[vendor] == sharing.uninstall_sql(vendor)
    assert sharing_migration.SHARING_REBUILD[vendor] == _rebuild(sharing.rebuild, vendor)
