"""The stack's `functions/ingest` (a functions-framework process) fed raw Pub/Sub push bodies
(the path a push subscription takes), writing to the BigQuery and Vertex AI emulators.

Each delivery's HTTP status is what Pub/Sub sees: 2xx acks, anything else is redelivered. The
tests therefore play Pub/Sub: deliver every event twice, redeliver what was refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from emulators.provision import bigquery_client
from emulators.stack import Stack
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
    push_body,
    stored_rows,
    vector_ids,
    visible_messages,
)

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class Env:
    """The stack's ingest function, its BigQuery dataset and its settings."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.env = stack.env
        self.dataset = stack.config.settings.bigquery_dataset
        self.client = bigquery_client(stack.url("bigquery"), stack.config.settings.project)

    def deliver(self, body: dict[str, Any]) -> int:
        """POST one push delivery; the status is what Pub/Sub would see (2xx = ack)."""
        response = requests.post(f"{self.stack.url('ingest')}/", json=body, timeout=60)
        return response.status_code


@pytest.fixture(scope="module")
def env(stack: Stack) -> Env:
    if not (stack.has("ingest") and stack.has("bigquery") and stack.has("vertex")):
        pytest.skip(f"stack incomplete: {stack.skipped}")
    return Env(stack)


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
    return [env.deliver(body) for body in bodies]


def test_every_event_twice_gives_one_row_and_one_vector_each(env: Env) -> None:
    tenant, s1 = unique_id("t"), unique_id("s")
    events = [message(tenant, s1, seq, f"turn {seq} about ocean tides") for seq in range(4)]

    statuses = deliver_all(env, [push_body(e) for e in events + events])

    assert all(200 <= s < 300 for s in statuses)
    expected = [message_id(s1, seq) for seq in range(4)]
    assert visible_messages(env.client, env.dataset, tenant) == expected
    assert stored_rows(env.client, env.dataset, tenant) == 8  # the raw table keeps both copies
    assert vector_ids(env.env, tenant) == expected


def test_poison_events_are_acked_and_do_not_block(env: Env) -> None:
    tenant, s1 = unique_id("t"), unique_id("s")
    poison = [
        push_body(b"not json at all"),
        push_body(b'{"event_type": "message.created", "event_id": "x"}'),
        {"message": {"data": "%%%", "messageId": "bad-base64"}, "subscription": "s"},
    ]

    statuses = deliver_all(env, [*poison, push_body(message(tenant, s1, 0, "hello"))])

    assert all(200 <= s < 300 for s in statuses)
    assert visible_messages(env.client, env.dataset, tenant) == [message_id(s1, 0)]


def test_bigquery_outage_fails_the_delivery_vectors_still_land_then_redelivery_catches_up(
    env: Env,
) -> None:
    tenant, s1 = unique_id("t"), unique_id("s")
    body = push_body(message(tenant, s1, 0, "said while BigQuery was down"))

    with env.stack.down("bigquery"):
        refused = env.deliver(body)
        vectors_during_outage = vector_ids(env.env, tenant)

    assert refused == 500  # Pub/Sub keeps the message and redelivers it with backoff
    assert vectors_during_outage == [message_id(s1, 0)]
    assert env.deliver(body) == 200
    assert visible_messages(env.client, env.dataset, tenant) == [message_id(s1, 0)]


def test_session_deletion_and_user_erasure_remove_rows_and_vectors(env: Env) -> None:
    tenant = unique_id("t")
    s1, s2, s3 = sorted(unique_id("s") for _ in range(3))
    events = [message(tenant, sid, seq, f"{sid} turn {seq}") for sid in (s1, s2) for seq in (0, 1)]
    events.append(message(tenant, s3, 0, "another user's words", user="u2"))
    deliver_all(env, [push_body(e) for e in events])
    deleted = SessionChanged(
        event_id=f"{s1}.deleted.1",
        tenant_id=tenant,
        user_id="u1",
        occurred_at=T0 + timedelta(minutes=1),
        change="deleted",
        session=SessionData(session_id=s1, message_count=2, created_at=T0, updated_at=T0),
    )
    erased = UserErased(
        event_id=f"{tenant}.u1.erased",
        tenant_id=tenant,
        user_id="u1",
        occurred_at=T0 + timedelta(hours=1),
    )

    assert env.deliver(push_body(deleted)) == 200
    after_delete = visible_messages(env.client, env.dataset, tenant), vector_ids(env.env, tenant)
    assert env.deliver(push_body(erased)) == 200

    s2_and_s3 = [message_id(s2, 0), message_id(s2, 1), message_id(s3, 0)]
    assert after_delete == (s2_and_s3, s2_and_s3)
    assert visible_messages(env.client, env.dataset, tenant) == [message_id(s3, 0)]
    assert stored_rows(env.client, env.dataset, tenant) == 1  # physically deleted, not just hidden
    assert vector_ids(env.env, tenant) == [message_id(s3, 0)]
