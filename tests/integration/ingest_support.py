"""Helpers shared by the ingest integration tests: emulator processes, the ingest function as a
functions-framework process, Pub/Sub push bodies, and read-backs from BigQuery and the index."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from google.cloud import bigquery

from emulators.launcher import REPO_ROOT, ManagedProcess, free_port, port_open, python_module
from shared.adapters.vertex.vector_index import VertexVectorIndex
from shared.config import Settings
from shared.domain.events import Event
from shared.ports.vector_index import VectorFilter
from tests.conftest import LOG_DIR

DIMS = 384  # the local embedding model's size
_message_ids = itertools.count(1)


def vertex_emulator(project: str) -> tuple[ManagedProcess, dict[str, str]]:
    """An unstarted Vertex emulator with one deployed index, and the settings that use it."""
    port = free_port()
    parent = f"projects/{project}/locations/us-central1"
    index, endpoint, deployed = f"{parent}/indexes/memory", f"{parent}/indexEndpoints/ep", "mem"
    process = ManagedProcess(
        name="vertex",
        argv=python_module(
            "emulators.vertex",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--index",
            f"{index}={DIMS},DOT_PRODUCT_DISTANCE",
            "--deploy",
            f"{endpoint},{deployed},{index}",
        ),
        host="127.0.0.1",
        port=port,
        log_path=_log("vertex", port),
    )
    env = {
        "HS_VERTEX_ENDPOINT": f"http://127.0.0.1:{port}",
        "HS_EMBEDDING_MODEL": "text-embedding-005",
        "HS_EMBEDDING_DIMENSIONS": str(DIMS),
        "HS_VECTOR_INDEX": index,
        "HS_VECTOR_INDEX_ENDPOINT": endpoint,
        "HS_VECTOR_DEPLOYED_INDEX_ID": deployed,
    }
    return process, env


def bigquery_emulator(data_dir: Path) -> tuple[ManagedProcess, str]:
    """An unstarted BigQuery emulator keeping its data in `data_dir` (survives a restart)."""
    rest, grpc = free_port(), free_port()
    process = ManagedProcess(
        name="bigquery",
        argv=python_module(
            "emulators.bigquery",
            "--host",
            "127.0.0.1",
            "--port",
            str(rest),
            "--grpc-port",
            str(grpc),
            "--data-dir",
            str(data_dir),
        ),
        host="127.0.0.1",
        port=rest,
        log_path=_log("bigquery", rest),
        ready=lambda: port_open("127.0.0.1", rest) and port_open("127.0.0.1", grpc),
    )
    return process, f"http://127.0.0.1:{rest}"


def ingest_function(env: Mapping[str, str]) -> ManagedProcess:
    """`functions/ingest` served by functions-framework, as the stack and Cloud Run run it."""
    port = free_port()
    return ManagedProcess(
        name="ingest",
        argv=python_module(
            "functions_framework",
            "--source",
            str(REPO_ROOT / "functions" / "ingest" / "main.py"),
            "--target",
            "ingest",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ),
        host="127.0.0.1",
        port=port,
        env={**env, "PYTHONPATH": str(REPO_ROOT)},
        log_path=_log("ingest", port),
    )


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


def deliver(function: ManagedProcess, body: dict[str, Any]) -> int:
    """POST one push delivery; the status is what Pub/Sub would see (2xx = ack)."""
    response = requests.post(f"http://{function.address}/", json=body, timeout=60)
    return response.status_code


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
    """Every datapoint of `tenant`: a zero query scores all alike, the restrict picks them."""
    settings = Settings(
        vertex_endpoint=env["HS_VERTEX_ENDPOINT"],
        vector_index=env["HS_VECTOR_INDEX"],
        vector_index_endpoint=env["HS_VECTOR_INDEX_ENDPOINT"],
        vector_deployed_index_id=env["HS_VECTOR_DEPLOYED_INDEX_ID"],
    )
    index = VertexVectorIndex.from_settings(settings)
    found = index.find_neighbors([0.0] * DIMS, where=VectorFilter(tenant_id=tenant), limit=1000)
    return sorted(n.id for n in found)


def _log(name: str, port: int) -> Path:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    return LOG_DIR / f"ingest-{name}-{port}.log"
