"""bqemulator, started offline by `emulators.bigquery`, driven only by `google-cloud-bigquery`.

The first group checks what hybrid-sessions relies on; the `test_gap_*` tests pin the known
differences from BigQuery listed in emulators/bigquery/README.md, so a bqemulator upgrade that
changes one of them fails here and the README (and any workaround) gets revisited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core.client_options import ClientOptions
from google.api_core.exceptions import BadRequest, InternalServerError, NotFound
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from tests.conftest import BigQueryEmulator, unique_id

# A gap that answers 500 makes the client retry for minutes: fail fast instead.
pytestmark = pytest.mark.timeout(60)

NOW = dt.datetime(2026, 11, 27, 12, 30, 15, 123456, tzinfo=dt.UTC)
SCHEMA = [
    bigquery.SchemaField("message_id", "STRING", mode="REQUIRED"),
    bigquery.SchemaField("tenant_id", "STRING", mode="REQUIRED"),
    bigquery.SchemaField("session_id", "STRING", mode="REQUIRED"),
    bigquery.SchemaField("seq", "INT64"),
    bigquery.SchemaField("content", "STRING"),
    bigquery.SchemaField("metadata", "STRING"),
    bigquery.SchemaField("created_at", "TIMESTAMP", mode="REQUIRED"),
    bigquery.SchemaField("ingested_at", "TIMESTAMP", mode="REQUIRED"),
]


@pytest.fixture(scope="module")
def client(bigquery_emulator: BigQueryEmulator, project_id: str) -> bigquery.Client:
    return bigquery.Client(
        project=project_id,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=bigquery_emulator.endpoint),
    )


@pytest.fixture(scope="module")
def dataset(client: bigquery.Client) -> Iterator[str]:
    name = unique_id("ds_")
    client.create_dataset(name)
    yield f"{client.project}.{name}"
    client.delete_dataset(name, delete_contents=True, not_found_ok=True)


@pytest.fixture
def table(client: bigquery.Client, dataset: str) -> str:
    table = bigquery.Table(f"{dataset}.{unique_id('messages_')}", schema=SCHEMA)
    table.time_partitioning = bigquery.TimePartitioning(
        type_=bigquery.TimePartitioningType.DAY, field="created_at"
    )
    table.clustering_fields = ["tenant_id", "session_id"]
    client.create_table(table)
    return str(table.reference)


def row(message_id: str, seq: int = 0, **overrides: object) -> dict[str, object]:
    return {
        "message_id": message_id,
        "tenant_id": "t1",
        "session_id": "s1",
        "seq": seq,
        "content": f"message {seq}",
        "metadata": '{"source": "test"}',
        "created_at": NOW.isoformat(),
        "ingested_at": NOW.isoformat(),
        **overrides,
    }


def query(client: bigquery.Client, sql: str, **params: tuple[str, Any]) -> list[dict[str, object]]:
    config = bigquery.QueryJobConfig(
        query_parameters=[
            bigquery.ScalarQueryParameter(name, kind, value)
            for name, (kind, value) in params.items()
        ]
    )
    return [dict(r) for r in client.query(sql, job_config=config).result()]


def test_dataset_is_created_listed_and_deleted(client: bigquery.Client) -> None:
    name = unique_id("tmp_")
    client.create_dataset(bigquery.Dataset(f"{client.project}.{name}"))
    assert name in {d.dataset_id for d in client.list_datasets()}
    client.delete_dataset(name)
    with pytest.raises(NotFound):
        client.get_dataset(name)


def test_partitioned_clustered_table_keeps_its_spec(client: bigquery.Client, table: str) -> None:
    got = client.get_table(table)
    assert got.time_partitioning.type_ == "DAY"
    assert got.time_partitioning.field == "created_at"
    assert got.clustering_fields == ["tenant_id", "session_id"]
    assert [(f.name, f.field_type, f.mode) for f in got.schema] == [
        (f.name, f.field_type, f.mode) for f in SCHEMA
    ]


def test_insert_rows_json_with_row_ids_round_trips(client: bigquery.Client, table: str) -> None:
    errors = client.insert_rows_json(table, [row("m0", 0), row("m1", 1)], row_ids=["m0", "m1"])
    assert errors == []
    rows = query(client, f"SELECT * FROM `{table}` ORDER BY seq")
    assert [r["message_id"] for r in rows] == ["m0", "m1"]
    assert rows[0]["created_at"] == NOW
    assert rows[0]["metadata"] == '{"source": "test"}'


def test_qualify_row_number_keeps_one_copy_per_id(client: bigquery.Client, table: str) -> None:
    late = (NOW + dt.timedelta(seconds=5)).isoformat()
    client.insert_rows_json(
        table,
        [row("m0", 0), row("m1", 1), row("m0", 0, content="again", ingested_at=late)],
        row_ids=["m0", "m1", "m0"],
    )
    rows = query(
        client,
        f"SELECT message_id, content FROM `{table}` "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY message_id ORDER BY ingested_at DESC) = 1 "
        "ORDER BY message_id",
    )
    assert rows == [
        {"message_id": "m0", "content": "again"},
        {"message_id": "m1", "content": "message 1"},
    ]


def test_scalar_query_parameters_filter_rows(client: bigquery.Client, table: str) -> None:
    client.insert_rows_json(
        table,
        [row("m0", 0), row("m1", 1), row("m2", 2, tenant_id="t2")],
        row_ids=["m0", "m1", "m2"],
    )
    rows = query(
        client,
        f"SELECT message_id FROM `{table}` "
        "WHERE tenant_id = @tenant AND seq >= @from_seq AND created_at <= @until ORDER BY seq",
        tenant=("STRING", "t1"),
        from_seq=("INT64", 1),
        until=("TIMESTAMP", NOW),
    )
    assert rows == [{"message_id": "m1"}]


def test_parameter_is_a_value_never_sql(client: bigquery.Client, table: str) -> None:
    client.insert_rows_json(table, [row("m0")], row_ids=["m0"])
    rows = query(
        client,
        f"SELECT COUNT(*) AS n FROM `{table}` WHERE tenant_id = @tenant",
        tenant=("STRING", "t1' OR '1'='1"),
    )
    assert rows == [{"n": 0}]


def test_dml_delete_with_parameters_removes_only_matching_rows(
    client: bigquery.Client, table: str
) -> None:
    client.insert_rows_json(
        table,
        [row("m0", 0), row("m1", 1, session_id="s2"), row("m2", 2)],
        row_ids=["m0", "m1", "m2"],
    )
    job = client.query(
        f"DELETE FROM `{table}` WHERE tenant_id = @tenant AND session_id = @session",
        job_config=bigquery.QueryJobConfig(
            query_parameters=[
                bigquery.ScalarQueryParameter("tenant", "STRING", "t1"),
                bigquery.ScalarQueryParameter("session", "STRING", "s1"),
            ]
        ),
    )
    job.result()
    assert job.num_dml_affected_rows == 2
    assert query(client, f"SELECT message_id FROM `{table}`") == [{"message_id": "m1"}]


def test_view_reads_the_current_table(client: bigquery.Client, table: str) -> None:
    view = bigquery.Table(f"{table}_latest")
    view.view_query = (
        f"SELECT message_id, content FROM `{table}` "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY message_id ORDER BY ingested_at DESC) = 1"
    )
    client.create_table(view)
    client.insert_rows_json(table, [row("m0"), row("m0")], row_ids=["m0", "m0"])
    assert query(client, f"SELECT * FROM `{view.reference}`") == [
        {"message_id": "m0", "content": "message 0"}
    ]
    assert client.get_table(view.reference).table_type == "VIEW"


def test_json_text_in_a_string_column_is_queryable(client: bigquery.Client, table: str) -> None:
    client.insert_rows_json(table, [row("m0")], row_ids=["m0"])
    rows = query(client, f"SELECT JSON_VALUE(metadata, '$.source') AS source FROM `{table}`")
    assert rows == [{"source": "test"}]


# --- known gaps (emulators/bigquery/README.md) ------------------------------------------------


def test_gap_insert_id_is_not_deduplicated(client: bigquery.Client, table: str) -> None:
    """BigQuery drops a repeated insertId (best effort); bqemulator keeps both: dedup views."""
    client.insert_rows_json(table, [row("m0")], row_ids=["m0"])
    client.insert_rows_json(table, [row("m0")], row_ids=["m0"])
    assert query(client, f"SELECT COUNT(*) AS n FROM `{table}`") == [{"n": 2}]


def test_gap_json_column_given_an_object_fails_with_500(
    client: bigquery.Client, dataset: str
) -> None:
    """BigQuery accepts a JSON object for a JSON column; bqemulator answers 500. Our tables keep
    metadata as JSON text in a STRING column, which both accept."""
    table = bigquery.Table(
        f"{dataset}.{unique_id('json_')}", schema=[bigquery.SchemaField("doc", "JSON")]
    )
    client.create_table(table)
    with pytest.raises(InternalServerError):
        client.insert_rows_json(table, [{"doc": {"k": 1}}], retry=None)  # type: ignore[arg-type]  # None turns the client's retry off; its annotation leaves None out
    assert client.insert_rows_json(table, [{"doc": '{"k": 1}'}]) == []


def test_gap_row_with_a_bad_value_fails_the_whole_request_with_500(
    client: bigquery.Client, table: str
) -> None:
    """BigQuery answers 200 with per-row `insertErrors`; bqemulator answers 500 (which the client
    retries until its deadline). Ingest validates rows before inserting them."""
    with pytest.raises(InternalServerError):
        bad = {**row("m0"), "seq": "not a number"}
        client.insert_rows_json(table, [bad], retry=None)  # type: ignore[arg-type]  # None turns the client's retry off; its annotation leaves None out


def test_gap_dml_on_just_streamed_rows_succeeds(client: bigquery.Client, table: str) -> None:
    """BigQuery refuses DML on rows in the streaming buffer (about 30 min after insertAll);
    bqemulator does not, so erasure must not count on the emulator to exercise that refusal."""
    client.insert_rows_json(table, [row("m0")], row_ids=["m0"])
    job = client.query(f"DELETE FROM `{table}` WHERE TRUE")
    job.result()
    assert job.num_dml_affected_rows == 1


def test_gap_unnamed_columns_take_duckdb_names(client: bigquery.Client, table: str) -> None:
    """BigQuery names an unaliased expression f0_; bqemulator uses DuckDB's name. Alias them."""
    result = client.query(f"SELECT COUNT(*) FROM `{table}`").result()
    assert [field.name for field in result.schema] != ["f0_"]


def test_gap_view_definition_is_not_returned(client: bigquery.Client, table: str) -> None:
    """tables.get of a view omits `view.query`; provisioning therefore re-applies view queries."""
    view = bigquery.Table(f"{table}_v")
    view.view_query = f"SELECT message_id FROM `{table}`"
    client.create_table(view)
    assert client.get_table(view.reference).view_query is None


def test_gap_geography_is_unavailable_offline(client: bigquery.Client) -> None:
    """The launcher skips DuckDB's spatial extension (it needs a download): no ST_* functions."""
    with pytest.raises(BadRequest, match="spatial"):
        client.query("SELECT ST_GEOGPOINT(1.0, 2.0) AS g").result()
