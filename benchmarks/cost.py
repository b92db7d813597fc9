"""Cost model: what 1 million messages cost on GCP at list prices, from the calls this run
measured per message and the prices in `prices.json` (with the date they were taken and a
source per line; unverified ones say so).

A message here is half of a chat turn (a question or its reply) that is stored, published,
ingested once into BigQuery and embedded into Vector Search. Per message, measured in this run:
Firestore documents read, written and deleted per turn (/2), Pub/Sub bytes published, the
chat function's server time per turn (/2) and the ingest handler's time per delivery, BigQuery
insert requests and bytes, embedding requests and characters, vector upserts. Not included:
the LLM (the app's choice of model), index serving node hours and other fixed costs, storage
beyond the first month, free tiers, network egress.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.harness import sample_text
from benchmarks.report import Report, Section

PRICES = Path(__file__).resolve().parent / "prices.json"
MESSAGES = 1_000_000
GIB = 1024**3
# The chat and ingest functions' size in infra/ (1 vCPU, 512 MB each).
FUNCTION_VCPU, FUNCTION_GIB = 1.0, 0.5
# Per datapoint besides the floats: id, restricts, numeric restrict, crowding tag, metadata.
VECTOR_OVERHEAD_BYTES = 300


def load_prices() -> dict[str, Any]:
    return json.loads(PRICES.read_text())


def _production_dimensions() -> int:
    from shared.config import Settings

    return int(Settings.model_fields["embedding_dimensions"].default)


def run(report: Report) -> Section:
    prices_file = load_prices()
    price = {k: v["price"] for k, v in prices_file["prices"].items()}
    turns, ingest = report.section("turns"), report.section("ingest")
    if turns is None or "documents_per_turn" not in turns.data:
        raise RuntimeError("the cost model needs the turns section's measurements")
    if ingest is None or "handler" not in ingest.data:
        raise RuntimeError("the cost model needs the ingest section's measurements")
    docs = turns.data["documents_per_turn"]
    turn_s = _large_turn_seconds(turns.data["in process"])
    handler = ingest.data["handler"]
    per_delivery_s = handler["seconds_per_delivery"]["median"]
    calls = handler["calls_per_message"]
    row_bytes = handler["bigquery_bytes_per_message"]
    chars = sum(len(sample_text(i)) for i in range(100)) / 100
    dims = _production_dimensions()

    lines: list[tuple[str, str, float, float]] = []  # service, item, quantity, USD per 1M

    def add(service: str, item: str, quantity: float, usd_per_message: float) -> None:
        lines.append((service, item, quantity, usd_per_message * MESSAGES))

    for kind in ("reads", "writes", "deletes"):
        per_message = docs.get(kind, 0) / 2
        add(
            "Firestore",
            f"document {kind} per message",
            per_message,
            per_message * price[f"firestore_{kind[:-1]}_per_100k"] / 100_000,
        )
    pubsub_messages = max(docs.get("pubsub_messages", 2), 1)
    message_bytes = docs.get("pubsub_bytes", 0) / pubsub_messages
    minimum = price["pubsub_min_bytes_per_request"]
    publish = max(message_bytes * pubsub_messages, minimum) / pubsub_messages
    delivery = max(message_bytes, minimum)
    add(
        "Pub/Sub",
        "billed bytes per message (publish + one delivery)",
        publish + delivery,
        (publish + delivery) * price["pubsub_per_tib"] / 1024**4,
    )
    per_second = FUNCTION_VCPU * price["run_vcpu_second"] + FUNCTION_GIB * price["run_gib_second"]
    add(
        "Functions",
        "chat: server seconds per message (turn / 2, LLM excluded)",
        turn_s / 2,
        turn_s / 2 * per_second + price["run_per_million_requests"] / 2 / 1e6,
    )
    add(
        "Functions",
        "ingest: seconds per message (one delivery)",
        per_delivery_s,
        per_delivery_s * per_second + price["run_per_million_requests"] / 1e6,
    )
    billed_row = max(row_bytes, price["bigquery_row_min_bytes"])
    add(
        "BigQuery",
        "streaming insert bytes per message (billed)",
        billed_row,
        billed_row * price["bigquery_streaming_per_gib"] / GIB,
    )
    add(
        "BigQuery",
        "active storage bytes per message, one month",
        row_bytes,
        row_bytes * price["bigquery_active_storage_per_gib_month"] / GIB,
    )
    tokens = chars / 4
    add(
        "Vertex AI",
        "embedding tokens per message (~4 characters a token)",
        tokens,
        tokens * price["embedding_per_million_tokens"] / 1e6,
    )
    vector_bytes = dims * 4 + VECTOR_OVERHEAD_BYTES
    add(
        "Vector Search",
        f"streaming upsert bytes per message ({dims} dimensions)",
        vector_bytes,
        vector_bytes * price["vector_search_stream_update_per_gib"] / GIB,
    )

    section = Section(
        f"Cost model (1 million messages, list prices checked {prices_file['checked']})",
        ["service", "measured per message", "quantity", "USD per 1M messages"],
    )
    total = sum(line[3] for line in lines)
    for service, item, quantity, usd in lines:
        section.rows.append([service, item, _sig(quantity), _usd(usd)])
    section.rows.append(["Total", "", "", _usd(total)])
    section.data = {
        "usd_per_million": {f"{s}: {i}": u for s, i, _, u in lines},
        "total_usd_per_million": total,
        "inputs": {
            "turn_seconds": turn_s,
            "ingest_seconds_per_delivery": per_delivery_s,
            "firestore_documents_per_turn": docs,
            "bigquery_bytes_per_message": row_bytes,
            "calls_per_message": calls,
            "characters_per_message": chars,
            "vector_dimensions": dims,
        },
    }
    unverified = sorted(k for k, v in prices_file["prices"].items() if not v["verified"])
    section.notes += [
        "Quantities are this run's measurements (see the turn and ingest sections); prices "
        f"come from benchmarks/prices.json, {len(unverified)} of "
        f"{len(prices_file['prices'])} of them unverified (marked there with their source).",
        "Function time is the server time measured here on emulators at concurrency 1, billed "
        f"as a {FUNCTION_VCPU:g} vCPU / {FUNCTION_GIB:g} GiB instance: an upper bound for the "
        "product's own work (concurrent requests share an instance), but without the time a "
        "chat instance waits for the LLM, which request-based billing also charges.",
        "Not included: the LLM, Vector Search serving nodes and other fixed monthly costs, "
        "Firestore storage, free tiers, egress. Figures carry two significant digits: the "
        "inputs do not support more.",
    ]
    return section


def _large_turn_seconds(in_process: dict[str, Any]) -> float:
    """The median turn of the largest session measured, in seconds."""
    largest = max(in_process, key=lambda label: int(label.replace(",", "")))
    return float(in_process[largest]["median"]) / 1000


def _sig(value: float) -> str:
    """Two significant digits, written out (740, not 7.4e+02)."""
    return f"{float(f'{value:.2g}'):,g}" if value < 100 else f"{float(f'{value:.2g}'):,.0f}"


def _usd(value: float) -> str:
    return f"${value:.2g}" if value < 100 else f"${value:,.0f}"
