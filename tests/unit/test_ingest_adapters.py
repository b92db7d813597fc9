"""Ingest's cloud adapters without sockets: BigQuery with a fake client, google-genai with a
mock httpx transport, Vector Search datapoints as built for the wire."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from google.api_core import exceptions as gexc

from shared.adapters.bigquery.analytics_sink import BigQueryAnalyticsSink
from shared.adapters.vertex.embedder import VertexEmbedder, batches
from shared.adapters.vertex.vector_index import _datapoint, _filter_numeric, _filter_restricts
from shared.config import Settings
from shared.domain.errors import HybridSessionsError, InvalidInput, Unavailable, UpstreamError
from shared.domain.events import MessageData
from shared.ports.analytics_sink import Erasure, MessageRecord
from shared.ports.vector_index import VectorFilter, VectorRecord

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class FakeBigQuery:
    project = "proj"

    def __init__(self, fail: Exception | None = None, row_errors: list[Any] | None = None):
        self.fail = fail
        self.row_errors = row_errors or []
        self.inserts: list[dict[str, Any]] = []
        self.queries: list[tuple[str, Any]] = []

    def insert_rows_json(self, table: str, rows: list[dict[str, Any]], **kw: Any) -> list[Any]:
        if self.fail:
            raise self.fail
        self.inserts.append({"table": table, "rows": rows, **kw})
        return self.row_errors

    def query(self, sql: str, job_config: Any, **kw: Any) -> Any:
        if self.fail:
            raise self.fail
        self.queries.append((sql, job_config))
        return type("Job", (), {"result": lambda self, **kw: [{"message_id": "m1"}]})()


def record(seq: int = 0, **metadata: Any) -> MessageRecord:
    return MessageRecord(
        tenant_id="t1",
        user_id="u1",
        event_id=f"e{seq}",
        embedding_model="m@8",
        message=MessageData(
            message_id=f"s1-{seq}",
            session_id="s1",
            seq=seq,
            role="assistant",
            content="hello",
            created_at=T0,
            metadata=metadata,
            model="gemini-3.5-flash",
            input_tokens=10,
            output_tokens=2,
            latency_ms=120.5,
        ),
    )


def test_bigquery_rows_carry_message_ids_as_insert_ids_and_metadata_as_json_text() -> None:
    client = FakeBigQuery()
    sink = BigQueryAnalyticsSink(client, "ds", clock=lambda: T0)  # type: ignore[arg-type]  # a recording fake of the BigQuery client's calls

    sink.write_messages([record(0, topic="tides"), record(1)])

    [call] = client.inserts
    assert call["table"] == "proj.ds.messages"
    assert call["row_ids"] == ["s1-0", "s1-1"]
    first = call["rows"][0]
    assert json.loads(first["metadata"]) == {"topic": "tides"}
    assert call["rows"][1]["metadata"] is None
    assert first["created_at"] == first["ingested_at"] == "2026-11-01T12:00:00+00:00"
    assert (first["embedding_model"], first["latency_ms"], first["seq"]) == ("m@8", 120.5, 0)


def test_bigquery_row_errors_raise_invalid_input() -> None:
    client = FakeBigQuery(row_errors=[{"index": 0, "errors": [{"reason": "invalid"}]}])
    sink = BigQueryAnalyticsSink(client, "ds")  # type: ignore[arg-type]  # a recording fake of the BigQuery client's calls

    with pytest.raises(InvalidInput) as failure:
        sink.write_messages([record()])

    assert failure.value.code == "bigquery_rejected_rows"


@pytest.mark.parametrize(
    ("error", "expected", "code"),
    [
        (gexc.ServiceUnavailable("down"), Unavailable, "unavailable"),
        (gexc.RetryError("deadline", cause=None), Unavailable, "unavailable"),
        (gexc.NotFound("table messages"), Unavailable, "not_provisioned"),
        (gexc.TooManyRequests("quota"), Unavailable, "unavailable"),
        (gexc.BadRequest("no such field: foo"), InvalidInput, "bigquery_rejected"),
        (
            gexc.BadRequest(
                "UPDATE or DELETE statement over table p.d.messages would affect rows in the "
                "streaming buffer, which is not supported"
            ),
            Unavailable,
            "streaming_buffer",
        ),
    ],
)
def test_bigquery_errors_are_translated(
    error: Exception, expected: type[HybridSessionsError], code: str
) -> None:
    sink = BigQueryAnalyticsSink(FakeBigQuery(fail=error), "ds")  # type: ignore[arg-type]  # a recording fake of the BigQuery client's calls

    with pytest.raises(expected) as failure:
        sink.purge(Erasure(event_id="e", tenant_id="t1", user_id="u1", erased_at=T0))

    assert failure.value.code == code


def test_bigquery_erasure_uses_query_parameters_only() -> None:
    client = FakeBigQuery()
    sink = BigQueryAnalyticsSink(client, "ds")  # type: ignore[arg-type]  # a recording fake of the BigQuery client's calls
    hostile = "x' OR '1'='1"

    sink.purge(Erasure(event_id="e", tenant_id=hostile, user_id="u1", erased_at=T0, session_id="s"))

    assert [sql.split(" WHERE ")[0] for sql, _ in client.queries] == [
        "DELETE FROM `proj.ds.messages`",
        "DELETE FROM `proj.ds.sessions`",
    ]
    for sql, config in client.queries:
        assert hostile not in sql
        assert {p.name: p.value for p in config.query_parameters}["tenant_id"] == hostile


# --- embeddings ---------------------------------------------------------------------------


def test_batches_respect_text_count_and_token_budget() -> None:
    assert list(batches(["a"] * 5, max_texts=1)) == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
    assert list(batches(["a"] * 600, max_texts=250)) == [(0, 250), (250, 500), (500, 600)]
    long = "x" * 6000  # counts as the 2,048-token cap of one text
    assert list(batches([long] * 10, max_texts=250)) == [(0, 7), (7, 10)]
    assert list(batches([], max_texts=250)) == []


def embedder(model: str, handler: Any) -> tuple[VertexEmbedder, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record_and_answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    settings = Settings(
        vertex_endpoint="http://vertex.test:9",
        GOOGLE_CLOUD_PROJECT="proj",
        vertex_location="us-central1",
        embedding_model=model,
        embedding_dimensions=4,
    )
    client = httpx.Client(transport=httpx.MockTransport(record_and_answer))
    return VertexEmbedder.from_settings(settings, httpx_client=client), seen


def predictions(request: httpx.Request) -> httpx.Response:
    instances = json.loads(request.content)["instances"]
    return httpx.Response(
        200,
        json={
            "predictions": [
                {"embeddings": {"values": [float(i), 0.0, 0.0, 1.0]}} for i in range(len(instances))
            ]
        },
    )


def test_embed_documents_sends_task_type_and_dimensions_in_batches() -> None:
    emb, seen = embedder("text-embedding-005", predictions)

    vectors = emb.embed_documents(["a", "b", "c"])

    assert len(vectors) == 3 and all(len(v) == 4 for v in vectors)
    [request] = seen
    assert request.url.path.endswith(
        "/projects/proj/locations/us-central1/publishers/google/models/text-embedding-005:predict"
    )
    body = json.loads(request.content)
    assert {i["task_type"] for i in body["instances"]} == {"RETRIEVAL_DOCUMENT"}
    assert body["parameters"]["outputDimensionality"] == 4
    assert emb.model_id == "text-embedding-005@4"


def test_gemini_embedding_001_gets_one_text_per_request() -> None:
    emb, seen = embedder("gemini-embedding-001", predictions)

    emb.embed_documents(["a", "b", "c"])
    emb.embed_query("q")

    assert [len(json.loads(r.content)["instances"]) for r in seen] == [1, 1, 1, 1]
    assert json.loads(seen[-1].content)["instances"][0]["task_type"] == "RETRIEVAL_QUERY"


@pytest.mark.parametrize(
    ("status", "expected"),
    [(429, Unavailable), (503, Unavailable), (400, InvalidInput), (403, UpstreamError)],
)
def test_embedding_errors_are_translated(status: int, expected: type) -> None:
    body = {"error": {"code": status, "message": "nope", "status": "X"}}
    emb, _ = embedder("text-embedding-005", lambda r: httpx.Response(status, json=body))

    with pytest.raises(expected):
        emb.embed_documents(["a"])


def test_wrong_vector_size_is_an_upstream_error() -> None:
    answer = {"predictions": [{"embeddings": {"values": [1.0, 2.0]}}]}
    emb, _ = embedder("text-embedding-005", lambda r: httpx.Response(200, json=answer))

    with pytest.raises(UpstreamError):
        emb.embed_documents(["a"])


# --- vector search ------------------------------------------------------------------------


def test_datapoint_has_restricts_crowding_time_and_model() -> None:
    point = _datapoint(
        VectorRecord(
            id="s1-00000001",
            vector=[0.1, 0.2],
            tenant_id="t1",
            user_id="u1",
            session_id="s1",
            role="user",
            created_at=T0,
            model_id="text-embedding-005@768",
        )
    )

    assert point.datapoint_id == "s1-00000001"
    assert {r.namespace: list(r.allow_list) for r in point.restricts} == {
        "tenant": ["t1"],
        "user": ["u1"],
        "session": ["s1"],
        "role": ["user"],
        "embedding_model": ["text-embedding-005@768"],
    }
    [created] = point.numeric_restricts
    assert (created.namespace, created.value_int) == ("created_at", int(T0.timestamp()))
    assert point.crowding_tag.crowding_attribute == "s1"
    assert point.embedding_metadata["embedding_model"] == "text-embedding-005@768"


def test_filters_become_restricts_and_numeric_bounds() -> None:
    where = VectorFilter(
        tenant_id="t1", session_ids=["s1", "s2"], created_after=T0, created_before=T0
    )

    restricts = {r.namespace: list(r.allow_list) for r in _filter_restricts(where)}
    bounds = [(n.op.name, n.value_int) for n in _filter_numeric(where)]

    assert restricts == {"tenant": ["t1"], "session": ["s1", "s2"]}
    assert bounds == [("GREATER_EQUAL", int(T0.timestamp())), ("LESS", int(T0.timestamp()))]
