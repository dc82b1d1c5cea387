"""The README is a front door and the documents tell the truth about the code (issue 22, point 6).

A newcomer follows a path or a function name from the README or `docs/` to change a rule: every
one of them must exist, every link must lead somewhere, and every app must be on the map.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Directories a command creates when it runs (never committed): cited as where output goes.
GENERATED = ("bench/results", "loadtest/results", "var")
FENCED = re.compile(r"```.*?```", re.DOTALL)
CODE = re.compile(r"`([^`\n]+)`")
PATH = re.compile(r"(?<![\w/.])((?:careplus|config|tests|bench|drills|loadtest|locale|templates|docs|static)/[\w./-]*)")
DOTTED = re.compile(r"(?<![\w/.])(careplus(?:\.\w+)+)")
LINK = re.compile(r"\]\(([^)\s]+)\)")
LOGGER = re.compile(r"getLogger\(\"([\w.]+)\"\)")


def _code_spans(path: Path) -> list[str]:
    return CODE.findall(FENCED.sub("", path.read_text(encoding="utf-8")))


def _loggers() -> set[str]:
    """Return the names of the loggers the code writes to (a document may cite one, e.g. `careplus.request`)."""
    return {name for path in (ROOT / "careplus").rglob("*.py") for name in LOGGER.findall(path.read_text())}


def _resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 1, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name):
                return False
            found = getattr(found, name)
        return True
    return False


def test_i22_p06_the_readme_starts_with_the_two_commands_and_stays_short() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.startswith("# CARE+\n\n```\nmake run\nmake test\n```\n")
    assert len(text.splitlines()) <= 150


def test_i22_p06_every_app_is_on_the_readme_map() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    apps = sorted(p.parent.name for p in (ROOT / "careplus").glob("*/__init__.py"))
    assert apps, "no app found under careplus/"
    assert [app for app in apps if f"`careplus/{app}`" not in readme] == []


def test_i22_p06_every_path_the_documents_cite_exists() -> None:
    missing = [
        f"{doc.name}: {cited}"
        for doc in DOCUMENTS
        for span in _code_spans(doc)
        for cited in PATH.findall(span)
        if not cited.startswith(GENERATED) and not (ROOT / cited.rstrip("/.")).exists()
    ]
    assert missing == []


def test_i22_p06_every_dotted_name_the_documents_cite_is_importable_or_a_logger() -> None:
    loggers = _loggers()
    missing = [
        f"{doc.name}: {cited}"
        for doc in DOCUMENTS
        for span in _code_spans(doc)
        for cited in DOTTED.findall(span)
        if cited not in loggers and not _resolves(cited)
    ]
    assert missing == []


def test_i22_p06_every_link_between_documents_leads_to_a_file() -> None:
    broken = [
        f"{doc.name}: {target}"
        for doc in DOCUMENTS
        for target in LINK.findall(doc.read_text(encoding="utf-8"))
        if not target.startswith(("http://", "https://", "#", "mailto:"))
        and not (doc.parent / target.split("#")[0]).exists()
    ]
    assert broken == []


def test_i22_p06_the_path_check_would_catch_a_wrong_path(tmp_path: Path) -> None:
    """The patterns above find what they must: a test of the test, on a made-up document."""
    document = tmp_path / "doc.md"
    document.write_text("See `careplus/nowhere/rules.py` and `careplus.access.nowhere`.\n```\ncareplus/x.py\n```\n")
    spans = _code_spans(document)
    assert [p for s in spans for p in PATH.findall(s)] == ["careplus/nowhere/rules.py"]
    assert [d for s in spans for d in DOTTED.findall(s)] == ["careplus.access.nowhere"]
    assert not _resolves("careplus.access.nowhere")
    assert _resolves("careplus.audit.services.record_event")
