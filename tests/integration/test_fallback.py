"""Graceful fallback end to end: with Vertex AI embeddings and Vector Search failing (the
emulator's fault hook; its LLM keeps answering, so chat can work) and BigQuery stopped, chat and
lookup work, search answers degraded from Firestore, similar and analytics answer 503 with
Retry-After; once both are back, ingest's redeliveries fill BigQuery and the index and
everything is live again with nothing lost."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from google.cloud import bigquery

from emulators.provision import bigquery_client
from emulators.stack import Stack
from tests.conftest import unique_id
from tests.integration.ingest_support import vector_ids
from tests.integration.test_search_api import Api, eventually, indexed


@pytest.fixture(scope="module")
def bq(stack: Stack) -> bigquery.Client:
    if not all(stack.has(c) for c in ("search", "ingest", "bigquery", "vertex", "gateway")):
        pytest.skip(f"stack incomplete: {stack.skipped}")
    return bigquery_client(stack.url("bigquery"), stack.config.settings.project)


def vertex_faults(stack: Stack, *, on: bool) -> None:
    """Embeddings and Vector Search fail with 503 until cleared; generation is untouched."""
    url = f"{stack.url('vertex')}/emulator/v1/faults"
    if not on:
        requests.delete(url, timeout=10).raise_for_status()
        return
    for scope in ("embed", "vector"):
        body = {"count": None, "code": 503, "scope": scope}
        requests.post(url, json=body, timeout=10).raise_for_status()


def visible(bq: bigquery.Client, dataset: str, tenant: str) -> list[str]:
    sql = f"SELECT message_id FROM `{bq.project}.{dataset}.messages_dedup` WHERE tenant_id = @t"
    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ScalarQueryParameter("t", "STRING", tenant)]
    )
    return sorted(r["message_id"] for r in bq.query(sql, job_config=config).result())


def error(response: requests.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


@pytest.mark.ours_only(
    "catching up needs the push redeliveries to outlast the outage: Google's emulator ignores "
    "the retry policy and retries a failed push about once a second, so the 5 attempts end "
    "(dead letter) before the outage does (test_pubsub_push.py checks that side)"
)
def test_outage_degrades_search_and_analytics_then_everything_catches_up(
    stack: Stack, bq: bigquery.Client
) -> None:
    dataset = stack.config.settings.bigquery_dataset
    erin = Api(stack, unique_id("t"), "erin")
    sid = erin.chat("My sister's wedding is in Lisbon in October.")["session_id"]
    indexed(stack, erin.tenant, [sid])

    try:
        vertex_faults(stack, on=True)
        with stack.down("bigquery"):
            during = erin.chat("Which gift should I buy for the wedding?", sid)
            messages = erin.call("GET", f"/v1/sessions/{sid}/messages")
            assert messages.status_code == 200 and len(messages.json()["messages"]) == 4

            answer: dict[str, Any] = erin.search("wedding gift")
            assert answer["degraded"] is True
            assert answer["reason"] in ("embeddings_unavailable", "vector_search_unavailable")
            # By keywords: the question and the local model's reply (which quotes it) lead.
            top = {r["message_id"] for r in answer["results"][:2]}
            assert top == {during["message"]["message_id"], during["reply"]["message_id"]}

            analytics = erin.call("GET", "/v1/analytics")
            assert error(analytics) == (503, "analytics_unavailable")
            assert int(analytics.headers["Retry-After"]) >= 1
            similar = erin.call("GET", f"/v1/sessions/{sid}/similar")
            assert error(similar) == (503, "similar_unavailable")
            assert int(similar.headers["Retry-After"]) >= 1
            features = erin.call("GET", "/v1/status").json()["features"]
            assert features["chat"] == {"state": "live"}
            assert features["search"]["state"] == "degraded"
            assert features["similar"]["state"] == features["analytics"]["state"] == "off"
    finally:
        vertex_faults(stack, on=False)

    everything = [f"{sid}-{seq:08d}" for seq in range(4)]
    eventually(lambda: vector_ids(stack.env, erin.tenant) == everything, timeout=90)
    eventually(lambda: visible(bq, dataset, erin.tenant) == everything, timeout=90)

    def live_search() -> dict[str, Any] | None:
        found = erin.search("a present for the marriage ceremony", session_id=sid)
        return None if found["degraded"] else found

    # By meaning again (no shared word), and the message written during the outage is there.
    found = eventually(live_search, timeout=60)
    assert during["message"]["message_id"] in {r["message_id"] for r in found["results"]}

    def report() -> dict[str, Any] | None:
        response = erin.call("GET", "/v1/analytics")
        return response.json() if response.status_code == 200 else None

    assert eventually(report, timeout=60)["totals"]["messages"] == 4
