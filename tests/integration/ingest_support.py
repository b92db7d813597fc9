"""Helpers shared by the ingest integration tests: Pub/Sub push bodies, and read-backs from
BigQuery's views and tables and from the vector index."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Mapping
from datetime import UTC, datetime

from google.cloud import bigquery

from shared.adapters.vertex.vector_index import VertexVectorIndex
from shared.config import Settings
from shared.domain.events import Event
from shared.ports.vector_index import VectorFilter

DIMS = 384  # the local embedding model's size
_message_ids = itertools.count(1)


def push_body(event: Event | bytes, subscription: str = "projects/p/subscriptions/ingest") -> dict:
    """The body a Pub/Sub push subscription POSTs (functions-framework converts it)."""
    data = event if isinstance(event, bytes) else event.model_dump_json().encode()
    attributes = {} if isinstance(event, bytes) else {"event_type": event.event_type}
    return {
        "message": {
            "data": base64.b64encode(data).decode(),
            "attributes": attributes,
            "messageId": str(next(_message_ids)),
            "publishTime": datetime.now(UTC).isoformat(),
        },
        "subscription": subscription,
    }


def visible_messages(client: bigquery.Client, dataset: str, tenant: str) -> list[str]:
    sql = (
        f"SELECT message_id FROM `{client.project}.{dataset}.messages_dedup` "
        "WHERE tenant_id = @tenant ORDER BY message_id"
    )
    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ScalarQueryParameter("tenant", "STRING", tenant)]
    )
    return [row["message_id"] for row in client.query(sql, job_config=config).result()]


def stored_rows(client: bigquery.Client, dataset: str, tenant: str) -> int:
    sql = f"SELECT COUNT(*) AS n FROM `{client.project}.{dataset}.messages` WHERE tenant_id = @t"
    config = bigquery.QueryJobConfig(
        query_parameters=[bigquery.ScalarQueryParameter("t", "STRING", tenant)]
    )
    return next(iter(client.query(sql, job_config=config).result()))["n"]


def vector_ids(env: Mapping[str, str], tenant: str) -> list[str]:
    """Every vector of `tenant` in the configured backend (HS_VECTOR_BACKEND): on Vertex a zero
    query scores all alike and the restrict picks them; on Firestore the documents' tenant."""
    if Settings().vector_backend == "firestore":
        import os

        from google.cloud import firestore

        from shared.adapters.firestore.vector_index import COLLECTION

        # The client reads the emulator's address from the environment (restored per test).
        os.environ["FIRESTORE_EMULATOR_HOST"] = env["FIRESTORE_EMULATOR_HOST"]
        client = firestore.Client(project=env["GOOGLE_CLOUD_PROJECT"])
        query = client.collection(COLLECTION).where(
            filter=firestore.FieldFilter("tenant_id", "==", tenant)
        )
        return sorted(s.id for s in query.stream())
    settings = Settings(
        vertex_endpoint=env["HS_VERTEX_ENDPOINT"],
        vector_index=env["HS_VECTOR_INDEX"],
        vector_index_endpoint=env["HS_VECTOR_INDEX_ENDPOINT"],
        vector_deployed_index_id=env["HS_VECTOR_DEPLOYED_INDEX_ID"],
    )
    index = VertexVectorIndex.from_settings(settings)
    found = index.find_neighbors([0.0] * DIMS, where=VectorFilter(tenant_id=tenant), limit=1000)
    return sorted(n.id for n in found)
