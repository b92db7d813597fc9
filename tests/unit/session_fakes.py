"""Services wired to in-memory fakes, with a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.adapters.in_memory.event_bus import InMemoryEventPublisher
from shared.adapters.in_memory.llm import InMemoryLLM
from shared.adapters.in_memory.session_store import InMemorySessionStore
from shared.bootstrap import Services
from shared.config import Settings
from shared.domain.models import Caller


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(milliseconds=1)
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Fakes:
    services: Services
    store: InMemorySessionStore
    bus: InMemoryEventPublisher
    llm: InMemoryLLM
    clock: Clock


def build(**settings: object) -> Fakes:
    store, bus, llm, clock = (
        InMemorySessionStore(),
        InMemoryEventPublisher(),
        InMemoryLLM(),
        Clock(),
    )
    config = Settings(auth_mode="dev", **settings)  # type: ignore[arg-type]  # settings passed by field name
    services = Services(config, store=store, events=bus, llm=llm, clock=clock)
    return Fakes(services, store, bus, llm, clock)


ALICE = Caller(tenant_id="t1", user_id="alice", auth_method="dev")
BOB = Caller(tenant_id="t1", user_id="bob", auth_method="dev")
