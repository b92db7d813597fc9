"""StreamingPull: the official `SubscriberClient.subscribe()` end to end, and the raw stream
(acks, modacks and nacks on the stream, stream ack deadline, flow control)."""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict

import google.cloud.pubsub_v1 as pubsub_v1
import pytest
from google.api_core import exceptions

from .conftest import PubSub
from .raw_stream import RawStream


def test_subscribe_receives_exactly_n_messages_and_keeps_streaming(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)
    n = 150
    ps.publish(topic, *[f"before-{i}".encode() for i in range(n)])
    seen: Counter[bytes] = Counter()
    lock = threading.Lock()
    all_in = threading.Event()

    def callback(message: pubsub_v1.subscriber.message.Message) -> None:
        with lock:
            seen[message.data] += 1
            if len(seen) == 2 * n:
                all_in.set()
        message.ack()

    future = ps.subscriber.subscribe(sub, callback)
    try:
        time.sleep(0.2)
        ps.publish(topic, *[f"after-{i}".encode() for i in range(n)])  # on the open stream
        assert all_in.wait(15), f"received {len(seen)} of {2 * n}"
        time.sleep(0.5)  # nothing more may arrive
    finally:
        future.cancel()
        future.result(timeout=10)
    assert len(seen) == 2 * n
    assert set(seen.values()) == {1}
    assert ps.pull_now(sub) == []


def test_subscribe_nack_is_redelivered(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)
    ps.publish(topic, b"a", b"b", b"c")
    deliveries: Counter[bytes] = Counter()
    acked: set[bytes] = set()
    done = threading.Event()
    lock = threading.Lock()

    def callback(message: pubsub_v1.subscriber.message.Message) -> None:
        with lock:
            deliveries[message.data] += 1
            if deliveries[message.data] == 1:
                message.nack()
                return
            acked.add(message.data)
            if len(acked) == 3:
                done.set()
        message.ack()

    future = ps.subscriber.subscribe(sub, callback)
    try:
        assert done.wait(10)
    finally:
        future.cancel()
        future.result(timeout=10)
    assert deliveries == {b"a": 2, b"b": 2, b"c": 2}


@pytest.mark.ours_only("Google's delivers a key's next message before a nacked one")
def test_ordering_keys_are_delivered_in_order(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic, enable_message_ordering=True)
    publisher = pubsub_v1.PublisherClient(
        publisher_options=pubsub_v1.types.PublisherOptions(enable_message_ordering=True)
    )
    per_key = 25
    futures = []
    for i in range(per_key):
        for key in ("alpha", "beta"):
            futures.append(
                publisher.publish(topic, f"{key}-{i}".encode(), ordering_key=key, i=str(i))
            )
    for f in futures:
        f.result(timeout=10)
    delivered: dict[str, list[int]] = defaultdict(list)
    acked: dict[str, list[int]] = defaultdict(list)
    lock = threading.Lock()
    done = threading.Event()
    nacked_once = set()

    def callback(message: pubsub_v1.subscriber.message.Message) -> None:
        i = int(message.attributes["i"])
        with lock:
            delivered[message.ordering_key].append(i)
            if i == 10 and message.ordering_key not in nacked_once:
                nacked_once.add(message.ordering_key)
                message.nack()  # the key must resume with this message, not the next one
                return
            acked[message.ordering_key].append(i)
            if sum(map(len, acked.values())) == 2 * per_key:
                done.set()
        message.ack()

    future = ps.subscriber.subscribe(sub, callback)
    try:
        assert done.wait(15)
    finally:
        future.cancel()
        future.result(timeout=10)
    for key in ("alpha", "beta"):
        assert acked[key] == list(range(per_key))
        assert delivered[key] == [*range(11), *range(10, per_key)]


@pytest.mark.ours_only("Google's delivers several outstanding messages of a key")
def test_ordering_holds_back_a_key_while_a_message_is_outstanding(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic, enable_message_ordering=True)
    publisher = pubsub_v1.PublisherClient(
        publisher_options=pubsub_v1.types.PublisherOptions(enable_message_ordering=True)
    )
    for data, key in [(b"k1", "k"), (b"k2", "k"), (b"u", ""), (b"k3", "k"), (b"j1", "j")]:
        publisher.publish(topic, data, ordering_key=key).result(timeout=10)
    first = ps.pull(sub)
    time.sleep(0.05)
    first += ps.pull_now(sub)
    assert sorted(r.message.data for r in first) == [b"j1", b"k1", b"u"]
    ps.ack(sub, [r for r in first if r.message.data != b"k1"])
    assert ps.pull_now(sub) == []  # k2 waits for k1
    ps.ack(sub, [r for r in first if r.message.data == b"k1"])
    assert [r.message.data for r in ps.pull(sub)] == [b"k2"]


def test_stream_acks_modacks_and_nacks(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)
    stream = RawStream(ps.subscriber, subscription=sub, stream_ack_deadline_seconds=10)
    try:
        ps.publish(topic, b"on the stream")
        (first,) = stream.receive()
        stream.send(modify_deadline_ack_ids=[first.ack_id], modify_deadline_seconds=[0])
        (second,) = stream.receive()  # nacked: redelivered on the stream at once
        assert second.message.message_id == first.message.message_id
        assert second.ack_id != first.ack_id
        stream.send(modify_deadline_ack_ids=[second.ack_id], modify_deadline_seconds=[1])
        t0 = time.monotonic()
        (third,) = stream.receive()  # the one-second lease lapsed
        assert third.message.message_id == first.message.message_id
        assert time.monotonic() - t0 > 0.8
        stream.send(ack_ids=[third.ack_id])
        assert stream.nothing_within(0.5)
    finally:
        stream.close()
    assert ps.pull_now(sub) == []


def test_stream_ack_deadline_applies_to_streamed_messages(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic, ack_deadline_seconds=10)
    stream = RawStream(ps.subscriber, subscription=sub, stream_ack_deadline_seconds=600)
    try:
        ps.publish(topic, b"long lease")
        (got,) = stream.receive()
    finally:
        stream.close()
    # The stream's 600 s lease outlives the stream: nothing to pull after the 10 s default.
    assert ps.pull_now(sub) == []
    ps.subscriber.modify_ack_deadline(
        subscription=sub, ack_ids=[got.ack_id], ack_deadline_seconds=0
    )
    assert [r.message.data for r in ps.pull(sub)] == [b"long lease"]


@pytest.mark.ours_only("Google's emulator does not honour max_outstanding_messages")
def test_stream_flow_control(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)
    ps.publish(topic, *[f"m{i}".encode() for i in range(5)])
    stream = RawStream(
        ps.subscriber, subscription=sub, stream_ack_deadline_seconds=60, max_outstanding_messages=2
    )
    try:
        got = stream.receive()
        if len(got) < 2:
            got += stream.receive()
        assert len(got) == 2
        assert stream.nothing_within(0.5)  # two outstanding: the stream holds back
        stream.send(ack_ids=[got[0].ack_id])
        more = stream.receive()
        assert len(more) == 1
        stream.send(ack_ids=[got[1].ack_id, more[0].ack_id])
        rest = stream.receive()
        if len(rest) < 2:
            rest += stream.receive()
        assert len({r.message.message_id for r in [*got, *more, *rest]}) == 5
    finally:
        stream.close()


def test_stream_errors(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)
    bad_deadline = RawStream(ps.subscriber, subscription=sub, stream_ack_deadline_seconds=5)
    with pytest.raises(exceptions.InvalidArgument):
        bad_deadline.receive()
    bad_deadline.close()
    missing = RawStream(ps.subscriber, subscription=ps.sub_path(), stream_ack_deadline_seconds=10)
    with pytest.raises(exceptions.NotFound):
        missing.receive()
    missing.close()
    future = ps.subscriber.subscribe(ps.sub_path(), lambda m: m.ack())
    with pytest.raises(exceptions.NotFound):
        future.result(timeout=10)


def test_deleting_the_subscription_ends_the_stream(ps: PubSub) -> None:
    topic = ps.topic()
    sub = ps.subscription(topic)
    stream = RawStream(ps.subscriber, subscription=sub, stream_ack_deadline_seconds=10)
    try:
        ps.publish(topic, b"x")
        stream.receive()
        ps.subscriber.delete_subscription(subscription=sub)
        with pytest.raises(exceptions.NotFound):
            stream.receive()
    finally:
        stream.close()
