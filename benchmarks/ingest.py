"""Ingest throughput and API calls per message, for the event path and the backfill path.

Both paths run in this process on the real adapters against the local emulators (BigQuery,
Vertex AI, Firestore), as one function instance or one backfill run would:

- event path: `IngestService.handle` once per `MessageCreated`, sequentially (a function
  instance with concurrency 1; Pub/Sub push and HTTP overhead are not included);
- backfill path: `python -m shared.tools.backfill`'s `Backfill` over sessions written to
  Firestore beforehand, at its default batch size.

API calls are counted at the HTTP layer (every request the official clients send, retries and
job polling included), per message, by service. The emulators' speed is not the cloud's: the
figures compare the two paths and catch regressions in calls per message, they do not predict
production throughput.

    python -m benchmarks.ingest [--messages 200] [--sessions 20]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from benchmarks.report import Report, Section

WORDS = [
    "tide",
    "moon",
    "ocean",
    "wave",
    "harbor",
    "sail",
    "wind",
    "storm",
    "coast",
    "current",
    "reef",
    "island",
]


@contextlib.contextmanager
def counting_http(hosts: dict[str, str]) -> Iterator[Counter[str]]:
    """Count every HTTP request the clients send, by service (matched on the URL's host)."""
    import httpx
    import requests

    counts: Counter[str] = Counter()

    def service(url: str) -> str:
        return next((name for name, host in hosts.items() if host in url), "other")

    real_request, real_send = requests.Session.request, httpx.Client.send

    def request(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        counts[service(str(url))] += 1
        return real_request(self, method, url, *args, **kwargs)

    def send(self: Any, req: Any, *args: Any, **kwargs: Any) -> Any:
        counts[service(str(req.url))] += 1
        return real_send(self, req, *args, **kwargs)

    with (
        mock.patch.object(requests.Session, "request", request),
        mock.patch.object(httpx.Client, "send", send),
    ):
        yield counts


def _text(n: int) -> str:
    return " ".join(WORDS[(n + i) % len(WORDS)] for i in range(12))


def event_path(services: Any, messages: int, hosts: dict[str, str]) -> dict[str, Any]:
    from shared.domain.events import MessageCreated, MessageData
    from shared.domain.ids import message_id

    tenant, session = f"bench-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    now = datetime.now(UTC)
    events = [
        MessageCreated(
            event_id=f"{message_id(session, seq)}.created",
            tenant_id=tenant,
            user_id="bench",
            occurred_at=now,
            message=MessageData(
                message_id=message_id(session, seq),
                session_id=session,
                seq=seq,
                role="user" if seq % 2 == 0 else "assistant",
                content=_text(seq),
                created_at=now + timedelta(milliseconds=seq),
            ),
        )
        for seq in range(messages)
    ]
    ingest = services.ingest
    ingest.handle(events[0])  # clients built and connections open before the clock starts
    with counting_http(hosts) as counts:
        started = time.perf_counter()
        for event in events[1:]:
            ingest.handle(event)
        elapsed = time.perf_counter() - started
    return {"messages": messages - 1, "seconds": elapsed, "calls": dict(counts)}


def backfill_path(services: Any, sessions: int, per_session: int, hosts: dict[str, str]) -> dict:
    from shared.adapters.firestore.session_store import FirestoreSessionStore
    from shared.domain.models import NewMessage, Session
    from shared.ports.session_store import SessionKey
    from shared.tools.backfill import Backfill, Options

    tenant = f"bench-{uuid.uuid4().hex[:8]}"
    store = FirestoreSessionStore(services._firestore())
    now = datetime.now(UTC)
    for n in range(sessions):
        sid = uuid.uuid4().hex
        store.create_session(
            Session(
                session_id=sid, tenant_id=tenant, user_id="bench", created_at=now, updated_at=now
            )
        )
        turns = [
            NewMessage(
                role="user" if i % 2 == 0 else "assistant",
                content=_text(n + i),
                created_at=now + timedelta(milliseconds=i),
                metadata={},
            )
            for i in range(per_session)
        ]
        store.append_messages(SessionKey(tenant, "bench", sid), turns, now=now)
    run = Backfill(services.history, services.ingest, services.analytics, Options(tenant=tenant))
    with counting_http(hosts) as counts:
        started = time.perf_counter()
        stats = run.run()
        elapsed = time.perf_counter() - started
    return {"messages": stats.messages, "seconds": elapsed, "calls": dict(counts)}


def run(services: Any, hosts: dict[str, str], messages: int, sessions: int) -> Section:
    """The section of the report; `services` is wired to the emulators at `hosts`."""
    section = Section(
        "Ingest throughput and API calls per message",
        ["path", "messages", "messages/s", "BigQuery calls/msg", "Vertex AI calls/msg"],
    )
    per_session = max(1, messages // max(1, sessions))
    results = {
        "event (one instance, sequential)": event_path(services, messages, hosts),
        "backfill (batch 200)": backfill_path(services, sessions, per_session, hosts),
    }
    for name, r in results.items():
        n = r["messages"]
        section.rows.append(
            [
                name,
                n,
                n / r["seconds"],
                r["calls"].get("bigquery", 0) / n,
                r["calls"].get("vertex", 0) / n,
            ]
        )
    section.data = results
    section.notes.append(
        "Both paths on the real adapters against the local emulators, calls counted at the HTTP "
        "layer. The event path pays one BigQuery insert, one embedding request and one upsert "
        "per message (BigQuery and Vector Search written side by side); the backfill batches "
        "all three."
    )
    return section


@contextlib.contextmanager
def emulators() -> Iterator[tuple[Any, dict[str, str]]]:
    """Firestore, BigQuery and Vertex emulators of the local stack on free ports, and services
    wired to them as the ingest function's would be."""
    from emulators.stack import COMPONENTS, Stack, StackConfig
    from shared.bootstrap import Services
    from shared.config import Settings, get_settings

    names = ("firestore", "bigquery", "vertex")
    with tempfile.TemporaryDirectory() as data:
        config = StackConfig.on_free_ports(data_dir=Path(data), log_dir=Path(data) / "logs")
        stack = Stack(config, tuple(c for c in COMPONENTS if c.name in names))
        with stack, mock.patch.dict(os.environ, stack.env):
            get_settings.cache_clear()
            hosts = {"bigquery": stack.address("bigquery"), "vertex": stack.address("vertex")}
            yield Services(Settings()), hosts


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest", description=__doc__)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--sessions", type=int, default=20)
    args = parser.parse_args(argv)
    report = Report(quick=args.messages < 50)
    with emulators() as (services, hosts):
        report.sections.append(run(services, hosts, args.messages, args.sessions))
    out(report.to_markdown())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
