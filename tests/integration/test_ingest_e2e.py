"""Acceptance of issue 4, end to end through the local stack: chats through the gateway reach
BigQuery and the vector index through Pub/Sub push and the ingest function, exactly once as
seen from the views, despite duplicated delivery, a BigQuery outage and a poison event; and
deleting a session or erasing a user empties all three stores."""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from google.cloud import bigquery

from emulators.provision import bigquery_client
from emulators.stack import Stack
from tests.conftest import unique_id
from tests.integration.ingest_support import stored_rows, vector_ids, visible_messages

pytestmark = pytest.mark.skipif(
    not os.path.exists("functions/chat/main.py"), reason="the chat function is not in the tree"
)


class Client:
    """The public API through the gateway, as one user of one tenant (dev tokens locally)."""

    def __init__(self, stack: Stack, tenant: str, user: str) -> None:
        self.base = stack.url("gateway")
        self.tenant, self.user = tenant, user
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer dev:{tenant}:{user}"

    def chat(self, message: str, session_id: str | None = None) -> dict[str, Any]:
        body = {"message": message, **({"session_id": session_id} if session_id else {})}
        response = self.http.post(f"{self.base}/v1/chat", json=body, timeout=60)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def delete(self, path: str) -> requests.Response:
        return self.http.delete(f"{self.base}{path}", timeout=60)

    def status(self, path: str) -> int:
        return self.http.get(f"{self.base}{path}", timeout=60).status_code


@pytest.fixture(scope="module")
def bq(stack: Stack) -> bigquery.Client:
    if not (stack.has("ingest") and stack.has("gateway") and stack.has("vertex")):
        pytest.skip(f"stack incomplete: {stack.skipped}")
    return bigquery_client(stack.url("bigquery"), stack.config.settings.project)


@pytest.fixture
def topic(stack: Stack) -> Iterator[tuple[Any, str, str]]:
    """A publisher on the messages topic and a pull subscription (a tap) that sees every
    event, to deliver each one a second time, as Pub/Sub may."""
    import google.cloud.pubsub_v1 as pubsub_v1
    from google.api_core.exceptions import NotFound

    os.environ["PUBSUB_EMULATOR_HOST"] = stack.address("pubsub")
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    project = stack.config.settings.project
    topic = publisher.topic_path(project, stack.config.settings.messages_topic)
    tap = subscriber.subscription_path(project, unique_id("ingest-e2e-tap-"))
    subscriber.create_subscription(name=tap, topic=topic, ack_deadline_seconds=60)
    yield publisher, topic, tap
    with contextlib.suppress(NotFound):
        subscriber.delete_subscription(subscription=tap)


def redeliver_everything(topic: tuple[Any, str, str]) -> int:
    """Publish again every event the tap saw, so each reaches the ingest function twice. The
    tap is drained and removed first: it must not see (and repeat) its own copies."""
    import google.cloud.pubsub_v1 as pubsub_v1
    from google.api_core.exceptions import DeadlineExceeded

    publisher, topic_path, tap = topic
    subscriber = pubsub_v1.SubscriberClient()
    seen = []
    while True:
        try:  # an empty subscription holds a pull open until its deadline
            response = subscriber.pull(subscription=tap, max_messages=100, timeout=2, retry=None)
        except DeadlineExceeded:
            break
        if not response.received_messages:
            break
        seen += [m.message for m in response.received_messages]
        subscriber.acknowledge(
            subscription=tap, ack_ids=[m.ack_id for m in response.received_messages]
        )
    subscriber.delete_subscription(subscription=tap)
    for message in seen:
        publisher.publish(topic_path, message.data, **dict(message.attributes)).result(30)
    return len(seen)


def eventually(check: Callable[[], Any], expected: Any, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while (seen := check()) != expected:
        assert time.monotonic() < deadline, f"still {seen!r}, expected {expected!r}"
        time.sleep(0.5)


def test_chats_reach_bigquery_and_the_index_once_despite_duplicates_outage_and_poison(
    stack: Stack, bq: bigquery.Client, topic: tuple[Any, str, str]
) -> None:
    dataset = stack.config.settings.bigquery_dataset
    alice = Client(stack, unique_id("t"), "alice")
    sid = alice.chat("How do tides work?")["session_id"]
    alice.chat("And spring tides?", sid)
    publisher, topic_path, _ = topic
    publisher.publish(topic_path, b"\x00 not an event", event_type="message.created").result(30)
    before = sorted(f"{sid}-{seq:08d}" for seq in range(4))
    eventually(lambda: visible_messages(bq, dataset, alice.tenant), before)

    with stack.down("bigquery"):
        alice.chat("What about neap tides?", sid)  # seqs 4 and 5, while BigQuery is down
        # The other sink does not wait for BigQuery: the vectors land during the outage.
        during = {f"{sid}-{seq:08d}" for seq in (4, 5)}
        eventually(lambda: during <= set(vector_ids(stack.env, alice.tenant)), True)
    alice.chat("Thanks!", sid)
    assert redeliver_everything(topic) >= 8

    turns = 4  # each turn stores the user's message and the reply
    expected = sorted(f"{sid}-{seq:08d}" for seq in range(2 * turns))
    eventually(lambda: visible_messages(bq, dataset, alice.tenant), expected)
    eventually(lambda: vector_ids(stack.env, alice.tenant), expected)
    # Every message was stored at least twice (redelivered), and the view shows it once.
    eventually(lambda: stored_rows(bq, dataset, alice.tenant) >= 2 * len(expected), True)
    assert visible_messages(bq, dataset, alice.tenant) == expected


def test_session_deletion_and_user_erasure_empty_all_three_stores(
    stack: Stack, bq: bigquery.Client
) -> None:
    dataset = stack.config.settings.bigquery_dataset
    bob = Client(stack, unique_id("t"), "bob")
    first = bob.chat("Remember my cat is called Tom.")["session_id"]
    second = bob.chat("I also like sailing.")["session_id"]
    kept = Client(stack, bob.tenant, "carol").chat("Carol's own chat")["session_id"]
    everything = sorted(f"{s}-{q:08d}" for s in (first, second, kept) for q in range(2))
    eventually(lambda: visible_messages(bq, dataset, bob.tenant), everything)
    eventually(lambda: vector_ids(stack.env, bob.tenant), everything)

    assert bob.delete(f"/v1/sessions/{first}").status_code == 204
    without_first = sorted(f"{s}-{q:08d}" for s in (second, kept) for q in range(2))
    eventually(lambda: visible_messages(bq, dataset, bob.tenant), without_first)
    eventually(lambda: vector_ids(stack.env, bob.tenant), without_first)
    assert bob.status(f"/v1/sessions/{first}") == 404

    response = bob.delete("/v1/users/me")
    assert response.status_code == 200, response.text
    only_carol = [f"{kept}-{q:08d}" for q in range(2)]
    eventually(lambda: visible_messages(bq, dataset, bob.tenant), only_carol)
    eventually(lambda: vector_ids(stack.env, bob.tenant), only_carol)
    eventually(lambda: stored_rows(bq, dataset, bob.tenant), 2)  # deleted, not only hidden
    assert bob.status(f"/v1/sessions/{second}") == 404
    assert json.loads(response.text)
