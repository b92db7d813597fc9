"""BigQueryAnalyticsSink and the shipped views (`infra/bigquery`) against the BigQuery emulator,
through the official client: deduplication, erasure ledger, DML purge, latest session state."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud import bigquery

from emulators.provision import bigquery_client, load_layout, provision_bigquery
from shared.adapters.bigquery.analytics_sink import BigQueryAnalyticsSink
from shared.domain.events import MessageData, SessionData
from shared.domain.ids import message_id
from shared.ports.analytics_sink import Erasure, MessageRecord, SessionRecord
from tests.conftest import BigQueryEmulator, unique_id

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def client(bigquery_emulator: BigQueryEmulator, project_id: str) -> bigquery.Client:
    return bigquery_client(bigquery_emulator.endpoint, project_id)


@pytest.fixture
def dataset(client: bigquery.Client) -> Iterator[str]:
    name = unique_id("ingest_")
    provision_bigquery(client, name, "US", load_layout())
    yield name
    client.delete_dataset(name, delete_contents=True, not_found_ok=True)


@pytest.fixture
def sink(client: bigquery.Client, dataset: str) -> BigQueryAnalyticsSink:
    return BigQueryAnalyticsSink(client, dataset, timeout_s=5)


def rows(client: bigquery.Client, dataset: str, sql: str) -> list[dict[str, Any]]:
    query = sql.format(ds=f"`{client.project}.{dataset}")
    return [dict(r.items()) for r in client.query(query).result()]


def message(session: str, seq: int, user: str = "u1", at: datetime = T0) -> MessageRecord:
    return MessageRecord(
        tenant_id="t1",
        user_id=user,
        event_id=f"{session}.{seq}",
        message=MessageData(
            message_id=message_id(session, seq),
            session_id=session,
            seq=seq,
            role="user",
            content=f"text {seq}",
            created_at=at,
            metadata={"lang": "en"},
        ),
    )


def session(sid: str, change: str, minute: int, title: str, user: str = "u1") -> SessionRecord:
    at = T0 + timedelta(minutes=minute)
    return SessionRecord(
        tenant_id="t1",
        user_id=user,
        event_id=f"{sid}.{change}.{minute}",
        change=change,  # type: ignore[arg-type]  # the test passes changes as plain strings
        occurred_at=at,
        session=SessionData(session_id=sid, title=title, created_at=T0, updated_at=at),
    )


def test_dedup_view_shows_each_message_once_with_metadata_queryable(client, dataset, sink) -> None:
    batch = [message("s1", seq) for seq in range(3)]

    sink.write_messages(batch)
    sink.write_messages(batch)  # a redelivery: the emulator (and sometimes BigQuery) keeps both

    assert rows(client, dataset, "SELECT COUNT(*) AS n FROM {ds}.messages`") == [{"n": 6}]
    view = rows(
        client,
        dataset,
        "SELECT message_id, JSON_VALUE(metadata, '$.lang') AS lang FROM {ds}.messages_dedup` "
        "ORDER BY message_id",
    )
    assert view == [{"message_id": message_id("s1", s), "lang": "en"} for s in range(3)]


def test_session_erasure_hides_at_once_then_purge_deletes(client, dataset, sink) -> None:
    sink.write_messages([message("s1", 0), message("s1", 1), message("s2", 0)])
    sink.write_sessions([session("s1", "created", 0, "a"), session("s2", "created", 0, "b")])
    erasure = Erasure(
        event_id="s1.deleted", tenant_id="t1", user_id="u1", erased_at=T0, session_id="s1"
    )

    sink.record_erasure(erasure)

    visible = rows(client, dataset, "SELECT session_id FROM {ds}.messages_dedup`")
    assert visible == [{"session_id": "s2"}]
    assert rows(client, dataset, "SELECT session_id FROM {ds}.sessions_latest`") == [
        {"session_id": "s2"}
    ]
    sink.purge(erasure)
    sink.purge(erasure)  # redelivered: nothing left, no error
    stored = rows(client, dataset, "SELECT DISTINCT session_id FROM {ds}.messages`")
    assert stored == [{"session_id": "s2"}]
    assert rows(client, dataset, "SELECT session_id FROM {ds}.sessions`") == [{"session_id": "s2"}]


def test_user_erasure_covers_rows_up_to_its_time_only(client, dataset, sink) -> None:
    later = T0 + timedelta(days=1)
    sink.write_messages([message("s1", 0), message("s9", 0, user="u2"), message("s5", 0, at=later)])
    erasure = Erasure(event_id="u1.erased", tenant_id="t1", user_id="u1", erased_at=T0)

    sink.record_erasure(erasure)
    covered = sink.message_ids(erasure)
    sink.purge(erasure)

    assert covered == [message_id("s1", 0)]
    remaining = rows(
        client, dataset, "SELECT message_id FROM {ds}.messages_dedup` ORDER BY message_id"
    )
    assert remaining == [{"message_id": message_id("s5", 0)}, {"message_id": message_id("s9", 0)}]


def test_sessions_latest_is_the_newest_state_whatever_the_arrival_order(
    client, dataset, sink
) -> None:
    sink.write_sessions([session("s1", "updated", 10, "final")])
    sink.write_sessions([session("s1", "created", 0, "first")])  # arrived late
    sink.write_sessions([session("s1", "updated", 10, "final")])  # duplicate delivery

    latest = rows(client, dataset, "SELECT title, change FROM {ds}.sessions_latest`")

    assert latest == [{"title": "final", "change": "updated"}]
