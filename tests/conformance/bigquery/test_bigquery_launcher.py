"""The offline launcher: its one patch is scoped to startup, and `--data-dir` persists."""

from __future__ import annotations

from pathlib import Path

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from emulators.launcher import free_port, port_open
from tests.conftest import start_emulator


def test_offline_engine_restores_the_engine_after_startup() -> None:
    from bqemulator.storage.engine import DuckDBEngine

    from emulators.bigquery.server import offline_engine

    original = DuckDBEngine._load_spatial
    with offline_engine():
        assert DuckDBEngine._load_spatial is not original
    assert DuckDBEngine._load_spatial is original


def _start(data_dir: Path):  # type: ignore[no-untyped-def]
    rest, grpc = free_port(), free_port()
    return start_emulator(
        "bigquery-persistent",
        "emulators.bigquery",
        "--grpc-port",
        str(grpc),
        "--data-dir",
        str(data_dir),
        port=rest,
        ready=lambda: port_open("127.0.0.1", rest) and port_open("127.0.0.1", grpc),
    )


def _client(address: str) -> bigquery.Client:
    return bigquery.Client(
        project="persist",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=f"http://{address}"),
    )


def test_data_dir_keeps_tables_and_rows_across_a_restart(tmp_path: Path) -> None:
    first = _start(tmp_path)
    try:
        client = _client(first.address)
        client.create_dataset("d")
        table = bigquery.Table("persist.d.t", schema=[bigquery.SchemaField("a", "STRING")])
        client.create_table(table)
        assert client.insert_rows_json(table, [{"a": "kept"}], row_ids=["1"]) == []
    finally:
        first.stop()
    second = _start(tmp_path)
    try:
        rows = _client(second.address).query("SELECT a FROM `persist.d.t`").result()
        assert [r["a"] for r in rows] == ["kept"]
    finally:
        second.stop()
