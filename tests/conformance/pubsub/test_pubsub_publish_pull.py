"""Publish, Pull, Acknowledge and ModifyAckDeadline through the official clients."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime, timedelta

import google.cloud.pubsub_v1 as pubsub_v1
import pytest
from google.api_core import exceptions
from google.pubsub_v1 import types

from .conftest import PubSub, fast_retry


def test_publish_assigns_ids_and_publish_time(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)
    before = datetime.now(UTC) - timedelta(seconds=1)
    ids = ps.publish(topic, b"one", b"two", b"three", source="test")
    assert len(set(ids)) == 3 and all(ids)
    got = ps.pull_n(sub, 3)
    assert sorted(r.message.message_id for r in got) == sorted(ids)
    for r in got:
        assert r.message.attributes == {"source": "test"}
        assert before <= r.message.publish_time <= datetime.now(UTC) + timedelta(seconds=1)
        assert r.delivery_attempt == 0  # no dead-letter policy: not reported
    assert sorted(r.message.data for r in got) == [b"one", b"three", b"two"]


def test_client_batches_many_publishes(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)
    batching = pubsub_v1.types.BatchSettings(max_messages=50, max_latency=0.05)
    publisher = pubsub_v1.PublisherClient(batch_settings=batching)
    futures = [publisher.publish(topic, f"m{i}".encode(), i=str(i)) for i in range(300)]
    ids = [f.result(timeout=10) for f in futures]
    assert len(set(ids)) == 300
    got = ps.pull_n(sub, 300)
    assert sorted(int(r.message.attributes["i"]) for r in got) == list(range(300))


def test_raw_publish_request_with_several_messages(ps: PubSub) -> None:
    topic = ps.topic()
    resp = ps.publisher.raw.publish(
        topic=topic,
        messages=[
            types.PubsubMessage(data=b"a"),
            types.PubsubMessage(attributes={"only": "attrs"}),
        ],
    )
    assert len(resp.message_ids) == 2


def test_empty_message_is_invalid_argument(ps: PubSub) -> None:
    topic = ps.topic()
    with pytest.raises(exceptions.InvalidArgument):
        ps.publisher.raw.publish(topic=topic, messages=[types.PubsubMessage()])
    with pytest.raises(exceptions.InvalidArgument):
        ps.publisher.raw.publish(topic=topic, messages=[])


def test_publish_to_missing_topic_is_not_found(ps: PubSub) -> None:
    with pytest.raises(exceptions.NotFound):
        ps.publisher.raw.publish(topic=ps.topic_path(), messages=[types.PubsubMessage(data=b"x")])


@pytest.mark.parametrize(
    "message",
    [
        types.PubsubMessage(data=b"x", attributes={"k": "v" * 1025}),  # value > 1024 bytes
        types.PubsubMessage(data=b"x", attributes={"k" * 257: "v"}),  # key > 256 bytes
        types.PubsubMessage(data=b"x", attributes={f"k{i}": "v" for i in range(101)}),
        types.PubsubMessage(data=b"x", ordering_key="o" * 1025),
        types.PubsubMessage(data=b"x" * (10 * 1024 * 1024 + 1)),  # > 10 MB
    ],
    ids=["attribute-value", "attribute-key", "attribute-count", "ordering-key", "size"],
)
@pytest.mark.ours_only("Google's emulator does not check attribute and ordering-key sizes")
def test_size_limits_are_invalid_argument(ps: PubSub, message: types.PubsubMessage) -> None:
    topic = ps.topic()
    with pytest.raises(exceptions.InvalidArgument):
        ps.publisher.raw.publish(topic=topic, messages=[message], retry=None)


def test_more_than_1000_messages_per_request_is_invalid(ps: PubSub) -> None:
    topic = ps.topic()
    with pytest.raises(exceptions.InvalidArgument):
        ps.publisher.raw.publish(
            topic=topic, messages=[types.PubsubMessage(data=b"x")] * 1001, retry=None
        )
    limits = [types.PubsubMessage(data=b"x", attributes={"k" * 256: "v" * 1024})] * 1000
    assert len(ps.publisher.raw.publish(topic=topic, messages=limits).message_ids) == 1000


def test_pull_honours_max_messages_and_return_immediately(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)
    assert ps.pull_now(sub) == []
    ps.publish(topic, *[f"m{i}".encode() for i in range(7)])
    first = ps.pull(sub, max_messages=3)
    assert 1 <= len(first) <= 3
    rest = ps.pull_n(sub, 7 - len(first))
    assert len({r.message.message_id for r in first + rest}) == 7
    assert ps.pull_now(sub) == []  # all seven are outstanding
    with pytest.raises(exceptions.InvalidArgument):
        ps.subscriber.pull(subscription=sub, max_messages=0)
    with pytest.raises(exceptions.NotFound):
        ps.subscriber.pull(subscription=ps.sub_path(), max_messages=1)


def test_pull_waits_for_a_message_published_later(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)

    def publish_soon() -> None:
        time.sleep(0.3)
        ps.publish(topic, b"late")

    threading.Thread(target=publish_soon).start()
    t0 = time.monotonic()
    got = ps.pull(sub, timeout=10)
    assert [r.message.data for r in got] == [b"late"]
    assert 0.2 < time.monotonic() - t0 < 5


def test_acknowledged_messages_are_not_redelivered(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)
    ps.publish(topic, b"a", b"b")
    got = ps.pull_n(sub, 2)
    ps.ack(sub, got)
    ps.subscriber.modify_ack_deadline(
        subscription=sub, ack_ids=[r.ack_id for r in got], ack_deadline_seconds=0
    )  # too late: nothing comes back
    assert ps.pull_now(sub) == []


def test_nack_redelivers_immediately(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)
    ps.publish(topic, b"again")
    first = ps.pull(sub)
    ps.nack(sub, first)
    second = ps.pull_now(sub)
    assert [r.message.message_id for r in second] == [first[0].message.message_id]
    assert second[0].ack_id != first[0].ack_id
    ps.ack(sub, second)


def test_ack_deadline_expires_and_redelivers(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic, ack_deadline_seconds=10)
    ps.publish(topic, b"slow consumer")
    first = ps.pull(sub)
    # ModifyAckDeadline accepts 0..600 s: shorten this lease to one second, then let it lapse.
    ps.subscriber.modify_ack_deadline(
        subscription=sub, ack_ids=[first[0].ack_id], ack_deadline_seconds=1
    )
    t0 = time.monotonic()
    assert ps.pull_now(sub) == []
    again = ps.pull(sub, timeout=10)
    elapsed = time.monotonic() - t0
    assert [r.message.message_id for r in again] == [first[0].message.message_id]
    assert 0.8 < elapsed < 5
    # The expired ack id is stale: acking with it does not ack the redelivery.
    ps.ack(sub, first)
    ps.subscriber.modify_ack_deadline(
        subscription=sub, ack_ids=[again[0].ack_id], ack_deadline_seconds=0
    )
    assert [r.message.message_id for r in ps.pull(sub)] == [first[0].message.message_id]


def test_modify_ack_deadline_extends_the_lease(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)
    ps.publish(topic, b"x")
    got = ps.pull(sub)
    ack_ids = [got[0].ack_id]
    ps.subscriber.modify_ack_deadline(subscription=sub, ack_ids=ack_ids, ack_deadline_seconds=1)
    ps.subscriber.modify_ack_deadline(subscription=sub, ack_ids=ack_ids, ack_deadline_seconds=60)
    time.sleep(1.3)
    assert ps.pull_now(sub) == []
    ps.ack(sub, got)


@pytest.mark.ours_only("Google's emulator accepts ModifyAckDeadline above 600 s")
def test_bad_ack_ids_and_deadlines_are_invalid_argument(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)
    other = ps.subscription(topic)
    ps.publish(topic, b"x")
    got = ps.pull(other)
    for call in (
        lambda: ps.subscriber.acknowledge(subscription=sub, ack_ids=["garbage"]),
        lambda: ps.subscriber.acknowledge(subscription=sub, ack_ids=[]),
        lambda: ps.subscriber.acknowledge(subscription=sub, ack_ids=[got[0].ack_id]),
        lambda: ps.subscriber.modify_ack_deadline(
            subscription=sub, ack_ids=["garbage"], ack_deadline_seconds=10
        ),
        lambda: ps.subscriber.modify_ack_deadline(
            subscription=other, ack_ids=[got[0].ack_id], ack_deadline_seconds=601
        ),
        lambda: ps.subscriber.modify_ack_deadline(
            subscription=other, ack_ids=[got[0].ack_id], ack_deadline_seconds=-1
        ),
    ):
        with pytest.raises(exceptions.InvalidArgument):
            call()
    with pytest.raises(exceptions.NotFound):
        ps.subscriber.acknowledge(subscription=ps.sub_path(), ack_ids=[got[0].ack_id])
    ps.ack(other, got)


def test_delivery_attempt_counts_with_a_dead_letter_policy(ps: PubSub) -> None:
    topic, dlq = ps.topic(), ps.topic("dlq")
    sub = ps.subscription(
        topic,
        dead_letter_policy={"dead_letter_topic": dlq, "max_delivery_attempts": 10},
        retry_policy=fast_retry(0.0, 0.0),
    )
    ps.publish(topic, b"counted")
    attempts = []
    for _ in range(3):
        got = ps.pull(sub)
        attempts.append(got[0].delivery_attempt)
        ps.nack(sub, got)
    got = ps.pull(sub)
    attempts.append(got[0].delivery_attempt)
    ps.subscriber.modify_ack_deadline(
        subscription=sub, ack_ids=[got[0].ack_id], ack_deadline_seconds=1
    )
    expired = ps.pull(sub, timeout=10)  # an expired deadline counts as a failed attempt too
    attempts.append(expired[0].delivery_attempt)
    assert attempts == [1, 2, 3, 4, 5]
    ps.ack(sub, expired)


@pytest.mark.ours_only("Google's emulator stores a retry policy without applying it")
def test_retry_policy_backs_off_exponentially_after_nacks(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic, retry_policy=fast_retry(0.1, 0.4))
    ps.publish(topic, b"backoff")
    times = []
    for _ in range(4):
        got = ps.pull(sub, timeout=10)
        times.append(time.monotonic())
        ps.nack(sub, got)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # 0.1 s, 0.2 s, 0.4 s (the maximum), give or take the housekeeping tick.
    for gap, expected in zip(gaps, [0.1, 0.2, 0.4], strict=True):
        assert expected * 0.9 <= gap <= expected + 1.5, gaps  # lower bound exact, upper loose


@pytest.mark.ours_only("Google's emulator stores a filter without applying it")
def test_filter_delivers_only_matching_messages(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(
        topic, filter='attributes.lang = "en" AND NOT hasPrefix(attributes.kind, "tmp")'
    )
    ps.publish(topic, b"en-keep", lang="en", kind="chat")
    ps.publish(topic, b"fr", lang="fr", kind="chat")
    ps.publish(topic, b"en-tmp", lang="en", kind="tmp-x")
    got = ps.pull(sub)
    time.sleep(0.1)
    got += ps.pull_now(sub)
    assert [r.message.data for r in got] == [b"en-keep"]
    assert ps.subscriber.get_subscription(subscription=sub).filter.startswith("attributes.lang")
    with pytest.raises(exceptions.InvalidArgument):
        ps.subscription(topic, filter='attributes.a = "x" AND attributes.b = "y" OR attributes:c')
