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
