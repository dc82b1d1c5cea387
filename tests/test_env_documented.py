"""Every environment variable the README and docs/ name is read by the settings (or by Django itself)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMES = re.compile(r"\b(CAREPLUS_[A-Z0-9_]*[A-Z0-9]|DJANGO_[A-Z0-9_]*[A-Z0-9]|EMAIL_[A-Z0-9_]*[A-Z0-9]|DATABASE_URL)\b")

# Run in a fresh interpreter: os.environ is wrapped so that every name looked up is recorded, then
# Django is set up with each settings module (production with its required variables, a key file
# instead of the master keys, development) and the names read are printed.
PROBE = r"""
import json, os, sys, tempfile

read = set()

class Recording(type(os.environ)):
    def __getitem__(self, key):
        read.add(key)
        return super().__getitem__(key)
    def get(self, key, default=None):
        read.add(key)
        return super().get(key, default)
    def __contains__(self, key):
        read.add(key)
        return super().__contains__(key)

os.environ.__class__ = Recording
module = sys.argv[1]
os.environ["DJANGO_SETTINGS_MODULE"] = module
import django
django.setup()
print(json.dumps(sorted(read)))
"""


def _names_read(module: str, env: dict[str, str]) -> set[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("CAREPLUS_", "DJANGO_", "DATABASE_URL", "EMAIL_"))
    }
    clean.update(env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, module],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def _documented() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for name in NAMES.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, []).append(str(path.relative_to(ROOT)))
    return found


def test_p10_every_documented_environment_variable_is_read(tmp_path: Path) -> None:
    key_file = tmp_path / "master_keys"
    key_file.write_text("prod1:" + "k" * 43)
    production = {
        "DJANGO_SECRET_KEY": "s" * 60,
        "CAREPLUS_AUDIT_KEY": "a" * 43,
        "CAREPLUS_INDEX_KEY": "i" * 43,
        "CAREPLUS_ALLOWED_HOSTS": "careplus.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    read = _names_read("config.settings.production", {**production, "CAREPLUS_MASTER_KEYS": "prod1:" + "k" * 43})
    read |= _names_read("config.settings.production", {**production, "CAREPLUS_MASTER_KEY_FILE": str(key_file)})
    read |= _names_read("config.settings.dev", {"CAREPLUS_VAR_DIR": str(tmp_path / "var")})
    documented = _documented()
    assert documented, "the README names no variable: the pattern is wrong"
    never_read = {name: where for name, where in documented.items() if name not in read}
    assert never_read == {}, f"documented but never read by the settings: {never_read}"
