"""Issue 22, point 3: the import contracts hold, and `lint-imports` fails when one is broken.

The contracts are in pyproject.toml ([tool.importlinter]) and `make lint` runs them. The first test
runs the linter on the real code; the others break one contract in a temporary copy of the code
(one import added) and check that the linter fails, naming the contract and the offending import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _contracts() -> dict[str, str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {contract["id"]: contract["name"] for contract in config["tool"]["importlinter"]["contracts"]}


def _lint(cwd: Path) -> tuple[int, str]:
    """Run the linter on the code under `cwd`; return its exit code and its output, one line."""
    env = {**os.environ, "PYTHONPATH": str(cwd), "COLUMNS": "400", "NO_COLOR": "1"}
    done = subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, " ".join((done.stdout + done.stderr).split())


def test_the_code_keeps_every_contract() -> None:
    code, output = _lint(ROOT)
    assert code == 0, output
    contracts = _contracts()
    assert set(contracts) >= {
        "app-layers",
        "no-cycles-between-apps",
        "domain-imports-no-web",
        "core-imports-no-app",
        "migrations-import-no-app-code",
    }
    for name in contracts.values():
        assert f"{name} KEPT" in output
    assert f"Contracts: {len(contracts)} kept, 0 broken." in output


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The code and its configuration, copied where an import can be added without touching the tree."""
    shutil.copytree(ROOT / "careplus", tmp_path / "careplus", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "tools", tmp_path / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


# (contract id, module changed, import added, what the linter reports)
VIOLATIONS = [
    (
        "core-imports-no-app",
        "careplus/core/inbox.py",
        "from careplus.cases import services",
        "careplus.core.inbox -> careplus.cases.services",
    ),
    (
        "app-layers",
        "careplus/referrals/models.py",
        "from careplus.referrals import services",
        "careplus.referrals.models is not allowed to import careplus.referrals.services",
    ),
    (
        "domain-imports-no-web",
        "careplus/returns/services.py",
        "from careplus.cases import views",
        "careplus.returns.services -> careplus.cases.views",
    ),
    (
        "migrations-import-no-app-code",
        "careplus/reporting/migrations/0002_rollup_triggers.py",
        "from careplus.reporting import rollups",
        "careplus.reporting.migrations.0002_rollup_triggers -> careplus.reporting.rollups",
    ),
    # An import up the project's layers: a pure rule module reading another app's services.
    (
        "no-cycles-between-apps",
        "careplus/returns/sustainability.py",
        "from careplus.cases import services",
        "careplus.returns.sustainability (rules) imports careplus.cases.services (logic), a higher layer.",
    ),
    # Two apps importing each other in one layer (returns' services already use cases' services).
    (
        "no-cycles-between-apps",
        "careplus/cases/services.py",
        "from careplus.returns import services as returns_services",
        "Apps cases <-> returns import each other in the logic layer: "
        "- careplus.cases.services -> careplus.returns.services",
    ),
    # Two modules of one app importing each other round, through an import inside a function.
    (
        "no-cycles-between-apps",
        "careplus/returns/selectors.py",
        "def _later() -> None:\n    from careplus.returns import services",
        "Modules import each other round: careplus.returns.selectors, careplus.returns.services.",
    ),
]


@pytest.mark.parametrize(("contract", "module", "line", "reported"), VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_a_deliberate_violation_fails_the_lint(
    copy: Path, contract: str, module: str, line: str, reported: str
) -> None:
    path = copy / module
    text = path.read_text() if path.exists() else '"""A module added by the test."""\n'
    path.write_text(f"{text}\n{line}  # the deliberate violation\n")

    code, output = _lint(copy)

    assert code == 1, output
    contracts = _contracts()
    assert f"{contracts[contract]} BROKEN" in output
    assert reported in output


def test_member_patterns_match_within_a_name_and_below_a_package() -> None:
    from tools.import_contracts import _expand

    modules = [
        "careplus.cases.views",
        "careplus.cases.views_import",
        "careplus.cases.viewsets",
        "careplus.api.views.cases",
        "careplus.core.forms",
    ]
    assert _expand(modules, ["careplus.*.views_*"]) == {"careplus.cases.views_import"}
    assert _expand(modules, ["careplus.*.views"]) == {"careplus.cases.views"}
    assert _expand(modules, ["careplus.api.**"]) == {"careplus.api.views.cases"}


def test_the_cycle_finder_names_each_round_once() -> None:
    from tools.import_contracts import _strongly_connected

    groups = _strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}})
    assert sorted(sorted(g) for g in groups if len(g) > 1) == [["a", "b", "c"]]
