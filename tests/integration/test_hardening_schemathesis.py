"""schemathesis against the local stack through its gateway: the examples, coverage, fuzzing
and stateful phases (links between operations give session-scoped routes real ids), with the
checks and accepted statuses of schemathesis/schemathesis.toml. Bounded in time there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from emulators.launcher import REPO_ROOT
from emulators.stack import Stack
from tests.conftest import unique_id

CONFIG = Path(__file__).parent / "schemathesis" / "schemathesis.toml"
SPEC = REPO_ROOT / "infra" / "api" / "openapi.yaml"


def test_schemathesis_finds_no_server_error_and_no_document_mismatch(
    stack: Stack, tmp_path: Path
) -> None:
    if not (stack.has("gateway") and stack.has("sessions") and stack.has("search")):
        pytest.skip(f"stack incomplete: {stack.skipped}")
    st = Path(sys.executable).with_name("st")
    run = subprocess.run(
        [
            str(st), "--config-file", str(CONFIG), "run", str(SPEC),
            "--url", stack.url("gateway"),
            "-H", f"Authorization: Bearer dev:{unique_id('fuzz-')}:ann",
            "--report", "junit", "--report-dir", str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO_ROOT,
    )  # fmt: skip
    report = run.stdout[-12000:]
    assert run.returncode == 0, report
    assert "No issues found" in run.stdout, report
    assert "Server error" not in run.stdout, report
