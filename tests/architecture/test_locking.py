"""Issue 22, point 2: optimistic locking is written once, in careplus/core/locking.py.

No other module compares a record's version, increases it by hand or raises the stale-edit error
itself: services lock with `lock_for_edit`/`lock_for_upsert` and save with `bump`/`touch`, so one
change there changes every record's behaviour, and every stale edit says the same thing.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent / "careplus"
LOCKING = ROOT / "core" / "locking.py"
VERSION_FIELDS = {"version", "row_version"}
STALE_ERRORS = {"StaleObject", "StaleEdit"}


def _modules() -> list[Path]:
    """Every module of the apps but the helper itself, tests and migrations (web modules included)."""
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if path != LOCKING and "tests" not in path.parts and "migrations" not in path.parts
    )


def _is_version(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in VERSION_FIELDS


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def offences(source: str) -> list[tuple[int, str]]:
    """(line, what) for each hand-written piece of optimistic locking in a module's source."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(_is_version(part) for part in [node.left, *node.comparators]):
            found.append((node.lineno, "compares a version"))
        elif isinstance(node, ast.AugAssign) and _is_version(node.target):
            found.append((node.lineno, "increases a version by hand"))
        elif isinstance(node, ast.Call) and any(
            keyword.arg in VERSION_FIELDS and isinstance(keyword.value, ast.BinOp) for keyword in node.keywords
        ):
            found.append((node.lineno, "computes a new version in a query"))
        elif (
            isinstance(node, ast.Call)
            and _name(node) in {"filter", "exclude", "get"}
            and any(keyword.arg in VERSION_FIELDS for keyword in node.keywords)
        ):
            found.append((node.lineno, "compares a version in a query"))
        elif isinstance(node, ast.Raise) and node.exc is not None and _name(node.exc) in STALE_ERRORS:
            found.append((node.lineno, "raises the stale-edit error itself"))
    return sorted(found)


def test_i22_p02_no_module_but_core_locking_writes_optimistic_locking() -> None:
    modules = _modules()
    assert len(modules) > 50, "the walk found too few modules"
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {what}" for path in modules for line, what in offences(path.read_text())
    ]
    assert offenders == [], "use careplus.core.locking (lock_for_edit, lock_for_upsert, bump, touch, gone)"


def test_i22_p02_the_check_catches_each_hand_written_variant() -> None:
    hand_written = """
def _lock(case, expected_version):
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleObject("Someone else changed this case meanwhile.")
    locked.row_version += 1
    Case.objects.filter(pk=case.pk, version=expected_version).update(version=F("version") + 1)
    raise errors.StaleEdit()
"""
    assert [what for _line, what in offences(hand_written)] == [
        "compares a version",
        "raises the stale-edit error itself",
        "increases a version by hand",
        "compares a version in a query",
        "computes a new version in a query",
        "raises the stale-edit error itself",
    ]
    helper_calls = """
case = lock_for_edit(Case.objects.select_related("data_key"), case.pk, expected_version)
bump(item, "status")
Visit(case=case, version=1)
"""
    assert offences(helper_calls) == []
