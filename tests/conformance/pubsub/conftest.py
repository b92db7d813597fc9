"""Fixtures of the Pub/Sub conformance suite.

- `publisher`, `subscriber`: the official clients (`google.cloud.pubsub_v1`), pointed at the
  session's emulator (`pubsub_emulator`) only through `PUBSUB_EMULATOR_HOST`.
- `ps`: this module's project (fresh per module) with helpers that create topics and
  subscriptions and delete them when the test ends.
- `official_pubsub`: Google's emulator (`gcloud beta emulators pubsub start`), when installed;
  tests that use it are marked `official` and skip without gcloud.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import google.cloud.pubsub_v1 as pubsub_v1
import pytest
from google import pubsub_v1 as gapic
from google.api_core import exceptions
from google.protobuf import duration_pb2

from emulators.launcher import ManagedProcess, gcloud_emulator_installed
from tests.conftest import start_official


class Publisher(pubsub_v1.PublisherClient):
    """The official client, with the generated one (one Publish RPC per call, no batching) for
    raw requests beside it."""

    def __init__(self) -> None:
        super().__init__()
        self.raw = gapic.PublisherClient()


def make_clients(address: str) -> tuple[Publisher, pubsub_v1.SubscriberClient]:
    """Official clients on an emulator, configured as users do: PUBSUB_EMULATOR_HOST."""
    saved = os.environ.get("PUBSUB_EMULATOR_HOST")
    os.environ["PUBSUB_EMULATOR_HOST"] = address
    try:
        return Publisher(), pubsub_v1.SubscriberClient()
    finally:
        if saved is None:
            os.environ.pop("PUBSUB_EMULATOR_HOST", None)
        else:
            os.environ["PUBSUB_EMULATOR_HOST"] = saved


def seconds(value: object) -> float:
    """A Duration field's seconds: proto-plus hands Durations out as timedelta, though the
    client's annotations say Duration."""
    assert isinstance(value, timedelta)
    return value.total_seconds()


def secs(s: float) -> duration_pb2.Duration:
    whole = int(s)
    return duration_pb2.Duration(seconds=whole, nanos=int((s - whole) * 1e9))


def fast_retry(lo: float = 0.05, hi: float = 0.2) -> dict:
    """A retry policy with backoffs small enough for tests (Pub/Sub allows 0..600 s)."""
    return {"minimum_backoff": secs(lo), "maximum_backoff": secs(hi)}


@dataclass
class PubSub:
    """One project on one emulator, with cleanup of what the test created."""

    project: str
    publisher: Publisher
    subscriber: pubsub_v1.SubscriberClient
    _topics: list[str] = field(default_factory=list)
    _subs: list[str] = field(default_factory=list)

    def topic_path(self, prefix: str = "topic") -> str:
        return f"projects/{self.project}/topics/{prefix}-{uuid.uuid4().hex[:10]}"

    def sub_path(self, prefix: str = "sub") -> str:
        return f"projects/{self.project}/subscriptions/{prefix}-{uuid.uuid4().hex[:10]}"

    def topic(self, prefix: str = "topic", **fields: object) -> str:
        name = self.topic_path(prefix)
        self._topics.append(name)
        self.publisher.create_topic(request={"name": name, **fields})
        return name

    def subscription(self, topic: str, prefix: str = "sub", **fields: object) -> str:
        name = self.sub_path(prefix)
        self._subs.append(name)
        self.subscriber.create_subscription(request={"name": name, "topic": topic, **fields})
        return name

    def publish(self, topic: str, *payloads: bytes, **attributes: str) -> list[str]:
        futures = [
            self.publisher.publish(topic, p, **attributes)  # type: ignore[arg-type]  # attributes go as keywords, as the client documents
            for p in payloads
        ]
        return [f.result(timeout=10) for f in futures]

    def pull(self, sub: str, max_messages: int = 10, timeout: float = 5.0) -> list:
        """One Pull that waits (up to timeout) for at least one message."""
        resp = self.subscriber.pull(
            request={"subscription": sub, "max_messages": max_messages}, timeout=timeout
        )
        return list(resp.received_messages)

    def pull_now(self, sub: str, max_messages: int = 10) -> list:
        """One Pull with return_immediately (deprecated for clients, still honoured)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            resp = self.subscriber.pull(
                request={
                    "subscription": sub,
                    "max_messages": max_messages,
                    "return_immediately": True,
                }
            )
        return list(resp.received_messages)

    def pull_n(self, sub: str, n: int, timeout: float = 10.0) -> list:
        """Pull until n messages arrived (without acking them)."""
        got: list = []
        deadline = time.monotonic() + timeout
        while len(got) < n and time.monotonic() < deadline:
            got += self.pull(sub, max_messages=n - len(got), timeout=deadline - time.monotonic())
        return got

    def ack(self, sub: str, received: list) -> None:
        self.subscriber.acknowledge(subscription=sub, ack_ids=[r.ack_id for r in received])

    def nack(self, sub: str, received: list) -> None:
        self.subscriber.modify_ack_deadline(
            subscription=sub, ack_ids=[r.ack_id for r in received], ack_deadline_seconds=0
        )

    def cleanup(self) -> None:
        for sub in self._subs:
            with contextlib.suppress(exceptions.NotFound):
                self.subscriber.delete_subscription(subscription=sub)
        for topic in self._topics:
            with contextlib.suppress(exceptions.NotFound):
                self.publisher.delete_topic(topic=topic)


@pytest.fixture(autouse=True)
def _emulator_env(request: pytest.FixtureRequest) -> None:
    """Point code that builds its own client at the session emulator, as a deployment would."""
    if "pubsub_emulator" in request.fixturenames:
        os.environ["PUBSUB_EMULATOR_HOST"] = request.getfixturevalue("pubsub_emulator").address


@pytest.fixture
def publisher(pubsub_emulator: ManagedProcess) -> Publisher:
    return make_clients(pubsub_emulator.address)[0]


@pytest.fixture
def subscriber(pubsub_emulator: ManagedProcess) -> Iterator[pubsub_v1.SubscriberClient]:
    client = make_clients(pubsub_emulator.address)[1]
    yield client
    client.close()


@pytest.fixture
def ps(
    project_id: str,
    publisher: Publisher,
    subscriber: pubsub_v1.SubscriberClient,
) -> Iterator[PubSub]:
    helper = PubSub(project_id, publisher, subscriber)
    yield helper
    helper.cleanup()


@pytest.fixture(scope="session")
def official_pubsub() -> Iterator[ManagedProcess]:
    if not gcloud_emulator_installed("pubsub"):
        pytest.skip("Google's Pub/Sub emulator (gcloud) is not installed")
    proc = start_official("pubsub")
    try:
        yield proc
    finally:
        proc.stop()
