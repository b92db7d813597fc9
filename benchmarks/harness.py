"""The benchmark bench: one local stack for every section, counters on the wire, seeded data.

`Bench` starts the whole local stack (emulators, functions, gateway) on free ports, with a
counting proxy in front of the BigQuery emulator for every process, installs the gRPC counter
in this process, points this process's settings at the stack, and builds in-process services
on the real adapters (an instant LLM injected for the turn benchmark). Sections share it and
the data they seed (`Bench.seeded`), so the 10,000-message session is written once.
Everything it starts is stopped by `close()`.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.wire import CountingProxy, GrpcCounter
from emulators.launcher import REPO_ROOT
from emulators.stack import Stack, StackConfig
from shared.ports.llm import ChatTurn, Completion, LLMProvider

LOG_DIR = REPO_ROOT / "build" / "bench-logs"
TENANT = "bench"
USER = "u1"
SEED_BATCH = 250  # messages per append transaction (the product's max_append_messages)


class _ProxiedStack(Stack):
    """The stack, but every process reaches BigQuery through the counting proxy."""

    bigquery_proxy: CountingProxy | None = None

    @property
    def env(self) -> dict[str, str]:
        env = super().env
        if self.bigquery_proxy is not None and "HS_BIGQUERY_ENDPOINT" in env:
            env["HS_BIGQUERY_ENDPOINT"] = self.bigquery_proxy.url
        return env


@dataclass
class Seeded:
    """Sessions seeded once and reused: size -> session id (all of TENANT/USER)."""

    sessions: dict[int, str] = field(default_factory=dict)


class Bench:
    def __init__(self, official: bool = False) -> None:
        self.official = official
        """Google's gcloud Firestore and Pub/Sub emulators instead of ours."""
        self.grpc = GrpcCounter()
        self.stack: _ProxiedStack | None = None
        self.bigquery: CountingProxy | None = None
        self.seeded = Seeded()
        self.startup_s = 0.0
        self._saved_env: dict[str, str] | None = None
        self._services: Any = None

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> Bench:
        began = time.monotonic()
        config = StackConfig.on_free_ports(log_dir=LOG_DIR, official=self.official)
        stack = _ProxiedStack(config)
        self.stack = stack
        try:
            if stack.has("bigquery"):
                self.bigquery = CountingProxy(config.host, config.ports["bigquery"]).start()
                stack.bigquery_proxy = self.bigquery
            stack.start()
            self._saved_env = dict(os.environ)
            os.environ.update(stack.env)
            from shared.config import get_settings

            get_settings.cache_clear()
            self.grpc.install()
        except BaseException:
            self.close()
            raise
        self.startup_s = time.monotonic() - began
        return self

    def close(self) -> None:
        self.grpc.uninstall()
        if self.stack is not None:
            self.stack.stop()
            self.stack = None
        if self.bigquery is not None:
            self.bigquery.stop()
            self.bigquery = None
        if self._saved_env is not None:
            os.environ.clear()
            os.environ.update(self._saved_env)
            self._saved_env = None

    def __enter__(self) -> Bench:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what sections use ---------------------------------------------------------------

    @property
    def services(self) -> Any:
        """In-process services on the real adapters, with an instant LLM."""
        if self._services is None:
            from shared.bootstrap import Services
            from shared.config import get_settings

            self._services = Services(get_settings(), llm=InstantLLM())
        return self._services

    def caller(self, user: str = USER, tenant: str = TENANT) -> Any:
        from shared.domain.models import Caller

        return Caller(tenant_id=tenant, user_id=user, auth_method="dev")

    def url(self, name: str) -> str:
        assert self.stack is not None
        return self.stack.url(name)

    def vertex_stats(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.url('vertex')}/emulator/v1/stats", timeout=10) as r:
            return dict(json.load(r)["calls"])

    def external_calls(self) -> Counter[str]:
        """BigQuery requests by route plus Vertex RPCs by name, as one counter."""
        assert self.bigquery is not None
        bigquery = Counter({f"BigQuery {k}": v for k, v in self.bigquery.snapshot()[0].items()})
        vertex = Counter({f"Vertex {k}": v for k, v in self.vertex_stats().items()})
        return bigquery + vertex

    def wait_idle(self, quiet_s: float, timeout_s: float = 90.0) -> bool:
        """Wait until the ingest function has finished what earlier work published (no
        BigQuery or Vertex call for `quiet_s`), so sections do not time each other's echo.
        False if it was still busy after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        last, still_since = self.external_calls(), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(min(quiet_s, 0.5))
            now = self.external_calls()
            if now != last:
                last, still_since = now, time.monotonic()
            elif time.monotonic() - still_since >= quiet_s:
                return True
        return False

    # --- seeding -------------------------------------------------------------------------

    def session_of(self, size: int) -> str:
        """A session of TENANT/USER holding `size` messages, seeded once per run."""
        if size not in self.seeded.sessions:
            self.seeded.sessions[size] = self.seed_session(size)
        return self.seeded.sessions[size]

    def seed_session(self, size: int, user: str = USER, tenant: str = TENANT) -> str:
        """Create a session and append `size` messages through the store, in transactions of
        SEED_BATCH (the product's own write path, not one HTTP call per message)."""
        from shared.domain.models import CreateSession

        services = self.services
        caller = self.caller(user, tenant)
        session = services.sessions.create(caller, CreateSession(title=f"bench {size}"))
        append_messages(services.store, caller, session.session_id, size)
        return session.session_id

    def seed_sessions(self, count: int, user: str, tenant: str = TENANT) -> list[str]:
        from shared.domain.models import CreateSession

        services = self.services
        caller = self.caller(user, tenant)

        def create(i: int) -> str:
            return services.sessions.create(caller, CreateSession(title=f"s{i}")).session_id

        with ThreadPoolExecutor(max_workers=8) as pool:
            return list(pool.map(create, range(count)))


def append_messages(store: Any, caller: Any, session_id: str, size: int) -> None:
    from shared.domain.models import NewMessage
    from shared.ports.session_store import SessionKey

    key = SessionKey(caller.tenant_id, caller.user_id, session_id)
    start = datetime.now(UTC) - timedelta(seconds=size)
    for first in range(0, size, SEED_BATCH):
        batch = [
            NewMessage(
                role="user" if i % 2 == 0 else "assistant",
                content=sample_text(i),
                created_at=start + timedelta(seconds=i),
                metadata={},
            )
            for i in range(first, min(first + SEED_BATCH, size))
        ]
        _, stored = store.append_messages(key, batch, now=datetime.now(UTC))
        # History in its steady state: its events went out when it was written. Left
        # unpublished, the local scheduler's reconciler would publish all of it mid-run.
        store.mark_published(stored)


_TOPICS = (
    "the quarterly revenue report and why the margins moved",
    "a flaky integration test that only fails on Mondays",
    "planning a three-day trip to Lisbon in the spring",
    "migrating the billing service from cron jobs to Cloud Scheduler",
    "how to explain vector search to a product manager",
)


def sample_text(i: int) -> str:
    """A chat-like message of ~100-200 characters (the size the cost model assumes)."""
    topic = _TOPICS[i % len(_TOPICS)]
    if i % 2 == 0:
        return f"Question {i}: can you help me think through {topic}? What should I check first?"
    return (
        f"Answer {i}: for {topic}, start with the data you already have, list the two or three "
        "assumptions that matter most, and test the cheapest one first."
    )


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class InstantLLM(LLMProvider):
    """An LLM port that answers at once, so a turn's time is the product's own."""

    model = "bench-instant"

    def complete(self, turns: Sequence[ChatTurn], *, system: str | None = None) -> Completion:
        return Completion(
            text=f"instant reply to: {turns[-1].content[:80]}",
            model=self.model,
            input_tokens=sum(self.estimate_tokens(t.content) for t in turns),
            output_tokens=12,
            latency_ms=0.0,
        )

    def stream(
        self, turns: Sequence[ChatTurn], *, system: str | None = None
    ) -> Iterator[str | Completion]:
        completion = self.complete(turns, system=system)
        yield completion.text
        yield completion
