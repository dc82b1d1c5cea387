"""Conventions turned into tests: views never query models directly, nor write."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent / "careplus"


def _web_modules() -> list[Path]:
    files = [
        *ROOT.glob("*/views.py"),
        *ROOT.glob("*/views_*.py"),
        *ROOT.glob("*/*_views.py"),
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


# A write (or a manager reached around `.objects`) in the web layer (issue 22, point 3): services write.
WRITES = {"save", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}


def _writes(tree: ast.AST) -> list[ast.AST]:
    found: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"_default_manager", "_base_manager"}:
            found.append(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            # QuerySet.update takes field=value; dict.update (a template context) takes a mapping.
            if name in WRITES or (name == "update" and node.keywords and not node.args):
                found.append(node)
    return found


def test_the_web_layer_writes_nothing_itself() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
        for path in _web_modules()
        for node in _writes(ast.parse(path.read_text()))
    ]
    assert offenders == []


def test_the_write_check_sees_a_write() -> None:
    tree = ast.parse(
        "def view(request):\n"
        "    case.save()\n"
        "    Case._default_manager.filter(pk=1)\n"
        "    items.update(status='x')\n"
        "    context.update(forms)\n"
    )
    assert sorted(getattr(node, "lineno", 0) for node in _writes(tree)) == [2, 3, 4]


def test_access_package_defines_no_models() -> None:
    assert not (ROOT / "access" / "models.py").exists()
