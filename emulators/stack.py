"""The local stack: every emulator, function and the gateway, each its own process.

`COMPONENTS` declares each piece once (argv, ports, env, dependencies, the path that must exist
for it to be included); `Stack` starts them in dependency order, independent ones in parallel,
waits until each answers, provisions topics, subscriptions and tables from `infra/`, and stops
everything it started. Used by `python -m emulators` (`make run`) and the `stack` test fixture.
"""

from __future__ import annotations

import contextlib
import functools
import graphlib
import importlib
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

from emulators.launcher import (
    REPO_ROOT,
    ManagedProcess,
    free_port,
    gcloud_emulator_argv,
    port_open,
    python_module,
)
from emulators.provision import (
    DeliveryPolicy,
    bigquery_client,
    load_layout,
    provision_bigquery,
    provision_pubsub,
    pubsub_clients,
)
from shared.config import Settings

DEFAULT_PORTS: dict[str, int] = {
    "firestore": 8080,
    "pubsub": 8085,
    "bigquery": 9050,
    "bigquery_grpc": 9060,
    "vertex": 8095,
    "gateway": 8000,
    "chat": 8101,
    "sessions": 8102,
    "search": 8103,
    "ingest": 8104,
    "reconciler": 8105,
    "scheduler": 8106,
}
FUNCTIONS = ("chat", "sessions", "search", "ingest", "reconciler")
EMULATORS = ("firestore", "pubsub", "bigquery", "vertex")
# Locally an outage should heal in seconds, not minutes; attempts stay Pub/Sub's default.
LOCAL_DELIVERY = DeliveryPolicy(minimum_backoff_seconds=1, maximum_backoff_seconds=10)


_CLIENTS = "import client libraries"


class StackStopped(Exception):
    """Raised inside a start that the stack was asked to abandon."""


@dataclass(frozen=True)
class StackConfig:
    host: str = "127.0.0.1"
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    official: bool = False
    """Google's gcloud emulators for Firestore and Pub/Sub instead of ours."""
    firestore_locks: str = "optimistic"
    """Our Firestore emulator's `--transaction-locks`: "pessimistic" locks like Google's."""
    settings: Settings = field(default_factory=Settings)
    data_dir: Path | None = None
    """Where our Firestore and BigQuery emulators keep their data; in memory when None."""
    log_dir: Path = REPO_ROOT / "build" / "stack-logs"
    delivery: DeliveryPolicy = LOCAL_DELIVERY
    start_timeout: float = 60.0
    reconcile_every_s: float = 60.0
    """Interval of the local scheduler's reconciler job (Cloud Scheduler's minimum is 1 min)."""
    console_dir: Path = REPO_ROOT / "build" / "console"
    """The built web console (`make console`), served by the gateway at `/` when present."""

    @classmethod
    def on_free_ports(cls, **kwargs: object) -> StackConfig:
        ports: set[int] = set()
        while len(ports) < len(DEFAULT_PORTS):  # the OS may hand out a just-freed port again
            ports.add(free_port())
        return cls(ports=dict(zip(DEFAULT_PORTS, sorted(ports), strict=True)), **kwargs)  # type: ignore[arg-type]  # the caller's other StackConfig fields, passed through by name

    def address(self, port_name: str) -> str:
        return f"{self.host}:{self.ports[port_name]}"

    def url(self, port_name: str) -> str:
        return f"http://{self.address(port_name)}"


@dataclass(frozen=True)
class Component:
    name: str
    argv: Callable[[StackConfig], list[str]]
    ports: tuple[str, ...]
    """Keys of StackConfig.ports; the first is the component's address, all must answer."""
    requires: str | None = None
    """Path (from the repo root) that must exist for the component to be part of the stack."""
    depends_on: tuple[str, ...] = ()
    needs_emulator_env: bool = False
    """Gets `Stack.env`: emulator hosts, resource names, dev auth (what the functions read)."""
    has_official: bool = False
    """Google ships an emulator of it: with StackConfig.official, gcloud runs that one."""


def _module_argv(module: str, *extra: str) -> Callable[[StackConfig], list[str]]:
    def argv(config: StackConfig) -> list[str]:
        port = str(config.ports[module.rsplit(".", 1)[1]])
        return python_module(module, "--host", config.host, "--port", port, *extra)

    return argv


def _firestore_argv(config: StackConfig) -> list[str]:
    if config.official:
        return _gcloud("firestore", config)
    indexes = str(REPO_ROOT / "infra" / "firestore.indexes.json")
    persist = ["--data-dir", str(config.data_dir / "firestore")] if config.data_dir else []
    locks = ["--transaction-locks", config.firestore_locks]
    return _module_argv(
        "emulators.firestore", "--strict-indexes", "--indexes", indexes, *locks, *persist
    )(config)


def _pubsub_argv(config: StackConfig) -> list[str]:
    if config.official:
        return [*_gcloud("pubsub", config), f"--project={config.settings.project}"]
    return _module_argv("emulators.pubsub")(config)


def _gcloud(emulator: str, config: StackConfig) -> list[str]:
    return gcloud_emulator_argv(emulator, config.host, config.ports[emulator])


def _bigquery_argv(config: StackConfig) -> list[str]:
    argv = _module_argv(
        "emulators.bigquery",
        "--grpc-port",
        str(config.ports["bigquery_grpc"]),
        "--project",
        config.settings.project,
    )(config)
    if config.data_dir is not None:
        argv += ["--data-dir", str(config.data_dir / "bigquery")]
    return argv


# The Vertex emulator's embedding model (MiniLM) gives 384-dimensional vectors, whatever the
# model name; the local index is declared with that size and the functions ask for it.
LOCAL_EMBEDDING_DIMENSIONS = 384


def vector_search_env(settings: Settings) -> dict[str, str]:
    """The local Vector Search index, endpoint and deployed index (the ingest and search
    functions' settings), named like the cloud resources unless the settings name them."""
    parent = f"projects/{settings.project}/locations/{settings.vertex_location}"
    return {
        "HS_EMBEDDING_DIMENSIONS": str(LOCAL_EMBEDDING_DIMENSIONS),
        "HS_VECTOR_INDEX": settings.vector_index or f"{parent}/indexes/hs-local-memory",
        "HS_VECTOR_INDEX_ENDPOINT": settings.vector_index_endpoint
        or f"{parent}/indexEndpoints/hs-local-memory",
        "HS_VECTOR_DEPLOYED_INDEX_ID": settings.vector_deployed_index_id or "hs_local_memory",
    }


def _vertex_argv(config: StackConfig) -> list[str]:
    names = vector_search_env(config.settings)
    index, endpoint = names["HS_VECTOR_INDEX"], names["HS_VECTOR_INDEX_ENDPOINT"]
    return _module_argv(
        "emulators.vertex",
        "--index",
        f"{index}={LOCAL_EMBEDDING_DIMENSIONS},DOT_PRODUCT_DISTANCE",
        "--deploy",
        f"{endpoint},{names['HS_VECTOR_DEPLOYED_INDEX_ID']},{index}",
    )(config)


def _function_argv(name: str) -> Callable[[StackConfig], list[str]]:
    def argv(config: StackConfig) -> list[str]:
        return python_module(
            "functions_framework",
            "--source",
            str(REPO_ROOT / "functions" / name / "main.py"),
            "--target",
            name,
            "--host",
            config.host,
            "--port",
            str(config.ports[name]),
        )

    return argv


def _scheduler_argv(config: StackConfig) -> list[str]:
    """Cloud Scheduler's job of `infra/modules/scheduler`: the reconciler, once a minute."""
    every = config.reconcile_every_s
    return _module_argv(
        "emulators.scheduler", "--job", f"reconciler={config.url('reconciler')}/@{every}"
    )(config)


def _gateway_argv(config: StackConfig) -> list[str]:
    backends = [
        arg
        for name in FUNCTIONS
        if (REPO_ROOT / "functions" / name / "main.py").exists()
        for arg in ("--backend", f"{name}={config.url(name)}")
    ]
    # The web console is served when it has been built (make console; make run builds it).
    console = config.console_dir
    served = ["--console", str(console)] if (console / "index.html").is_file() else []
    return _module_argv("emulators.gateway", *backends, *served)(config)


COMPONENTS: tuple[Component, ...] = (
    Component(
        "firestore",
        _firestore_argv,
        ("firestore",),
        requires="emulators/firestore/__main__.py",
        has_official=True,
    ),
    Component(
        "pubsub",
        _pubsub_argv,
        ("pubsub",),
        requires="emulators/pubsub/__main__.py",
        has_official=True,
    ),
    Component(
        "bigquery",
        _bigquery_argv,
        ("bigquery", "bigquery_grpc"),
        requires="emulators/bigquery/__main__.py",
    ),
    Component(
        "vertex",
        _vertex_argv,
        ("vertex",),
        requires="emulators/vertex/__main__.py",
    ),
    *(
        Component(
            name,
            _function_argv(name),
            (name,),
            requires=f"functions/{name}/main.py",
            needs_emulator_env=True,
        )
        for name in FUNCTIONS
    ),
    Component(
        "scheduler",
        _scheduler_argv,
        ("scheduler",),
        requires="functions/reconciler/main.py",
        depends_on=("reconciler",),
    ),
    Component(
        "gateway",
        _gateway_argv,
        ("gateway",),
        requires="emulators/gateway/__main__.py",
        depends_on=FUNCTIONS,
    ),
)


class Stack:
    """Start, inspect and stop the local stack; usable as a context manager."""

    def __init__(
        self,
        config: StackConfig,
        components: tuple[Component, ...] = COMPONENTS,
        on_ready: Callable[[str, float], None] | None = None,
    ) -> None:
        if config.official and shutil.which("gcloud") is None:
            raise RuntimeError("official emulators need gcloud (with its emulators) on PATH")
        self.config = config
        self._on_ready = on_ready
        self.components: list[Component] = []
        self.skipped: dict[str, str] = {}
        for component in components:
            ours = not (config.official and component.has_official)
            if ours and component.requires and not (REPO_ROOT / component.requires).exists():
                self.skipped[component.name] = f"{component.requires} not found"
            else:
                self.components.append(component)
        included = {c.name for c in self.components}
        # Dependencies on skipped components are dropped: the gateway still runs without, say,
        # the search function, and answers 503 only on the routes that need it.
        self.components = [
            replace(c, depends_on=tuple(d for d in c.depends_on if d in included))
            for c in self.components
        ]
        self.processes: dict[str, ManagedProcess] = {}
        self.provisioned: list[str] = []
        self.startup_seconds: float | None = None
        self.ready_after: dict[str, float] = {}
        """Seconds from the start of `start()` until each step was done."""
        self._began = 0.0
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    # --- addresses and environment ---------------------------------------------------
    def has(self, name: str) -> bool:
        return any(c.name == name for c in self.components)

    def address(self, name: str) -> str:
        return self.config.address(name)

    def url(self, name: str) -> str:
        return self.config.url(name)

    @property
    def env(self) -> dict[str, str]:
        """What a process needs to use this stack: the functions get it, users export it."""
        settings = self.config.settings
        env = {
            "GOOGLE_CLOUD_PROJECT": settings.project,
            "HS_ENV": "local",
            "HS_AUTH_MODE": "dev",
            "HS_MESSAGES_TOPIC": settings.messages_topic,
            "HS_DEAD_LETTER_TOPIC": settings.dead_letter_topic,
            "HS_DEAD_LETTER_SUBSCRIPTION": settings.dead_letter_subscription,
            "HS_INGEST_SUBSCRIPTION": settings.ingest_subscription,
            "HS_BIGQUERY_DATASET": settings.bigquery_dataset,
            # The console the gateway serves is same-origin at http://127.0.0.1:<port>; opened
            # as http://localhost:<port> it is another origin and calls the API through CORS,
            # as it does from Firebase Hosting in the cloud.
            "HS_CORS_ORIGINS": settings.cors_origins
            or f"http://localhost:{self.config.ports['gateway']}",
        }
        if self.has("firestore"):
            env["FIRESTORE_EMULATOR_HOST"] = self.address("firestore")
        if self.has("pubsub"):
            env["PUBSUB_EMULATOR_HOST"] = self.address("pubsub")
        if self.has("bigquery"):
            env["HS_BIGQUERY_ENDPOINT"] = self.url("bigquery")
        if self.has("vertex"):
            env["HS_VERTEX_ENDPOINT"] = self.url("vertex")
            env.update(vector_search_env(self.config.settings))
        return env

    @property
    def push_endpoint(self) -> str | None:
        return f"{self.url('ingest')}/" if self.has("ingest") else None

    # --- lifecycle ---------------------------------------------------------------------
    def start(self) -> Stack:
        """Start every component and provision; on any failure stop what started and raise."""
        self._began = time.monotonic()
        self._stopping.clear()
        self._check_ports_free()
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        steps: dict[str, tuple[Callable[[], None], tuple[str, ...]]] = {
            c.name: (functools.partial(self._start_component, c), c.depends_on)
            for c in self.components
        }
        needs = tuple(name for name in ("pubsub", "bigquery") if self.has(name))
        # The client libraries take seconds to import: do it while the emulators start.
        steps[_CLIENTS] = (self._import_clients, ())
        steps["provision"] = (self.provision, (*needs, _CLIENTS))
        try:
            with ThreadPoolExecutor(max_workers=len(steps)) as pool:
                futures: dict[str, Future[None]] = {}
                order = graphlib.TopologicalSorter({k: deps for k, (_, deps) in steps.items()})
                for name in order.static_order():
                    run, deps = steps[name]
                    futures[name] = pool.submit(self._after, name, [futures[d] for d in deps], run)
                try:
                    wait(futures.values())
                except BaseException:
                    self._stopping.set()
                    raise
                for future in futures.values():
                    future.result()
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - self._began
        return self

    def _check_ports_free(self) -> None:
        """Something else on a port would pass for the component's readiness: refuse it."""
        busy = [
            f"{self.config.address(port)} ({port.replace('_', '-')})"
            for component in self.components
            for port in component.ports
            if port_open(self.config.host, self.config.ports[port])
        ]
        if busy:
            raise RuntimeError(
                f"port already in use: {', '.join(busy)}; another stack running? Choose other "
                "ports with --<name>-port or HS_STACK_<NAME>_PORT"
            )

    def _after(self, name: str, dependencies: list[Future[None]], run: Callable[[], None]) -> None:
        for dependency in dependencies:
            dependency.result()
        run()
        if name == _CLIENTS:
            return
        self.ready_after[name] = time.monotonic() - self._began
        if self._on_ready is not None:
            self._on_ready(name, self.ready_after[name])

    def _import_clients(self) -> None:
        for component, module in (
            ("pubsub", "google.pubsub_v1"),
            ("bigquery", "google.cloud.bigquery"),
        ):
            if self.has(component):
                importlib.import_module(module)

    def _start_component(self, component: Component) -> None:
        if self._stopping.is_set():
            raise StackStopped(component.name)
        env = self.env if component.needs_emulator_env else {}
        process = ManagedProcess(
            name=component.name,
            argv=component.argv(self.config),
            host=self.config.host,
            port=self.config.ports[component.ports[0]],
            env={**env, "PYTHONPATH": str(REPO_ROOT)},
            log_path=self.log_path(component.name),
            ready=lambda: self._answers(component),
        )
        with self._lock:
            self.processes[component.name] = process
        process.start(timeout=self.config.start_timeout)

    def _answers(self, component: Component) -> bool:
        if self._stopping.is_set():
            raise StackStopped(component.name)
        return all(port_open(self.config.host, self.config.ports[p]) for p in component.ports)

    def log_path(self, name: str) -> Path:
        return self.config.log_dir / f"{name}.log"

    def provision(self) -> None:
        """Create the topics, subscriptions, dataset, tables and views (idempotent)."""
        settings = self.config.settings
        done: list[str] = []
        if self.has("pubsub"):
            publisher, subscriber = pubsub_clients(self.address("pubsub"))
            done += provision_pubsub(
                publisher, subscriber, settings, self.push_endpoint, self.config.delivery
            )
        if self.has("bigquery"):
            client = bigquery_client(self.url("bigquery"), settings.project)
            done += provision_bigquery(
                client, settings.bigquery_dataset, settings.bigquery_location, load_layout()
            )
        self.provisioned = done

    def stop(self) -> None:
        """Stop every process, front (gateway, functions) before back (emulators)."""
        self._stopping.set()
        with self._lock:
            processes = dict(self.processes)
            self.processes.clear()
        front = [p for name, p in processes.items() if name not in EMULATORS]
        back = [p for name, p in processes.items() if name in EMULATORS]
        for layer in (front, back):
            with ThreadPoolExecutor(max_workers=max(len(layer), 1)) as pool:
                list(pool.map(lambda p: p.stop(), layer))

    def exited(self) -> list[str]:
        """Components whose process ended although nobody stopped it."""
        with self._lock:
            return [name for name, p in self.processes.items() if not p.running()]

    @contextlib.contextmanager
    def down(self, name: str) -> Iterator[None]:
        """Stop one component for the block (an outage), then restart and re-provision it."""
        component = next(c for c in self.components if c.name == name)
        with self._lock:
            process = self.processes.pop(name)
        process.stop()
        try:
            yield
        finally:
            self._stopping.clear()
            self._start_component(component)
            if name in ("pubsub", "bigquery"):
                self.provision()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
