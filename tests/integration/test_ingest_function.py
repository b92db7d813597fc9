"""`functions/ingest` as a functions-framework process, fed raw Pub/Sub push bodies (the path a
push subscription takes), writing to the BigQuery and Vertex AI emulators.

Each delivery's HTTP status is what Pub/Sub sees: 2xx acks, anything else is redelivered. The
tests therefore play Pub/Sub: deliver every event twice, redeliver what was refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud import bigquery

from emulators.launcher import ManagedProcess
from emulators.provision import bigquery_client, load_layout, provision_bigquery
from shared.domain.events import (
    MessageCreated,
    MessageData,
    SessionChanged,
    SessionData,
    UserErased,
)
from shared.domain.ids import message_id
from tests.conftest import unique_id
from tests.integration.ingest_support import (
    bigquery_emulator,
    deliver,
    ingest_function,
    push_body,
    stored_rows,
    vector_ids,
    vertex_emulator,
    visible_messages,
)

DATASET = "hs_ingest"
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class Env:
    def __init__(self, bigquery: ManagedProcess, client: bigquery.Client, env: dict[str, str]):
        self.bigquery = bigquery
        self.client = client
        self.env = env
        self.function: ManagedProcess


@pytest.fixture(scope="module")
def env(project_id: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    vertex, vertex_env = vertex_emulator(project_id)
    bq, endpoint = bigquery_emulator(tmp_path_factory.mktemp("bigquery"))
    settings = {
        "GOOGLE_CLOUD_PROJECT": project_id,
        "HS_BIGQUERY_ENDPOINT": endpoint,
        "HS_BIGQUERY_DATASET": DATASET,
        # An outage should fail a delivery in seconds, as Pub/Sub's push deadline expects.
        "HS_BIGQUERY_TIMEOUT_S": "2",
        "HS_VERTEX_TIMEOUT_S": "10",
        **vertex_env,
    }
    with vertex, bq:
        client = bigquery_client(endpoint, project_id)
        provision_bigquery(client, DATASET, "US", load_layout())
        running = Env(bq, client, settings)
        with ingest_function(settings) as running.function:
            yield running


def message(tenant: str, session: str, seq: int, text: str, user: str = "u1") -> MessageCreated:
    mid = message_id(session, seq)
    return MessageCreated(
        event_id=f"{mid}.created",
        tenant_id=tenant,
        user_id=user,
        occurred_at=T0,
        message=MessageData(
            message_id=mid,
            session_id=session,
            seq=seq,
            role="user" if seq % 2 == 0 else "assistant",
            content=text,
            created_at=T0 + timedelta(seconds=seq),
        ),
    )


def deliver_all(env: Env, bodies: list[dict[str, Any]]) -> list[int]:
    return [deliver(env.function, body) for body in bodies]


def test_every_event_twice_gives_one_row_and_one_vector_each(env: Env) -> None:
    tenant = unique_id("t")
    events = [message(tenant, "s1", seq, f"turn {seq} about ocean tides") for seq in range(4)]

    statuses = deliver_all(env, [push_body(e) for e in events + events])

    assert all(200 <= s < 300 for s in statuses)
    expected = [message_id("s1", seq) for seq in range(4)]
    assert visible_messages(env.client, DATASET, tenant) == expected
    assert stored_rows(env.client, DATASET, tenant) == 8  # the raw table keeps both copies
    assert vector_ids(env.env, tenant) == expected


def test_poison_events_are_acked_and_do_not_block(env: Env) -> None:
    tenant = unique_id("t")
    poison = [
        push_body(b"not json at all"),
        push_body(b'{"event_type": "message.created", "event_id": "x"}'),
        {"message": {"data": "%%%", "messageId": "bad-base64"}, "subscription": "s"},
    ]

    statuses = deliver_all(env, [*poison, push_body(message(tenant, "s1", 0, "hello"))])

    assert all(200 <= s < 300 for s in statuses)
    assert visible_messages(env.client, DATASET, tenant) == [message_id("s1", 0)]


def test_bigquery_outage_fails_the_delivery_vectors_still_land_then_redelivery_catches_up(
    env: Env,
) -> None:
    tenant = unique_id("t")
    bodies = [push_body(message(tenant, "s1", seq, f"turn {seq}")) for seq in range(3)]
    env.bigquery.stop()
    try:
        refused = deliver_all(env, bodies)
        vectors_during_outage = vector_ids(env.env, tenant)
    finally:
        env.bigquery.start(timeout=60)

    assert refused == [500, 500, 500]  # Pub/Sub keeps them and redelivers with backoff
    expected = [message_id("s1", seq) for seq in range(3)]
    assert vectors_during_outage == expected
    assert deliver_all(env, bodies) == [200, 200, 200]
    assert visible_messages(env.client, DATASET, tenant) == expected


def test_session_deletion_and_user_erasure_remove_rows_and_vectors(env: Env) -> None:
    tenant = unique_id("t")
    events = [
        message(tenant, sid, seq, f"{sid} turn {seq}") for sid in ("s1", "s2") for seq in (0, 1)
    ]
    events.append(message(tenant, "s3", 0, "another user's words", user="u2"))
    deliver_all(env, [push_body(e) for e in events])
    deleted = SessionChanged(
        event_id="s1.deleted.1",
        tenant_id=tenant,
        user_id="u1",
        occurred_at=T0 + timedelta(minutes=1),
        change="deleted",
        session=SessionData(session_id="s1", message_count=2, created_at=T0, updated_at=T0),
    )
    erased = UserErased(
        event_id="u1.erased", tenant_id=tenant, user_id="u1", occurred_at=T0 + timedelta(hours=1)
    )

    assert deliver(env.function, push_body(deleted)) == 200
    after_delete = visible_messages(env.client, DATASET, tenant), vector_ids(env.env, tenant)
    assert deliver(env.function, push_body(erased)) == 200

    s2_and_s3 = [message_id("s2", 0), message_id("s2", 1), message_id("s3", 0)]
    assert after_delete == (s2_and_s3, s2_and_s3)
    assert visible_messages(env.client, DATASET, tenant) == [message_id("s3", 0)]
    assert stored_rows(env.client, DATASET, tenant) == 1  # physically deleted, not just hidden
    assert vector_ids(env.env, tenant) == [message_id("s3", 0)]
