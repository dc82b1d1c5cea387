"""The reliability drills run and report no loss (small runs here; full runs are in docs/operations.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CAREPLUS_VAR_DIR", "DJANGO_SETTINGS_MODULE"}
    }
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_conflicting_edits_have_exactly_one_winner_per_pair() -> None:
    result = _run("drills.conflicts", "--pairs", "8")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "api    statuses: {'200': 8, '412': 8}" in result.stdout
    assert "pages  statuses: {'302': 8, '400': 8}" in result.stdout
    assert "lost update: 0" in result.stdout


def test_killing_the_writer_loses_no_acknowledged_case() -> None:
    result = _run("drills.kill9", "--rounds", "3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lost acknowledged writes: 0" in result.stdout
    assert "half-written cases (no timeline or audit event): 0" in result.stdout
    assert "audit chain: ok" in result.stdout


def test_a_base_backup_replayed_to_a_point_in_time_holds_exactly_what_was_committed_before_it() -> None:
    result = _run("drills.backup", "--cases", "40", "--more", "10")
    assert result.returncode == 0, result.stdout + result.stderr
    figures = dict(line.split(None, 1) for line in result.stdout.splitlines() if line.strip())
    assert figures["pg_verifybackup"] == "ok"
    assert figures["tables_matching_at_t"] == figures["tables_checked"]
    assert figures["cases_at_t"] == figures["cases_after_pitr"] == "50"
    assert figures["cases_written_after_t_present"] == "0"
    assert figures["cases_before_t_missing"] == "0"
    assert figures["audit_after_pitr"].startswith("Audit chain OK")
    assert figures["rollups_after_pitr"].endswith("in step with their source rows.")
    matching, _of, tables, *_rest = figures["tables_matching_dump"].split()
    assert matching == tables
