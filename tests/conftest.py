"""Fixtures every test tier shares: environment isolation and the emulators.

Each emulator starts once per test session, on a free port, as its own process, and is stopped
when the session ends. Tests isolate themselves with a fresh project id per module
(`project_id`), so nothing one module writes is seen by another.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulators.launcher import REPO_ROOT, ManagedProcess, free_port, python_module

LOG_DIR = REPO_ROOT / "build" / "test-logs"


@pytest.fixture(autouse=True)
def _isolated_environ() -> Iterator[None]:
    """Restore os.environ and the cached settings after every test."""
    from shared.config import get_settings

    saved = dict(os.environ)
    get_settings.cache_clear()
    yield
    os.environ.clear()
    os.environ.update(saved)
    get_settings.cache_clear()


def start_emulator(name: str, module: str, *args: str, timeout: float = 60.0) -> ManagedProcess:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = ManagedProcess(
        name=name,
        argv=python_module(module, "--host", "127.0.0.1", "--port", str(port), *args),
        host="127.0.0.1",
        port=port,
        log_path=LOG_DIR / f"{name}-{port}.log",
    )
    return proc.start(timeout=timeout)


@pytest.fixture(scope="session")
def firestore_emulator() -> Iterator[ManagedProcess]:
    """Our Firestore emulator in strict-index mode, reading the indexes infra/ declares."""
    indexes = Path(REPO_ROOT, "infra", "firestore.indexes.json")
    with start_emulator(
        "firestore", "emulators.firestore", "--strict-indexes", "--indexes", str(indexes)
    ) as proc:
        yield proc


@pytest.fixture(scope="session")
def pubsub_emulator() -> Iterator[ManagedProcess]:
    with start_emulator("pubsub", "emulators.pubsub") as proc:
        yield proc


@pytest.fixture(scope="module")
def project_id() -> str:
    """A project id of this module's own: the emulators keep projects apart."""
    return f"test-{uuid.uuid4().hex[:12]}"


def unique_id(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"
