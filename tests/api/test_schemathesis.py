"""SEC-API-FUZZ: schemathesis against the generated schema, as four roles, on a live server.

Each run sends at least 100 generated examples per operation and fails on any server error,
schema violation or ignored authentication.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from django.core.management import call_command
from django.test import override_settings

from careplus.access.roles import Role
from tests import factories
from tests.api.helpers import token_for

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "schemathesis"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
        "ignored_auth",
    ]
)
MAX_EXAMPLES = int(os.environ.get("CAREPLUS_FUZZ_EXAMPLES", "100"))


def _user_for(role: Role) -> Any:
    return factories.make_user(
        role,
        office=factories.shared_office() if role == Role.CASEWORKER else None,
        organisation=factories.shared_organisation() if role == Role.PARTNER else None,
    )


@pytest.fixture
def quiet_request_log() -> Iterator[None]:
    """Keep the thousands of expected 4xx warnings out of the output; 5xx errors still show."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


def _seed() -> None:
    """Objects of every kind in the personas' scope, so generated ids sometimes hit real records."""
    factories.make_programme()
    factories.make_referral(organisation=factories.shared_organisation())
    factories.make_case(office=factories.shared_office())
    factories.make_returned_case(office=factories.shared_office())
    factories.add_participant(factories.make_training(), present=True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", [Role.PARTNER, Role.CASEWORKER, Role.COORDINATOR, Role.AUDITOR])
@override_settings(CAREPLUS_API_RATES={"token": "100000/hour", "list": "100000/minute", "export": "100000/hour"})
def test_schemathesis_finds_no_failure(role: Role, live_server: Any, tmp_path: Path, quiet_request_log: None) -> None:
    _seed()
    schema = tmp_path / "openapi.yaml"
    call_command("spectacular", file=str(schema), validate=True, fail_on_warn=True)
    token = token_for(_user_for(role))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        str(schema),
        "--url",
        live_server.url,
        "--header",
        f"Authorization: Bearer {token}",
        "--header",
        "Connection: close",
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--phases",
        "examples,fuzzing",
        "--workers",
        "1",
        "--seed",
        "20261123",
        "--no-color",
        "--suppress-health-check",
        "all",
        "--report",
        "junit",
        "--report-junit-path",
        str(ARTIFACTS / f"{role.value}.xml"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=1500, check=False)
    (ARTIFACTS / f"{role.value}.txt").write_text(result.stdout + result.stderr)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
