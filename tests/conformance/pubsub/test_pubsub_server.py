"""The in-process `Server` and its test hooks, still driven only through the official clients:
message retention (the clock moved forward, not waited for), Seek to a time, the subscription's
own ack deadline expiring, push timeouts, error injection and clean stop."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.api_core import exceptions
from google.pubsub_v1 import types

from emulators.pubsub import Server

from .conftest import PubSub, fast_retry, make_clients, secs
from .push_endpoint import PushEndpoint

pytestmark = pytest.mark.ours_only("our emulator in process: its clock and test hooks")


def _emulator_now(server: Server) -> datetime:
    return datetime.fromtimestamp(server.clock.now(), UTC)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with Server(port=0, push_timeout_s=0.3, push_max_outstanding=1) as srv:
        yield srv


@pytest.fixture
def local(server: Server, project_id: str) -> Iterator[PubSub]:
    os.environ["PUBSUB_EMULATOR_HOST"] = server.address
    publisher, subscriber = make_clients(server.address)
    helper = PubSub(project_id, publisher, subscriber)
    yield helper
    helper.cleanup()
    subscriber.close()


def test_server_address_and_official_clients(server: Server, local: PubSub) -> None:
    host, port = server.address.rsplit(":", 1)
    assert host == "127.0.0.1" and int(port) > 0
    topic = local.topic()
    sub = local.subscription(topic)
    message_id = server.publish(topic, b"from the hook", {"via": "server"})
    (got,) = local.pull(sub)
    assert got.message.message_id == message_id
    assert got.message.attributes == {"via": "server"}


def test_messages_older_than_the_retention_are_dropped(server: Server, local: PubSub) -> None:
    topic = local.topic()
    short = local.subscription(topic, message_retention_duration=secs(600))
    default = local.subscription(topic)  # 7 days
    local.publish(topic, b"old")
    server.advance_clock(11 * 60)
    local.publish(topic, b"new")
    assert [r.message.data for r in local.pull_n(short, 1)] == [b"new"]
    assert local.pull_now(short) == []
    assert sorted(r.message.data for r in local.pull_n(default, 2)) == [b"new", b"old"]


def test_default_retention_is_seven_days(server: Server, local: PubSub) -> None:
    topic = local.topic()
    sub = local.subscription(topic)
    local.publish(topic, b"a week old")
    server.advance_clock(6 * 86400)
    assert [r.message.data for r in local.pull(sub)] == [b"a week old"]
    server.advance_clock(1 * 86400 + 60)  # past 7 days, outstanding or not
    assert local.pull_now(sub) == []


def test_subscription_ack_deadline_expires(server: Server, local: PubSub) -> None:
    topic = local.topic()
    sub = local.subscription(topic, ack_deadline_seconds=10)
    local.publish(topic, b"lease")
    (first,) = local.pull(sub)
    server.advance_clock(9)
    assert local.pull_now(sub) == []
    server.advance_clock(2)
    (again,) = local.pull(sub)
    assert again.message.message_id == first.message.message_id


def test_seek_to_a_time_replays_retained_acked_messages(server: Server, local: PubSub) -> None:
    topic = local.topic()
    sub = local.subscription(topic, retain_acked_messages=True)
    local.publish(topic, b"one", b"two")
    local.ack(sub, local.pull_n(sub, 2))
    assert local.pull_now(sub) == []
    now = _emulator_now(server)  # earlier tests moved the emulator's clock
    local.subscriber.seek(request={"subscription": sub, "time": now - timedelta(minutes=1)})
    replayed = local.pull_n(sub, 2)
    assert sorted(r.message.data for r in replayed) == [b"one", b"two"]
    # Seeking to the future marks everything acknowledged.
    local.subscriber.seek(request={"subscription": sub, "time": now + timedelta(days=1)})
    assert local.pull_now(sub) == []


def test_seek_uses_topic_retention_for_messages_before_the_subscription(
    server: Server, local: PubSub
) -> None:
    topic = local.topic(message_retention_duration=secs(3600))
    local.publish(topic, b"published before the subscription")
    sub = local.subscription(topic)
    assert local.pull_now(sub) == []
    local.subscriber.seek(
        request={"subscription": sub, "time": _emulator_now(server) - timedelta(minutes=5)}
    )
    assert [r.message.data for r in local.pull(sub)] == [b"published before the subscription"]


def test_push_timeout_is_a_nack(server: Server, local: PubSub) -> None:
    with PushEndpoint(delays=[1.0]) as endpoint:
        topic = local.topic()
        local.subscription(
            topic, push_config={"push_endpoint": endpoint.url()}, retry_policy=fast_retry()
        )
        local.publish(topic, b"slow endpoint")
        requests = endpoint.wait_for(2)
    # The first request outlived the 0.3 s push timeout: it was redelivered, though it answered.
    assert [r.json["message"]["data"] for r in requests] == [
        requests[0].json["message"]["data"]
    ] * 2


def test_push_outstanding_bound_is_configurable(server: Server, local: PubSub) -> None:
    with PushEndpoint(delay_s=0.05) as endpoint:
        topic = local.topic()
        local.subscription(topic, push_config={"push_endpoint": endpoint.url()})
        local.publish(topic, *[f"m{i}".encode() for i in range(6)])
        endpoint.wait_for(6)
    assert endpoint.max_in_flight == 1


def test_injected_errors_reach_the_client(server: Server, local: PubSub) -> None:
    topic = local.topic()
    server.inject_error("Publish", grpc.StatusCode.PERMISSION_DENIED, "not allowed", times=1)
    with pytest.raises(exceptions.PermissionDenied):
        local.publisher.raw.publish(
            topic=topic, messages=[types.PubsubMessage(data=b"x")], retry=None
        )
    assert local.publisher.raw.publish(
        topic=topic, messages=[types.PubsubMessage(data=b"x")]
    ).message_ids
    with pytest.raises(ValueError):
        server.inject_error("NoSuchRpc")


def test_stop_ends_streams_and_background_threads() -> None:
    before = set(threading.enumerate())
    srv = Server(port=0).start()
    publisher, subscriber = make_clients(srv.address)
    helper = PubSub("stop-test", publisher, subscriber)
    topic = helper.topic()
    sub = helper.subscription(topic)
    helper.subscription(topic, push_config={"push_endpoint": "http://127.0.0.1:9/"})
    future = subscriber.subscribe(sub, lambda m: m.ack())
    helper.publish(topic, b"x")
    time.sleep(0.2)
    t0 = time.monotonic()
    srv.stop()
    assert time.monotonic() - t0 < 5
    future.cancel()
    subscriber.close()
    time.sleep(0.1)
    mine = [t for t in threading.enumerate() if t not in before]
    assert not [t.name for t in mine if t.name.startswith(("pubsub-push", "pubsub-sweep"))]


def test_unexpected_errors_are_internal_and_the_server_keeps_running(
    server: Server, local: PubSub, monkeypatch: pytest.MonkeyPatch
) -> None:
    topic = local.topic()

    def broken(name: str) -> None:
        raise RuntimeError("a bug in the emulator")

    monkeypatch.setattr(server.state, "get_topic", broken)
    with pytest.raises(exceptions.InternalServerError):
        local.publisher.get_topic(topic=topic, retry=None)
    monkeypatch.undo()
    assert local.publisher.get_topic(topic=topic).name == topic
