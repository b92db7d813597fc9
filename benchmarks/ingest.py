"""Ingest throughput and calls per message: the event path (end to end, duplicates) and the
backfill path.

Event path, end to end: N messages are stored (unpublished) through the store, then every
message event is published twice (at-least-once delivery, doubled on purpose) to the messages
topic; the Pub/Sub emulator pushes each delivery to the ingest function process
(functions-framework), which writes BigQuery and embeds + upserts into Vector Search. The clock
stops when every delivery has reached both sinks (counted on the wire) and the data is checked:
N rows in the deduplicated view, N datapoints in the index.

Backfill path: `shared.tools.backfill.Backfill` in this process with the real adapters, over a
tenant seeded with M messages.

Calls on the wire: BigQuery REST requests through the counting proxy every process uses;
Vertex RPCs from the Vertex emulator's per-RPC counters.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.harness import SEED_BATCH, Bench, sample_text, unique
from benchmarks.plan import Plan
from benchmarks.report import Section
from benchmarks.stats import Summary

INGEST_RPCS = ("predict", "embedContent", "upsertDatapoints", "removeDatapoints")


def _store_messages(bench: Bench, tenant: str, user: str, count: int) -> tuple[str, list[Any]]:
    from shared.domain.models import CreateSession, NewMessage
    from shared.ports.session_store import SessionKey

    caller = bench.caller(user, tenant)
    session = bench.services.sessions.create(caller, CreateSession(title="ingest bench"))
    key = SessionKey(tenant, user, session.session_id)
    stored: list[Any] = []
    start = datetime.now(UTC) - timedelta(seconds=count)
    for first in range(0, count, SEED_BATCH):
        batch = [
            NewMessage(
                role="user" if i % 2 == 0 else "assistant",
                content=sample_text(i),
                created_at=start + timedelta(seconds=i),
                metadata={},
            )
            for i in range(first, min(first + SEED_BATCH, count))
        ]
        _, appended = bench.services.store.append_messages(key, batch, now=datetime.now(UTC))
        # Flagged published: the benchmark publishes (or backfills) them itself, and the local
        # scheduler's reconciler must not publish them a third time.
        bench.services.store.mark_published(appended)
        stored += appended
    return session.session_id, stored


def _count_rows(bench: Bench, view_or_table: str, session_id: str) -> int:
    """Rows of a session, read straight from the emulator (not through the counting proxy)."""
    from google.cloud import bigquery

    from emulators.provision import bigquery_client
    from shared.config import get_settings

    settings = get_settings()
    client = bigquery_client(bench.url("bigquery"), settings.project)
    job = client.query(
        f"SELECT COUNT(*) AS n FROM `{settings.bigquery_dataset}.{view_or_table}` "
        "WHERE session_id = @s",
        job_config=bigquery.QueryJobConfig(
            query_parameters=[bigquery.ScalarQueryParameter("s", "STRING", session_id)]
        ),
    )
    return int(next(iter(job.result())).n)


def _vectors_present(bench: Bench, ids: list[str]) -> int:
    """How many of `ids` the deployed index holds (MatchService.ReadIndexDatapoints)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.aiplatform_v1 import MatchServiceClient
    from google.cloud.aiplatform_v1.types import ReadIndexDatapointsRequest

    from shared.config import get_settings

    settings = get_settings()
    client = MatchServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": bench.url("vertex")},
    )
    found = 0
    for start in range(0, len(ids), 500):
        response = client.read_index_datapoints(
            ReadIndexDatapointsRequest(
                index_endpoint=settings.vector_index_endpoint,
                deployed_index_id=settings.vector_deployed_index_id,
                ids=ids[start : start + 500],
            )
        )
        found += len(response.datapoints)
    return found


def _idle(bench: Bench, plan: Plan) -> None:
    """Calls are counted by difference: nothing else may be calling BigQuery or Vertex."""
    if not bench.wait_idle(plan.idle_quiet_s):
        raise RuntimeError("the ingest pipeline was still busy with earlier work")


def event_path(bench: Bench, plan: Plan, n: int) -> dict[str, Any]:
    from shared.services.events import message_created

    tenant, user = unique("ingest"), "u1"
    session_id, messages = _store_messages(bench, tenant, user, n)
    _idle(bench, plan)
    events = [event for m in messages for event in (message_created(m),) * 2]
    before = bench.external_calls()
    start = time.perf_counter()
    bench.services.events.publish(events)
    deliveries = 2 * n
    deadline = time.monotonic() + 300
    while True:
        done = bench.external_calls() - before
        inserts = sum(v for k, v in done.items() if k.endswith("/insertAll"))
        upserts = done["Vertex upsertDatapoints"]
        if inserts >= deliveries and upserts >= deliveries:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"ingest: {inserts} inserts, {upserts} upserts of {deliveries}")
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    calls = bench.external_calls() - before
    return {
        "messages": n,
        "deliveries": deliveries,
        "seconds": elapsed,
        "calls": calls,
        "view_rows": _count_rows(bench, "messages_dedup", session_id),
        "raw_rows": _count_rows(bench, "messages", session_id),
        "vectors": _vectors_present(bench, [m.message_id for m in messages]),
    }


def handler_path(bench: Bench, plan: Plan, n: int) -> dict[str, Any]:
    """`IngestService.handle` in this process, one event after another (one instance at
    concurrency 1, without push and HTTP): the function time one delivery costs."""
    from shared.services.events import message_created

    _, messages = _store_messages(bench, unique("handler"), "u1", n + 1)
    events = [message_created(m) for m in messages]
    ingest = bench.services.ingest
    ingest.handle(events[0])  # clients built and connections open before the clock starts
    _idle(bench, plan)
    before = bench.external_calls()
    proxy = bench.bigquery
    if proxy is None:
        raise RuntimeError("the ingest benchmark counts BigQuery bytes through its proxy")
    bytes_before = proxy.snapshot()
    times = []
    for event in events[1:]:
        start = time.perf_counter()
        ingest.handle(event)
        times.append(time.perf_counter() - start)
    return {
        "messages": n,
        "deliveries": n,
        "seconds": sum(times),
        "seconds_per_delivery": Summary.of(times, "s").as_dict(),
        "calls": bench.external_calls() - before,
        "bigquery_bytes_per_message": sum(proxy.since(bytes_before)[1].values()) / n,
    }


def backfill_path(bench: Bench, plan: Plan, m: int) -> dict[str, Any]:
    from shared.tools.backfill import Backfill, Options

    tenant = unique("backfill")
    per_session = 100
    for first in range(0, m, per_session):
        _store_messages(bench, tenant, "u1", min(per_session, m - first))
    _idle(bench, plan)
    services = bench.services
    before = bench.external_calls()
    start = time.perf_counter()
    stats = Backfill(
        services.history, services.ingest, services.analytics, Options(tenant=tenant)
    ).run()
    elapsed = time.perf_counter() - start
    return {
        "messages": stats.messages,
        "batches": stats.batches,
        "seconds": elapsed,
        "calls": bench.external_calls() - before,
    }


def run(bench: Bench, plan: Plan) -> Section:
    section = Section(
        "Ingest (messages/s and calls per message)",
        ["path", "messages", "deliveries", "seconds", "messages/s", "calls per message"],
    )
    event = event_path(bench, plan, plan.ingest_messages)
    handler = handler_path(bench, plan, max(plan.ingest_messages // 3, 2))
    backfill = backfill_path(bench, plan, plan.backfill_messages)
    for key, label, result in (
        ("event", "event path, end to end, every event twice", event),
        ("handler", "event handler in process, one at a time, no duplicates", handler),
        ("backfill", "backfill (in process)", backfill),
    ):
        n = result["messages"]
        per_message = {k: v / n for k, v in sorted(result["calls"].items()) if v}
        section.rows.append(
            [
                label,
                n,
                result.get("deliveries", "-"),
                result["seconds"],
                n / result["seconds"],
                "; ".join(f"{_short(k)} {v:.3g}" for k, v in per_message.items()),
            ]
        )
        section.data[key] = {
            "label": label,
            **{k: v for k, v in result.items() if k != "calls"},
            "calls": dict(result["calls"]),
            "calls_per_message": per_message,
            "messages_per_s": n / result["seconds"],
        }
    ok = event["view_rows"] == event["messages"] and event["vectors"] == event["messages"]
    section.notes += [
        f"Event path check: {event['view_rows']} rows in the deduplicated view and "
        f"{event['vectors']} datapoints for {event['messages']} messages "
        f"({event['raw_rows']} raw rows: the BigQuery emulator keeps duplicate insert ids, "
        f"real BigQuery drops most of them): {'exact' if ok else '**NOT EXACT**'}.",
        "Event path: Pub/Sub emulator push -> functions-framework ingest process -> BigQuery "
        "emulator and Vertex emulator (MiniLM embeddings on this CPU). Every event is "
        "delivered twice, so per message the event path pays each call twice; per delivery "
        "divide by 2.",
        "BigQuery calls are counted by a counting HTTP proxy in front of the BigQuery emulator "
        "(every process uses it); Vertex calls by the Vertex emulator's per-RPC counters.",
        "Event handler: IngestService.handle in this process, sequentially (a function "
        "instance at concurrency 1, push and HTTP excluded): its time per delivery is what "
        "the cost model charges as function time.",
        "Backfill: shared.tools.backfill.Backfill in this process (batches of 200), "
        "Firestore reads not included in the calls column.",
    ]
    if not ok:
        bench_error = f"event path not exact: {event}"
        raise RuntimeError(bench_error)
    return section


def _short(key: str) -> str:
    """'BigQuery POST /bigquery/v2/projects/*/datasets/*/tables/*/insertAll' -> 'BigQuery
    insertAll'."""
    service, _, rest = key.partition(" ")
    return f"{service} {rest.rsplit('/', 1)[-1]}"
