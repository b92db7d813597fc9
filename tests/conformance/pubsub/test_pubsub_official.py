"""The same basic scenarios against this emulator and, when gcloud is installed, Google's own
(`official`): publish/pull/ack and the error codes answer alike."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Iterator

import pytest
from google.api_core import exceptions
from google.pubsub_v1 import types

from .conftest import PubSub, make_clients
from .push_endpoint import PushEndpoint


@pytest.fixture(
    params=["ours", pytest.param("official", marks=pytest.mark.official)],
)
def any_emulator(request: pytest.FixtureRequest) -> Iterator[PubSub]:
    fixture = "pubsub_emulator" if request.param == "ours" else "official_pubsub"
    address = request.getfixturevalue(fixture).address
    publisher, subscriber = make_clients(address)
    helper = PubSub(f"cmp-{uuid.uuid4().hex[:8]}", publisher, subscriber)
    yield helper
    helper.cleanup()
    subscriber.close()


def test_publish_pull_ack(any_emulator: PubSub) -> None:
    ps = any_emulator
    topic = ps.topic()
    sub = ps.subscription(topic)
    ids = ps.publish(topic, b"one", b"two", b"three", source="cmp")
    got = ps.pull_n(sub, 3)
    assert sorted(r.message.message_id for r in got) == sorted(ids)
    assert sorted(r.message.data for r in got) == [b"one", b"three", b"two"]
    assert {tuple(r.message.attributes.items()) for r in got} == {(("source", "cmp"),)}
    ps.ack(sub, got)
    assert ps.pull_now(sub) == []


def test_nack_redelivers_with_delivery_attempts(any_emulator: PubSub) -> None:
    ps = any_emulator
    topic, dlq = ps.topic(), ps.topic("dlq")
    sub = ps.subscription(
        topic, dead_letter_policy={"dead_letter_topic": dlq, "max_delivery_attempts": 10}
    )
    ps.publish(topic, b"again")
    first = ps.pull(sub)
    ps.nack(sub, first)
    second = ps.pull(sub)
    assert [r.delivery_attempt for r in first + second] == [1, 2]
    assert second[0].message.message_id == first[0].message.message_id
    ps.ack(sub, second)


def test_deleted_topic_leaves_subscriptions_detached(any_emulator: PubSub) -> None:
    ps = any_emulator
    topic = ps.topic()
    sub = ps.subscription(topic)
    ps.publisher.delete_topic(topic=topic)
    assert ps.subscriber.get_subscription(subscription=sub).topic == "_deleted-topic_"


def test_push_envelope(any_emulator: PubSub) -> None:
    ps = any_emulator
    with PushEndpoint() as endpoint:
        topic = ps.topic()
        sub = ps.subscription(topic, push_config={"push_endpoint": endpoint.url()})
        (message_id,) = ps.publish(topic, b"pushed", k="v")
        (request,) = endpoint.wait_for(1)
    body = request.json
    assert body["subscription"] == sub
    assert set(body["message"]) == {
        "attributes",
        "data",
        "messageId",
        "message_id",
        "publishTime",
        "publish_time",
    }
    assert body["message"]["messageId"] == message_id
    assert base64.b64decode(body["message"]["data"]) == b"pushed"
    assert body["message"]["attributes"] == {"k": "v"}


def _error_cases(ps: PubSub) -> list[tuple[str, Callable[[], object], type[Exception]]]:
    topic = ps.topic()
    sub = ps.subscription(topic)
    return [
        ("topic exists", lambda: ps.publisher.create_topic(name=topic), exceptions.AlreadyExists),
        (
            "missing topic",
            lambda: ps.publisher.get_topic(topic=ps.topic_path()),
            exceptions.NotFound,
        ),
        (
            "subscription exists",
            lambda: ps.subscriber.create_subscription(name=sub, topic=topic),
            exceptions.AlreadyExists,
        ),
        (
            "subscription on a missing topic",
            lambda: ps.subscriber.create_subscription(name=ps.sub_path(), topic=ps.topic_path()),
            exceptions.NotFound,
        ),
        (
            "missing subscription",
            lambda: ps.subscriber.get_subscription(subscription=ps.sub_path()),
            exceptions.NotFound,
        ),
        (
            "malformed topic name",
            lambda: ps.publisher.create_topic(name=f"projects/{ps.project}/topics/x"),
            exceptions.InvalidArgument,
        ),
        (
            "empty message",
            lambda: ps.publisher.raw.publish(topic=topic, messages=[types.PubsubMessage()]),
            exceptions.InvalidArgument,
        ),
        (
            "publish to a missing topic",
            lambda: ps.publisher.raw.publish(
                topic=ps.topic_path(), messages=[types.PubsubMessage(data=b"x")]
            ),
            exceptions.NotFound,
        ),
        (
            "max_messages 0",
            lambda: ps.subscriber.pull(subscription=sub, max_messages=0),
            exceptions.InvalidArgument,
        ),
        (
            "malformed ack id",
            lambda: ps.subscriber.acknowledge(subscription=sub, ack_ids=["garbage"]),
            exceptions.InvalidArgument,
        ),
        (
            "no ack ids",
            lambda: ps.subscriber.acknowledge(subscription=sub, ack_ids=[]),
            exceptions.InvalidArgument,
        ),
        (
            "negative ack deadline",
            lambda: ps.subscriber.modify_ack_deadline(
                subscription=sub, ack_ids=["garbage"], ack_deadline_seconds=-1
            ),
            exceptions.InvalidArgument,
        ),
        (
            "too few delivery attempts",
            lambda: ps.subscriber.create_subscription(
                request={
                    "name": ps.sub_path(),
                    "topic": topic,
                    "dead_letter_policy": {"dead_letter_topic": topic, "max_delivery_attempts": 3},
                }
            ),
            exceptions.OutOfRange,
        ),
        (
            "immutable field",
            lambda: ps.subscriber.update_subscription(
                request={
                    "subscription": {"name": sub, "enable_message_ordering": True},
                    "update_mask": {"paths": ["enable_message_ordering"]},
                }
            ),
            exceptions.InvalidArgument,
        ),
        (
            "ack deadline above 600",
            lambda: ps.subscriber.create_subscription(
                name=ps.sub_path(), topic=topic, ack_deadline_seconds=601
            ),
            exceptions.InvalidArgument,
        ),
    ]


def test_error_codes(any_emulator: PubSub) -> None:
    wrong = []
    for label, call, expected in _error_cases(any_emulator):
        try:
            call()
        except exceptions.GoogleAPICallError as exc:
            if not isinstance(exc, expected):
                wrong.append(f"{label}: {type(exc).__name__}, expected {expected.__name__}")
        else:
            wrong.append(f"{label}: succeeded, expected {expected.__name__}")
    assert not wrong
