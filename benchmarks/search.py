"""Search: latency of semantic search over 100,000 stored vectors, and embedding time.

Seeding: 100,000 datapoints go straight into the Vertex emulator's Vector Search index through
its REST upsert route, in batches of 1,000, with the restricts the product's adapter writes
(built from the adapter's own datapoint, so tenant, user, session, role, model and time are
laid out as ingest lays them out). The vectors are random unit vectors of the index's size
(384), not embeddings of texts: embedding 100,000 texts with MiniLM on 2 cores would take most
of the budget, and exact search costs the same whatever the vectors hold. The benchmark user's
datapoints carry the ids of real messages (the 10,000-message session), so the full route can
read their text back from Firestore; the other datapoints belong to other users of the tenant.

Measured: the vector step alone (the product's `VertexVectorIndex.find_neighbors`, filtered to
the caller's tenant and user, 10 neighbours) and, when the search function is in the tree, the
full route `POST /v1/search` through the gateway (embed the query, find neighbours, read the
messages back). Embedding time: the local MiniLM model in this process, per message, in batches
of 1 and of 32.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
import requests

from benchmarks.harness import TENANT, USER, Bench, sample_text
from benchmarks.plan import Plan
from benchmarks.report import Section
from benchmarks.stats import Summary

UPSERT_BATCH = 1_000
NEIGHBOURS = 10
_PLACEHOLDER = {
    "id": "@@id@@",
    "tenant": "@@tenant@@",
    "user": "@@user@@",
    "session": "@@session@@",
    "role": "@@role@@",
}
_EPOCH_PLACEHOLDER = 1_234_567_890


def _template(model_id: str) -> str:
    """The JSON of one datapoint as the adapter builds it, with placeholders to fill in."""
    from google.protobuf import json_format

    from shared.adapters.vertex.vector_index import _datapoint
    from shared.ports.vector_index import VectorRecord

    record = VectorRecord(
        id=_PLACEHOLDER["id"],
        vector=[0.0],
        tenant_id=_PLACEHOLDER["tenant"],
        user_id=_PLACEHOLDER["user"],
        session_id=_PLACEHOLDER["session"],
        role=_PLACEHOLDER["role"],
        created_at=datetime.fromtimestamp(_EPOCH_PLACEHOLDER, UTC),
        model_id=model_id,
    )
    body = json_format.MessageToDict(type(_datapoint(record)).pb(_datapoint(record)))
    body["featureVector"] = "@@vector@@"
    return json.dumps(body)


def _fill(template: str, vector: np.ndarray, **values: str) -> str:
    text = template
    for key, value in values.items():
        text = text.replace(_PLACEHOLDER[key], value)
    text = text.replace(str(_EPOCH_PLACEHOLDER), str(int(time.time())))
    return text.replace('"@@vector@@"', json.dumps(np.round(vector, 6).tolist()))


def unit_vectors(rng: np.random.Generator, n: int, dims: int) -> np.ndarray:
    vectors = rng.standard_normal((n, dims)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def seed_vectors(bench: Bench, plan: Plan, user_session: str) -> float:
    """Upsert plan.search_vectors datapoints; returns the seconds it took."""
    from shared.config import get_settings
    from shared.domain import ids

    settings = get_settings()
    template = _template(bench.services.embedder.model_id)
    url = f"{bench.url('vertex')}/v1/{settings.vector_index}:upsertDatapoints"
    rng = np.random.default_rng(7)
    others = plan.search_vectors - plan.search_user_vectors
    per_other_user = 1_000
    start = time.perf_counter()
    with requests.Session() as client:
        for first in range(0, plan.search_vectors, UPSERT_BATCH):
            count = min(UPSERT_BATCH, plan.search_vectors - first)
            vectors = unit_vectors(rng, count, settings.embedding_dimensions)
            parts = []
            for offset in range(count):
                i = first + offset
                if i < plan.search_user_vectors:
                    user, session = USER, user_session
                    point_id = ids.message_id(user_session, i)
                else:
                    k = (i - plan.search_user_vectors) % max(others, 1)
                    user, session = f"other-{k // per_other_user}", f"other-session-{k // 100}"
                    point_id = f"other-{k}"
                parts.append(
                    _fill(
                        template,
                        vectors[offset],
                        id=point_id,
                        tenant=TENANT,
                        user=user,
                        session=session,
                        role="user" if i % 2 == 0 else "assistant",
                    )
                )
            response = client.post(
                url,
                data='{"datapoints": [' + ",".join(parts) + "]}",
                timeout=300,
                headers={"Content-Type": "application/json"},
            )
            response.raise_for_status()
    return time.perf_counter() - start


def embedding_times(texts: list[str]) -> dict[str, Summary]:
    from emulators.vertex.minilm import get_model, limit_blas_threads

    limit_blas_threads()  # as the emulator runs it
    model = get_model()
    model.embed(texts[:2])  # warm-up
    singles = []
    for text in texts:
        start = time.perf_counter()
        model.embed([text])
        singles.append((time.perf_counter() - start) * 1000)
    batched = []
    for first in range(0, len(texts), 32):
        batch = texts[first : first + 32]
        start = time.perf_counter()
        model.embed(batch)
        batched.append((time.perf_counter() - start) * 1000 / len(batch))
    return {"batch of 1": Summary.of(singles, "ms"), "batch of 32": Summary.of(batched, "ms")}


def run(bench: Bench, plan: Plan) -> Section:
    from shared.config import get_settings
    from shared.ports.vector_index import VectorFilter

    settings = get_settings()
    user_session = bench.session_of(plan.turn_large)
    if plan.search_user_vectors > plan.turn_large:
        raise ValueError("search_user_vectors must not exceed the large session's messages")
    seed_s = seed_vectors(bench, plan, user_session)

    section = Section(
        "Search (semantic search over stored messages; embedding time)",
        ["step", "median ms", "p95 ms", "IQR ms", "n"],
    )
    vectors = bench.services.vectors
    rng = np.random.default_rng(11)
    queries = unit_vectors(rng, plan.search_queries + 1, settings.embedding_dimensions)
    where = VectorFilter(tenant_id=TENANT, user_id=USER)
    vectors.find_neighbors(queries[-1].tolist(), where=where, limit=NEIGHBOURS)  # warm-up
    before = bench.vertex_stats()
    step = []
    for q in queries[:-1]:
        start = time.perf_counter()
        found = vectors.find_neighbors(q.tolist(), where=where, limit=NEIGHBOURS)
        step.append((time.perf_counter() - start) * 1000)
        if len(found) != NEIGHBOURS:
            raise RuntimeError(f"vector search found {len(found)} neighbours, not {NEIGHBOURS}")
    summaries: dict[str, Summary] = {
        f"vector step: find_neighbors, {plan.search_vectors:,} vectors, caller's "
        f"{plan.search_user_vectors:,} by restrict": Summary.of(step, "ms")
    }
    route_calls: dict[str, float] = {}
    if bench.stack is not None and bench.stack.has("search"):
        route, route_calls = _full_route(bench, plan)
        summaries["full route: POST /v1/search via gateway (embed, search, read back)"] = route
    else:
        section.notes.append(
            "The full route was not measured: functions/search is not in the tree."
        )
    texts = [sample_text(i) for i in range(plan.embed_texts)]
    for label, summary in embedding_times(texts).items():
        summaries[f"embedding per message (MiniLM, this process), {label}"] = summary
    for label, s in summaries.items():
        section.rows.append([label, s.median, s.p95, f"{s.p25:.1f}..{s.p75:.1f}", s.n])
        section.data[label] = s.as_dict()
    vertex_per_query = {k: v / len(step) for k, v in _diff(bench.vertex_stats(), before).items()}
    section.data["seed_seconds"] = seed_s
    section.data["vertex_calls_per_vector_query"] = vertex_per_query
    section.data["vertex_calls_per_search_request"] = route_calls
    section.notes += [
        f"Seeded {plan.search_vectors:,} random unit vectors (384 dimensions, not embeddings of "
        f"texts; exact search costs the same) in {seed_s:.0f} s, with the product's restricts; "
        f"{plan.search_user_vectors:,} belong to the benchmark user and carry real message ids.",
        "The Vertex emulator searches exactly (brute force over all vectors, then the "
        "restricts); Vector Search is approximate and runs elsewhere, so the vector step here "
        "measures the emulator and the client, not Google's service.",
        "Embedding texts are the benchmark's chat messages (~100-200 characters).",
    ]
    if route_calls:
        calls = ", ".join(f"{k} {v:.2g}" for k, v in route_calls.items())
        section.notes.append(f"Vertex calls per search request (emulator counters): {calls}.")
    return section


def _diff(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def _full_route(bench: Bench, plan: Plan) -> tuple[Summary, dict[str, float]]:
    url = f"{bench.url('gateway')}/v1/search"
    headers = {"Authorization": f"Bearer dev:{TENANT}:{USER}"}
    times = []
    with requests.Session() as client:
        client.post(
            url, json={"query": "warm-up", "limit": NEIGHBOURS}, headers=headers, timeout=60
        ).raise_for_status()
        before = bench.vertex_stats()
        for i in range(plan.search_queries):
            body = {"query": f"what did we decide about {sample_text(i)[:60]}", "limit": NEIGHBOURS}
            start = time.perf_counter()
            response = client.post(url, json=body, headers=headers, timeout=60)
            times.append((time.perf_counter() - start) * 1000)
            response.raise_for_status()
            payload: dict[str, Any] = response.json()
            if payload.get("degraded"):
                raise RuntimeError(f"search answered degraded: {payload}")
            if not payload.get("results"):
                raise RuntimeError("search returned no results")
        calls = _diff(bench.vertex_stats(), before)
    return Summary.of(times, "ms"), {k: v / plan.search_queries for k, v in calls.items()}
