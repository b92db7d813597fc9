"""Pub/Sub's resource limits, the emulator's clock and its records: stored messages,
deliveries, leases, topic and subscription state."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from google.protobuf import duration_pb2
from google.pubsub_v1 import types

from .filters import Predicate
from .names import invalid

log = logging.getLogger("emulators.pubsub")

# The raw protobuf classes behind the client's proto-plus types: proto-plus builds them at run
# time from descriptors, and no stub describes their fields, so to mypy they are Any.
if TYPE_CHECKING:
    TopicPb = Any
    SubscriptionPb = Any
    MessagePb = Any
    ReceivedPb = Any
    PushConfigPb = Any
else:
    TopicPb = types.Topic.pb()
    SubscriptionPb = types.Subscription.pb()
    MessagePb = types.PubsubMessage.pb()
    ReceivedPb = types.ReceivedMessage.pb()
    PushConfigPb = types.PushConfig.pb()


# Limits of the real service (cloud.google.com/pubsub/quotas, "Resource limits").
MAX_PUBLISH_MESSAGES = 1000
MAX_PUBLISH_BYTES = 10 * 1024 * 1024
MAX_ATTRIBUTES = 100
MAX_ATTRIBUTE_KEY_BYTES = 256
MAX_ATTRIBUTE_VALUE_BYTES = 1024
MAX_ORDERING_KEY_BYTES = 1024
MAX_PULL_MESSAGES = 1000
MAX_PULL_RESPONSE_BYTES = 10 * 1024 * 1024
MIN_ACK_DEADLINE_S = 10
MAX_ACK_DEADLINE_S = 600
DEFAULT_ACK_DEADLINE_S = 10
MIN_RETENTION_S = 10 * 60
MAX_SUB_RETENTION_S = 7 * 24 * 3600
MAX_TOPIC_RETENTION_S = 31 * 24 * 3600
DEFAULT_EXPIRATION_TTL_S = 31 * 24 * 3600
MIN_EXPIRATION_TTL_S = 24 * 3600
MIN_DELIVERY_ATTEMPTS = 5
MAX_DELIVERY_ATTEMPTS = 100
DEFAULT_MIN_BACKOFF_S = 10
DEFAULT_MAX_BACKOFF_S = 600
MAX_BACKOFF_S = 600
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

# Attributes Pub/Sub adds to a message it forwards to a dead-letter topic.
DL_DELIVERY_COUNT = "CloudPubSubDeadLetterSourceDeliveryCount"
DL_SUBSCRIPTION = "CloudPubSubDeadLetterSourceSubscription"
DL_SUBSCRIPTION_PROJECT = "CloudPubSubDeadLetterSourceSubscriptionProject"
DL_TOPIC_PUBLISH_TIME = "CloudPubSubDeadLetterSourceTopicPublishTime"
DL_ERROR_MESSAGE = "CloudPubSubDeadLetterSourceDeliveryErrorMessage"

TOPIC_MUTABLE = {
    "labels",
    "message_storage_policy",
    "kms_key_name",
    "message_retention_duration",
    "ingestion_data_source_settings",
    "message_transforms",
}
SUB_MUTABLE = {
    "push_config",
    "ack_deadline_seconds",
    "retain_acked_messages",
    "message_retention_duration",
    "labels",
    "expiration_policy",
    "dead_letter_policy",
    "retry_policy",
    "enable_exactly_once_delivery",
    "message_transforms",
}
SUB_IMMUTABLE = {"name", "topic", "enable_message_ordering", "filter", "detached"}
SUB_UNSUPPORTED = ("bigquery_config", "cloud_storage_config", "bigtable_config")


class Clock:
    """Wall-clock time plus an offset that tests may move forward (`Server.advance_clock`)."""

    def __init__(self) -> None:
        self._offset_ns = 0

    def now_ns(self) -> int:
        return time.time_ns() + self._offset_ns

    def now(self) -> float:
        return self.now_ns() / 1e9

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the emulator's clock only moves forward")
        self._offset_ns += int(seconds * 1e9)


def seconds(d: duration_pb2.Duration) -> float:
    return d.seconds + d.nanos / 1e9


def duration(s: float) -> duration_pb2.Duration:
    whole = int(s)
    return duration_pb2.Duration(seconds=whole, nanos=round((s - whole) * 1e9))


def fmt_seconds(s: float) -> str:
    return f"{s:g}s"


@dataclass(eq=False)
class StoredMessage:
    seq: int
    pb: MessagePb  # message_id and publish_time set; never mutated
    publish_s: float
    size: int


class Lease:
    """Who holds an outstanding delivery: a stream (flow control) or the push deliverer."""

    expires = True  # False: the holder resolves it itself (a push request in flight)

    def hold(self, d: Delivery) -> None:
        pass

    def release(self, d: Delivery) -> None:
        pass


@dataclass(eq=False)
class Delivery:
    msg: StoredMessage
    attempts: int = 0
    failures: int = 0
    ready_at: float = 0.0
    ack_id: str | None = None
    deadline: float = 0.0
    lease: Lease | None = None
    acked: bool = False
    last_error: str = ""


@dataclass(eq=False)
class TopicState:
    pb: TopicPb
    subs: set[str] = field(default_factory=set)
    log: list[StoredMessage] = field(default_factory=list)  # only with message retention


@dataclass(eq=False)
class SubState:
    pb: SubscriptionPb
    uid: str
    predicate: Predicate | None
    backlog: dict[int, Delivery] = field(default_factory=dict)
    by_ack: dict[str, Delivery] = field(default_factory=dict)
    counter: int = 0
    push_inflight: int = 0
    deleted: bool = False
    # Bumped whenever a message of this subscription may have become deliverable; with
    # `next_ready` (the earliest backoff end seen by the last scan) it lets streams skip scans.
    version: int = 0
    next_ready: float = 0.0

    @property
    def name(self) -> str:
        return self.pb.name

    @property
    def is_push(self) -> bool:
        return bool(self.pb.push_config.push_endpoint) and not self.pb.detached

    def max_attempts(self) -> int | None:
        dlp = self.pb.dead_letter_policy
        if not self.pb.HasField("dead_letter_policy") or not dlp.dead_letter_topic:
            return None
        return dlp.max_delivery_attempts or MIN_DELIVERY_ATTEMPTS

    def retention_s(self) -> float:
        if self.pb.HasField("message_retention_duration"):
            return seconds(self.pb.message_retention_duration)
        return MAX_SUB_RETENTION_S


@dataclass
class PushJob:
    """One push request to make, prepared under the lock, performed outside it."""

    subscription: str
    ack_id: str
    message: MessagePb
    delivery_attempt: int | None
    push_config: PushConfigPb
    timeout_s: float


class PushLease(Lease):
    expires = False

    def __init__(self, sub: SubState) -> None:
        self.sub = sub

    def hold(self, d: Delivery) -> None:
        self.sub.push_inflight += 1

    def release(self, d: Delivery) -> None:
        self.sub.push_inflight -= 1


def check_duration(d: duration_pb2.Duration, lo: float, hi: float, what: str) -> float:
    s = seconds(d)
    if s < lo or s > hi:
        raise invalid(f"{what} out of bounds")
    return s


def valid_endpoint(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
