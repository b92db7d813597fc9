"""Issue 11, item 9, through the local stack: an erasure holds whatever order events arrive in.
A session is deleted (and, separately, a user erased); then its `MessageCreated` events are
delivered again on the messages topic AND through a replay of the dead-letter subscription.
Neither may bring back a BigQuery row (in the views or the raw table) or a vector."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest
from google.cloud import bigquery

from emulators.provision import bigquery_client
from emulators.stack import Stack
from tests.conftest import unique_id
from tests.integration.ingest_support import stored_rows, vector_ids, visible_messages
from tests.integration.test_ingest_e2e import Client, eventually


@pytest.fixture(scope="module")
def bq(stack: Stack) -> bigquery.Client:
    if not (stack.has("ingest") and stack.has("gateway") and stack.has("vertex")):
        pytest.skip(f"stack incomplete: {stack.skipped}")
    return bigquery_client(stack.url("bigquery"), stack.config.settings.project)


class Topics:
    """The messages topic with a tap (a pull subscription that sees every event), and the
    dead-letter topic with the subscription operators replay from."""

    def __init__(self, stack: Stack) -> None:
        from google.cloud import pubsub_v1

        os.environ["PUBSUB_EMULATOR_HOST"] = stack.address("pubsub")
        settings = stack.config.settings
        self.publisher, self.subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
        project = settings.project
        self.messages = self.publisher.topic_path(project, settings.messages_topic)
        self.dead_letters = self.publisher.topic_path(project, settings.dead_letter_topic)
        self.dead_letter_subscription = self.subscriber.subscription_path(
            project, settings.dead_letter_subscription
        )
        self.tap = self.subscriber.subscription_path(project, unique_id("erasure-tap-"))
        self.subscriber.create_subscription(name=self.tap, topic=self.messages)

    def close(self) -> None:
        from google.api_core.exceptions import NotFound

        with contextlib.suppress(NotFound):
            self.subscriber.delete_subscription(subscription=self.tap)

    def pull(self, subscription: str) -> list[Any]:
        from google.api_core.exceptions import DeadlineExceeded

        seen = []
        while True:
            try:
                response = self.subscriber.pull(
                    subscription=subscription, max_messages=100, timeout=2, retry=None
                )
            except DeadlineExceeded:
                break
            if not response.received_messages:
                break
            seen += [m.message for m in response.received_messages]
            self.subscriber.acknowledge(
                subscription=subscription, ack_ids=[m.ack_id for m in response.received_messages]
            )
        return seen

    def message_created(self, session_ids: set[str]) -> list[Any]:
        """The tap's MessageCreated events of those sessions (the rest is dropped)."""
        return [
            m
            for m in self.pull(self.tap)
            if m.attributes.get("event_type") == "message.created"
            and any(sid.encode() in m.data for sid in session_ids)
        ]

    def redeliver_and_replay(self, events: list[Any]) -> None:
        """Each event once more on the messages topic (a late redelivery), and once through
        the dead-letter topic, replayed from its subscription as an operator would."""
        for m in events:
            attributes = dict(m.attributes)
            self.publisher.publish(self.messages, m.data, **attributes).result(30)
            self.publisher.publish(self.dead_letters, m.data, **attributes).result(30)
        for m in self.pull(self.dead_letter_subscription):
            self.publisher.publish(self.messages, m.data, **dict(m.attributes)).result(30)


@pytest.fixture
def topics(stack: Stack, bq: bigquery.Client) -> Iterator[Topics]:
    tapped = Topics(stack)
    yield tapped
    tapped.close()


def settle(stack: Stack, bq: bigquery.Client, tenant: str) -> None:
    """Until ingest has worked through what was published before: a canary chat of another
    user of the tenant, published after the replays, is in the views and the index."""
    canary = Client(stack, tenant, unique_id("canary-"))
    sid = canary.chat("canary after the replay")["session_id"]
    wanted = {f"{sid}-{q:08d}" for q in range(2)}
    dataset = stack.config.settings.bigquery_dataset
    eventually(lambda: wanted <= set(visible_messages(bq, dataset, tenant)), True)
    eventually(lambda: wanted <= set(vector_ids(stack.env, tenant)), True)
    time.sleep(3)  # redeliveries published before the canary may still be in flight


def copies(stack: Stack, bq: bigquery.Client, tenant: str, sessions: set[str]) -> dict[str, int]:
    dataset = stack.config.settings.bigquery_dataset
    mine = lambda ids: [i for i in ids if i.rpartition("-")[0] in sessions]  # noqa: E731
    return {
        "view_rows": len(mine(visible_messages(bq, dataset, tenant))),
        "vectors": len(mine(vector_ids(stack.env, tenant))),
    }


def test_a_deleted_session_stays_deleted_after_redelivery_and_dead_letter_replay(
    stack: Stack, bq: bigquery.Client, topics: Topics
) -> None:
    dataset = stack.config.settings.bigquery_dataset
    ann = Client(stack, unique_id("t"), "ann")
    sid = ann.chat("My locker code is 4512.")["session_id"]
    ann.chat("And my bike lock is 9911.", sid)
    expected = sorted(f"{sid}-{q:08d}" for q in range(4))
    eventually(lambda: visible_messages(bq, dataset, ann.tenant), expected)
    eventually(lambda: vector_ids(stack.env, ann.tenant), expected)
    events = topics.message_created({sid})
    assert len(events) == 4

    assert ann.delete(f"/v1/sessions/{sid}").status_code == 204
    eventually(lambda: copies(stack, bq, ann.tenant, {sid}), {"view_rows": 0, "vectors": 0})
    eventually(lambda: stored_rows(bq, dataset, ann.tenant), 0)

    topics.redeliver_and_replay(events)
    settle(stack, bq, ann.tenant)
    assert copies(stack, bq, ann.tenant, {sid}) == {"view_rows": 0, "vectors": 0}
    assert stored_rows(bq, dataset, ann.tenant) == 2  # the canary's two messages only


def test_an_erased_user_stays_erased_after_redelivery_and_dead_letter_replay(
    stack: Stack, bq: bigquery.Client, topics: Topics
) -> None:
    dataset = stack.config.settings.bigquery_dataset
    bo = Client(stack, unique_id("t"), "bo")
    first = bo.chat("I live at 12 Elm Street.")["session_id"]
    second = bo.chat("My doctor is Dr. Wu.")["session_id"]
    mine = {first, second}
    expected = sorted(f"{s}-{q:08d}" for s in mine for q in range(2))
    eventually(lambda: visible_messages(bq, dataset, bo.tenant), expected)
    eventually(lambda: vector_ids(stack.env, bo.tenant), expected)
    events = topics.message_created(mine)
    assert len(events) == 4

    assert bo.delete("/v1/users/me").status_code == 200
    eventually(lambda: copies(stack, bq, bo.tenant, mine), {"view_rows": 0, "vectors": 0})
    eventually(lambda: stored_rows(bq, dataset, bo.tenant), 0)

    topics.redeliver_and_replay(events)
    settle(stack, bq, bo.tenant)
    assert copies(stack, bq, bo.tenant, mine) == {"view_rows": 0, "vectors": 0}
    assert stored_rows(bq, dataset, bo.tenant) == 2  # the canary's two messages only
    # The user may come back: a new chat after the erasure is stored and indexed as usual.
    again = bo.chat("Hello again.")["session_id"]
    wanted = {f"{again}-{q:08d}" for q in range(2)}
    eventually(lambda: wanted <= set(visible_messages(bq, dataset, bo.tenant)), True)
    eventually(lambda: wanted <= set(vector_ids(stack.env, bo.tenant)), True)
