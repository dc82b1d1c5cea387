"""Conventions turned into tests: views never query models directly."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent / "careplus"


def _web_modules() -> list[Path]:
    files = [
        *ROOT.glob("*/views.py"),
        *ROOT.glob("*/views_*.py"),
        *ROOT.glob("*/views/*.py"),
        *ROOT.glob("*/templatetags/*.py"),
    ]
    files += list((ROOT / "api").rglob("*.py")) if (ROOT / "api").exists() else []
    return sorted(files)


def test_views_fetch_through_access_and_selectors_only() -> None:
    offenders: list[str] = []
    for path in _web_modules():
        tree = ast.parse(path.read_text())
        offenders.extend(
            f"{path.relative_to(ROOT)}:{node.lineno}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and node.attr == "objects"
        )
    assert offenders == []
    assert _web_modules(), "no view module found"


def test_access_package_defines_no_models() -> None:
    assert not (ROOT / "access" / "models.py").exists()
