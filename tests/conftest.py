"""Fixtures every test tier shares: environment isolation and the emulators.

Each emulator starts once per test session, on a free port, as its own process, and is stopped
when the session ends. Tests isolate themselves with a fresh project id per module
(`project_id`), so nothing one module writes is seen by another.

`HS_TEST_EMULATORS=official` (`make test-official`) runs the same tests on Google's gcloud
emulators of Firestore and Pub/Sub instead of ours: `firestore_emulator`, `pubsub_emulator` and
`stack` start those. Tests of what only ours does are marked `ours_only("why")` and skipped
there; tests of an intended difference ask `emulator_flavour` and check each side's behaviour.
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

from emulators.launcher import (
    REPO_ROOT,
    ManagedProcess,
    free_port,
    gcloud_emulator_argv,
    gcloud_emulator_installed,
    port_open,
    python_module,
)
from emulators.stack import Stack, StackConfig

LOG_DIR = REPO_ROOT / "build" / "test-logs"
OFFICIAL = os.environ.get("HS_TEST_EMULATORS", "ours") == "official"
"""This run uses Google's emulators for Firestore and Pub/Sub (`make test-official`)."""


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def pytest_configure(config: pytest.Config) -> None:
    """`timeout`, CI cancellation and IDEs stop a run with SIGTERM, whose default action skips
    fixture teardown and leaves every emulator running; as an interrupt, pytest tears down."""
    signal.signal(signal.SIGTERM, _interrupt)
    config.addinivalue_line(
        "markers",
        "ours_only(reason): tests what only our emulators do (their flags, in-process hooks, "
        "checks Google's emulators leave out); skipped when HS_TEST_EMULATORS=official",
    )
    if OFFICIAL and not all(gcloud_emulator_installed(e) for e in ("firestore", "pubsub")):
        raise pytest.UsageError("HS_TEST_EMULATORS=official needs gcloud with both emulators")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not OFFICIAL:
        return
    for item in items:
        marker = item.get_closest_marker("ours_only")
        if marker is not None:
            why = marker.args[0] if marker.args else marker.kwargs.get("reason", "")
            item.add_marker(pytest.mark.skip(reason=f"only our emulators: {why}"))


@pytest.fixture(scope="session")
def emulator_flavour() -> str:
    """ "official" when this run uses Google's Firestore and Pub/Sub emulators, else "ours"."""
    return "official" if OFFICIAL else "ours"


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
        **kw,  # type: ignore[arg-type]  # ManagedProcess options, passed through by name
    )
    return proc.start(timeout=timeout)


def start_official(emulator: str) -> ManagedProcess:
    """Google's emulator (`firestore` or `pubsub`) on a free port; the caller stops it."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = ManagedProcess(
        name=f"{emulator}-official",
        argv=gcloud_emulator_argv(emulator, "127.0.0.1", port),
        host="127.0.0.1",
        port=port,
        log_path=LOG_DIR / f"{emulator}-official-{port}.log",
    )
    return proc.start(timeout=90)


@pytest.fixture(scope="session")
def firestore_emulator() -> Iterator[ManagedProcess]:
    """Our Firestore emulator in strict-index mode, reading the indexes infra/ declares
    (Google's with HS_TEST_EMULATORS=official)."""
    indexes = Path(REPO_ROOT, "infra", "firestore.indexes.json")
    proc = (
        start_official("firestore")
        if OFFICIAL
        else start_emulator(
            "firestore", "emulators.firestore", "--strict-indexes", "--indexes", str(indexes)
        )
    )
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def pubsub_emulator() -> Iterator[ManagedProcess]:
    proc = start_official("pubsub") if OFFICIAL else start_emulator("pubsub", "emulators.pubsub")
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
    build/test-logs/stack/[<xdist worker>/]<component>.log."""
    # each pytest-xdist worker runs a stack of its own: its logs apart from the others'
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    config = StackConfig.on_free_ports(
        data_dir=tmp_path_factory.mktemp("stack-data"),
        log_dir=LOG_DIR / "stack" / worker,
        official=OFFICIAL,
    )
    with Stack(config) as running:
        yield running


@pytest.fixture(scope="module")
def project_id() -> str:
    """A project id of this module's own: the emulators keep projects apart."""
    return f"test-{uuid.uuid4().hex[:12]}"


def unique_id(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:10]}"
