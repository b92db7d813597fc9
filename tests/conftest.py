"""Fixtures every test tier shares: environment isolation and the emulators.

Each emulator starts once per test session, on a free port, as its own process, and is stopped
when the session ends. Tests isolate themselves with a fresh project id per module
(`project_id`), so nothing one module writes is seen by another.
"""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import pytest

from emulators.launcher import REPO_ROOT, ManagedProcess, free_port, port_open, python_module
from emulators.stack import Stack, StackConfig

LOG_DIR = REPO_ROOT / "build" / "test-logs"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def pytest_configure(config: pytest.Config) -> None:
    """`timeout`, CI cancellation and IDEs stop a run with SIGTERM, whose default action skips
    fixture teardown and leaves every emulator running; as an interrupt, pytest tears down."""
    signal.signal(signal.SIGTERM, _interrupt)


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


def start_emulator(
    name: str, module: str, *args: str, timeout: float = 60.0, port: int | None = None, **kw: object
) -> ManagedProcess:
    """A started emulator; the caller stops it (never `with` it: that would start a second)."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    proc = ManagedProcess(
        name=name,
        argv=python_module(module, "--host", "127.0.0.1", "--port", str(port), *args),
        host="127.0.0.1",
        port=port,
        log_path=LOG_DIR / f"{name}-{port}.log",
        **kw,  # type: ignore[arg-type]
    )
    return proc.start(timeout=timeout)


@pytest.fixture(scope="session")
def firestore_emulator() -> Iterator[ManagedProcess]:
    """Our Firestore emulator in strict-index mode, reading the indexes infra/ declares."""
    indexes = Path(REPO_ROOT, "infra", "firestore.indexes.json")
    proc = start_emulator(
        "firestore", "emulators.firestore", "--strict-indexes", "--indexes", str(indexes)
    )
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def pubsub_emulator() -> Iterator[ManagedProcess]:
    proc = start_emulator("pubsub", "emulators.pubsub")
    try:
        yield proc
    finally:
        proc.stop()


@dataclass(frozen=True)
class BigQueryEmulator:
    process: ManagedProcess
    grpc_port: int

    @property
    def endpoint(self) -> str:
        """REST base URL: `client_options={"api_endpoint": endpoint}` (HS_BIGQUERY_ENDPOINT)."""
        return f"http://{self.process.address}"

    @property
    def grpc_address(self) -> str:
        return f"{self.process.host}:{self.grpc_port}"


@pytest.fixture(scope="session")
def bigquery_emulator() -> Iterator[BigQueryEmulator]:
    """bqemulator, offline (see emulators/bigquery); REST and Storage gRPC on free ports."""
    rest, grpc = free_port(), free_port()
    proc = start_emulator(
        "bigquery",
        "emulators.bigquery",
        "--grpc-port",
        str(grpc),
        port=rest,
        ready=lambda: port_open("127.0.0.1", rest) and port_open("127.0.0.1", grpc),
    )
    try:
        yield BigQueryEmulator(proc, grpc)
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole local stack (emulators, functions present in the tree, gateway) on free ports,
    started once per test session. `stack.url("gateway")`, `stack.address("firestore")`,
    `stack.env` (what a client process exports), `with stack.down("bigquery"): ...` (an outage).
    Firestore and BigQuery keep their data on disk, so an outage does not erase it. Logs:
    build/test-logs/stack/<component>.log."""
    config = StackConfig.on_free_ports(
        data_dir=tmp_path_factory.mktemp("stack-data"), log_dir=LOG_DIR / "stack"
    )
    with Stack(config) as running:
        yield running


@pytest.fixture(scope="module")
def project_id() -> str:
    """A project id of this module's own: the emulators keep projects apart."""
    return f"test-{uuid.uuid4().hex[:12]}"


def unique_id(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"
