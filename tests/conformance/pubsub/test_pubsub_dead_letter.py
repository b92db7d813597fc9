"""Dead-letter policy: after max_delivery_attempts failed deliveries a message is published to
the dead-letter topic, with the attributes Pub/Sub adds, and leaves the source subscription.

(Google's own emulator forwards only when the subscription is pulled again after the last
attempt; this one forwards at once, as production.)
"""

from __future__ import annotations

import base64
import threading
import time
from datetime import datetime

import google.cloud.pubsub_v1 as pubsub_v1
import pytest

from .conftest import PubSub, fast_retry
from .push_endpoint import PushEndpoint


def _dead_letter_setup(ps: PubSub, attempts: int = 5, **sub_fields: object) -> tuple[str, str, str]:
    topic, dlq = ps.topic(), ps.topic("dlq")
    dlq_sub = ps.subscription(dlq, prefix="dlq-sub")
    sub = ps.subscription(
        topic,
        "sub",
        dead_letter_policy={"dead_letter_topic": dlq, "max_delivery_attempts": attempts},
        retry_policy=fast_retry(0.02, 0.05),
        **sub_fields,
    )
    return topic, sub, dlq_sub


def _poll(ps: PubSub, sub: str, timeout: float = 10.0) -> list:
    """Pull until something arrives: Google's emulator forwards a dead letter a moment after
    the last attempt, and its Pull does not wait for messages."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = ps.pull(sub, timeout=max(deadline - time.monotonic(), 0.1))
        if got:
            return got
        time.sleep(0.1)
    return []


def _assert_dead_lettered(
    ps: PubSub, dlq_sub: str, sub: str, message_id: str, data: bytes, attempts: int
) -> None:
    (dead,) = _poll(ps, dlq_sub)
    attrs = dict(dead.message.attributes)
    assert dead.message.data == data
    assert dead.message.message_id != message_id  # a new message on the dead-letter topic
    assert attrs["origin"] == "test"  # the original attributes are kept
    assert attrs["CloudPubSubDeadLetterSourceDeliveryCount"] == str(attempts)
    assert attrs["CloudPubSubDeadLetterSourceSubscription"] == sub.rsplit("/", 1)[1]
    assert attrs["CloudPubSubDeadLetterSourceSubscriptionProject"] == ps.project
    published = datetime.fromisoformat(attrs["CloudPubSubDeadLetterSourceTopicPublishTime"])
    assert published.utcoffset() is not None
    ps.ack(dlq_sub, [dead])


def test_poison_message_lands_on_the_dead_letter_topic_pull(
    ps: PubSub, emulator_flavour: str
) -> None:
    topic, sub, dlq_sub = _dead_letter_setup(ps, attempts=5)
    (message_id,) = ps.publish(topic, b"poison", origin="test")
    attempts = []
    for _ in range(5):
        got = ps.pull(sub, timeout=10)
        assert [r.message.message_id for r in got] == [message_id]
        attempts.append(got[0].delivery_attempt)
        ps.nack(sub, got)
    assert attempts == [1, 2, 3, 4, 5]
    if emulator_flavour == "official":
        # Intended difference: Google's emulator forwards only when the subscription is pulled
        # again (that Pull gets nothing); ours, as production, forwards on its own.
        assert ps.pull(sub, timeout=3) == []
    _assert_dead_lettered(ps, dlq_sub, sub, message_id, b"poison", 5)
    assert ps.pull_now(sub) == []  # gone from the source subscription


@pytest.mark.ours_only("Google's forwards only on the next Pull (checked in the test above)")
def test_an_expired_deadline_is_a_failed_attempt_too(ps: PubSub) -> None:
    topic, sub, dlq_sub = _dead_letter_setup(ps, attempts=5)
    (message_id,) = ps.publish(topic, b"never acked", origin="test")
    for _ in range(4):
        ps.nack(sub, ps.pull(sub, timeout=10))
    (last,) = ps.pull(sub, timeout=10)
    assert last.delivery_attempt == 5
    ps.subscriber.modify_ack_deadline(
        subscription=sub, ack_ids=[last.ack_id], ack_deadline_seconds=1
    )  # and let the fifth lease lapse
    _assert_dead_lettered(ps, dlq_sub, sub, message_id, b"never acked", 5)


def test_poison_message_lands_on_the_dead_letter_topic_streaming(ps: PubSub) -> None:
    topic, sub, dlq_sub = _dead_letter_setup(ps, attempts=5)
    (message_id,) = ps.publish(topic, b"poison", origin="test")
    ps.publish(topic, b"fine", origin="test")
    attempts: list[int | None] = []
    fine = threading.Event()

    def callback(message: pubsub_v1.subscriber.message.Message) -> None:
        if message.data == b"fine":
            message.ack()
            fine.set()
            return
        attempts.append(message.delivery_attempt)
        message.nack()

    future = ps.subscriber.subscribe(sub, callback)
    try:
        _assert_dead_lettered(ps, dlq_sub, sub, message_id, b"poison", 5)
        assert fine.wait(5)
    finally:
        future.cancel()
        future.result(timeout=10)
    assert attempts == [1, 2, 3, 4, 5]


@pytest.mark.ours_only("Google's pushes carry no deliveryAttempt, retries ~1 s apart")
def test_poison_message_lands_on_the_dead_letter_topic_push(ps: PubSub) -> None:
    with PushEndpoint(default_status=500) as endpoint:
        topic, sub, dlq_sub = _dead_letter_setup(
            ps, attempts=5, push_config={"push_endpoint": endpoint.url()}
        )
        (message_id,) = ps.publish(topic, b"poison", origin="test")
        requests = endpoint.wait_for(5)
        (dead,) = ps.pull(dlq_sub, timeout=10)
        ps.nack(dlq_sub, [dead])
        _assert_dead_lettered(ps, dlq_sub, sub, message_id, b"poison", 5)
        assert "500" in dead.message.attributes["CloudPubSubDeadLetterSourceDeliveryErrorMessage"]
        assert [r.json["deliveryAttempt"] for r in requests] == [1, 2, 3, 4, 5]
        assert {base64.b64decode(r.json["message"]["data"]) for r in requests} == {b"poison"}
        ps.subscriber.delete_subscription(subscription=sub)
    assert len(endpoint.received) == 5  # no sixth attempt


def test_missing_dead_letter_topic_keeps_redelivering(ps: PubSub) -> None:
    topic, sub, _ = _dead_letter_setup(ps, attempts=5)
    dlq = ps.subscriber.get_subscription(subscription=sub).dead_letter_policy.dead_letter_topic
    ps.publisher.delete_topic(topic=dlq)
    ps.publish(topic, b"stuck", origin="test")
    for expected in range(1, 7):
        got = ps.pull(sub, timeout=10)
        assert got[0].delivery_attempt == expected
        ps.nack(sub, got)
