"""The French catalogue is complete, compiled, and covers every translatable string."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent.parent
PO = ROOT / "locale/fr/LC_MESSAGES/django.po"
MO = ROOT / "locale/fr/LC_MESSAGES/django.mo"


def _translations(entries: polib.POFile | polib.MOFile) -> dict[str, object]:
    return {
        e.msgid: (e.msgstr_plural and dict(e.msgstr_plural)) or e.msgstr for e in entries if not e.obsolete and e.msgid
    }


def test_no_empty_or_fuzzy_french_entry() -> None:
    po = polib.pofile(str(PO))
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []


def test_compiled_catalogue_matches_the_sources() -> None:
    po = _translations(polib.pofile(str(PO)))
    mo = _translations(polib.mofile(str(MO)))
    assert po == {k: (dict(v) if isinstance(v, dict) else v) for k, v in mo.items()}


def test_every_translatable_string_is_in_the_catalogue(tmp_path: Path) -> None:
    """Running makemessages on a copy adds no new msgid."""
    work = tmp_path / "tree"
    shutil.copytree(
        ROOT,
        work,
        # Also what other test processes write meanwhile (a file gone between listing and copying
        # failed the copy): hypothesis' examples, pytest's and ruff's caches, the bench's results.
        ignore=shutil.ignore_patterns(
            ".venv",
            ".venv-load",
            ".git",
            "var",
            "test-artifacts",
            "staticfiles",
            "*.pyc",
            ".hypothesis",
            ".pytest_cache",
            ".ruff_cache",
            ".mypy_cache",
            "results",
        ),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "fr", "--no-location", "-v0"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    fresh = polib.pofile(str(work / "locale/fr/LC_MESSAGES/django.po"))
    missing = [e.msgid for e in fresh if not e.obsolete and (not e.translated() or e.fuzzy)]
    assert missing == []
