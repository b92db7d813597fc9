"""The emulator's state: topics, subscriptions, messages and their deliveries, behind one lock.

Everything is keyed by full resource name (`projects/p/topics/t`), so projects are apart by
construction. Every public method takes the lock, validates, mutates and returns protobufs (the
raw classes behind the `google.pubsub_v1.types` proto-plus messages) or raises `ApiError`.

Delivery model, per subscription: a backlog of `Delivery` records in publish order. A record is
*ready* (deliverable when its backoff has passed), *outstanding* (leased under an ack id until a
deadline, by a Pull, a StreamingPull stream or the push deliverer) or *acked* (kept only with
`retain_acked_messages`). A nack (ModifyAckDeadline 0, a failed push) or an expired deadline is a
failed attempt: the message becomes ready again after the retry policy's backoff, or is
forwarded to the dead-letter topic once it has been delivered `max_delivery_attempts` times.
`sweep()` (called by a housekeeping thread) expires deadlines and enforces retention.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import logging
import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import grpc
from google.protobuf import duration_pb2, timestamp_pb2
from google.pubsub_v1 import types

from .filters import Predicate, compile_filter
from .names import DELETED_TOPIC, ApiError, check, check_project, invalid, not_found

log = logging.getLogger("emulators.pubsub")

TopicPb = types.Topic.pb()
SubscriptionPb = types.Subscription.pb()
MessagePb = types.PubsubMessage.pb()
ReceivedPb = types.ReceivedMessage.pb()

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

_TOPIC_MUTABLE = {
    "labels",
    "message_storage_policy",
    "kms_key_name",
    "message_retention_duration",
    "ingestion_data_source_settings",
    "message_transforms",
}
_SUB_MUTABLE = {
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
_SUB_IMMUTABLE = {"name", "topic", "enable_message_ordering", "filter", "detached"}
_SUB_UNSUPPORTED = ("bigquery_config", "cloud_storage_config", "bigtable_config")


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


def _fmt_s(s: float) -> str:
    return f"{s:g}s"


@dataclass(eq=False)
class StoredMessage:
    seq: int
    pb: MessagePb  # type: ignore[valid-type]  # message_id and publish_time set; never mutated
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
    pb: TopicPb  # type: ignore[valid-type]
    subs: set[str] = field(default_factory=set)
    log: list[StoredMessage] = field(default_factory=list)  # only with message retention


@dataclass(eq=False)
class SubState:
    pb: SubscriptionPb  # type: ignore[valid-type]
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
    message: MessagePb  # type: ignore[valid-type]
    delivery_attempt: int | None
    push_config: types.PushConfig.pb()  # type: ignore[valid-type]
    timeout_s: float


class PushLease(Lease):
    expires = False

    def __init__(self, sub: SubState) -> None:
        self.sub = sub

    def hold(self, d: Delivery) -> None:
        self.sub.push_inflight += 1

    def release(self, d: Delivery) -> None:
        self.sub.push_inflight -= 1


def _check_duration(d: duration_pb2.Duration, lo: float, hi: float, what: str) -> float:
    s = seconds(d)
    if s < lo or s > hi:
        raise invalid(f"{what} out of bounds")
    return s


def _valid_endpoint(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class PubSubState:
    def __init__(
        self,
        clock: Clock | None = None,
        *,
        push_min_backoff_s: float = 0.1,
        push_max_backoff_s: float = 60.0,
        push_max_outstanding: int = 4,
        push_timeout_s: float | None = None,
    ) -> None:
        self.clock = clock or Clock()
        self.push_timeout_s = push_timeout_s
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.topics: dict[str, TopicState] = {}
        self.subs: dict[str, SubState] = {}
        self.push_min_backoff_s = push_min_backoff_s
        self.push_max_backoff_s = push_max_backoff_s
        self.push_max_outstanding = push_max_outstanding
        self.stopping = False
        self._next_seq = 1
        self._wakeups: list[float] = []
        self._last_retention_sweep = 0.0
        self._version = 0  # bumped whenever something may have become deliverable

    # ------------------------------------------------------------------ helpers
    def _changed(self) -> None:
        self._version += 1
        self.cond.notify_all()

    def _topic(self, name: str) -> TopicState:
        check(name, "topics")
        t = self.topics.get(name)
        if t is None:
            raise not_found("Topic not found")
        return t

    def _sub(self, name: str) -> SubState:
        check(name, "subscriptions")
        s = self.subs.get(name)
        if s is None:
            raise not_found("Subscription does not exist")
        return s

    @staticmethod
    def _copy(pb):
        """A copy to hand out: callers serialize answers after the lock is released."""
        out = type(pb)()
        out.CopyFrom(pb)
        return out

    def _sub_view(self, sub: SubState) -> SubscriptionPb:  # type: ignore[valid-type]
        out = SubscriptionPb()
        out.CopyFrom(sub.pb)
        t = self.topics.get(sub.pb.topic)
        if t is not None and t.pb.HasField("message_retention_duration"):
            out.topic_message_retention_duration.CopyFrom(t.pb.message_retention_duration)
        return out

    @staticmethod
    def _page(names: list[str], page_size: int, token: str) -> tuple[list[str], str]:
        if page_size < 0:
            raise invalid("page_size must not be negative")
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        names = sorted(names)
        if token:
            try:
                after = base64.urlsafe_b64decode(token.encode()).decode()
            except (binascii.Error, UnicodeDecodeError, ValueError):
                raise invalid("Invalid page token") from None
            names = [n for n in names if n > after]
        page = names[:size]
        nxt = ""
        if len(names) > size:
            nxt = base64.urlsafe_b64encode(page[-1].encode()).decode()
        return page, nxt

    # ------------------------------------------------------------------ topics
    def create_topic(self, topic: TopicPb) -> TopicPb:  # type: ignore[valid-type]
        with self.lock:
            check(topic.name, "topics")
            if topic.name in self.topics:
                raise ApiError(grpc.StatusCode.ALREADY_EXISTS, "Topic already exists")
            self._validate_topic(topic, {f.name for f, _ in topic.ListFields()})
            pb = TopicPb()
            pb.CopyFrom(topic)
            pb.state = types.Topic.State.ACTIVE
            self.topics[topic.name] = TopicState(pb)
            return self._copy(pb)

    def _validate_topic(self, topic: TopicPb, paths: Iterable[str]) -> None:  # type: ignore[valid-type]
        paths = set(paths or ())
        if "message_retention_duration" in paths and topic.HasField("message_retention_duration"):
            _check_duration(
                topic.message_retention_duration,
                MIN_RETENTION_S,
                MAX_TOPIC_RETENTION_S,
                "message_retention_duration",
            )
        if "schema_settings" in paths and topic.HasField("schema_settings"):
            raise ApiError(
                grpc.StatusCode.UNIMPLEMENTED, "schemas are not supported by this emulator"
            )

    def get_topic(self, name: str) -> TopicPb:  # type: ignore[valid-type]
        with self.lock:
            return self._copy(self._topic(name).pb)

    def update_topic(self, topic: TopicPb, mask_paths: list[str]) -> TopicPb:  # type: ignore[valid-type]
        with self.lock:
            if not mask_paths:
                raise invalid(
                    "The update_mask in the UpdateTopicRequest must be set, and must contain a "
                    "non-empty paths list."
                )
            t = self._topic(topic.name)
            for path in mask_paths:
                if path == "schema_settings":
                    continue
                if path not in _TOPIC_MUTABLE:
                    raise invalid(
                        "Invalid update_mask provided in the UpdateTopicRequest: "
                        f"{path} is not a known Topic field."
                    )
            self._validate_topic(topic, mask_paths)
            for path in mask_paths:
                t.pb.ClearField(path)
                desc = TopicPb.DESCRIPTOR.fields_by_name[path]
                if desc.message_type is not None and desc.label != desc.LABEL_REPEATED:
                    if topic.HasField(path):
                        getattr(t.pb, path).CopyFrom(getattr(topic, path))
                elif desc.label == desc.LABEL_REPEATED:
                    if desc.message_type is not None and desc.message_type.GetOptions().map_entry:
                        getattr(t.pb, path).update(getattr(topic, path))
                    else:
                        getattr(t.pb, path).extend(getattr(topic, path))
                else:
                    setattr(t.pb, path, getattr(topic, path))
            if not t.pb.HasField("message_retention_duration"):
                t.log.clear()
            return self._copy(t.pb)

    def list_topics(self, project: str, page_size: int, token: str) -> tuple[list, str]:
        with self.lock:
            check_project(project)
            prefix = project + "/topics/"
            names = [n for n in self.topics if n.startswith(prefix)]
            page, nxt = self._page(names, page_size, token)
            return [self._copy(self.topics[n].pb) for n in page], nxt

    def list_topic_subscriptions(self, topic: str, page_size: int, token: str) -> tuple[list, str]:
        with self.lock:
            check(topic, "topics")
            t = self.topics.get(topic)
            names = list(t.subs) if t else []  # Google's emulator answers [] for a missing topic
            return self._page(names, page_size, token)

    def delete_topic(self, name: str) -> None:
        with self.lock:
            t = self._topic(name)
            for sub_name in t.subs:
                s = self.subs.get(sub_name)
                if s is not None:
                    s.pb.topic = DELETED_TOPIC
            del self.topics[name]
            self._changed()

    def detach_subscription(self, name: str) -> None:
        with self.lock:
            sub = self._sub(name)
            t = self.topics.get(sub.pb.topic)
            if t is not None:
                t.subs.discard(name)
            sub.pb.detached = True
            for d in list(sub.backlog.values()):
                self._release(sub, d)
            sub.backlog.clear()
            self._changed()

    # ------------------------------------------------------------------ subscriptions
    def create_subscription(self, req: SubscriptionPb) -> SubscriptionPb:  # type: ignore[valid-type]
        with self.lock:
            if not req.name:
                raise invalid("Invalid [subscriptions] name: (name=)")
            check(req.name, "subscriptions")
            if req.name in self.subs:
                raise ApiError(grpc.StatusCode.ALREADY_EXISTS, "Subscription already exists")
            if not req.topic:
                raise invalid("Invalid [topics] name: (name=)")
            check(req.topic, "topics")
            topic = self.topics.get(req.topic)
            if topic is None:
                raise not_found("Subscription topic does not exist")
            pb = SubscriptionPb()
            pb.CopyFrom(req)
            pb.detached = False
            pb.ClearField("topic_message_retention_duration")
            if pb.ack_deadline_seconds == 0:
                pb.ack_deadline_seconds = DEFAULT_ACK_DEADLINE_S
            if not pb.HasField("message_retention_duration"):
                pb.message_retention_duration.CopyFrom(duration(MAX_SUB_RETENTION_S))
            if not pb.HasField("expiration_policy"):
                pb.expiration_policy.ttl.CopyFrom(duration(DEFAULT_EXPIRATION_TTL_S))
            predicate = compile_filter(pb.filter)
            self._validate_sub(pb, {f.name for f, _ in pb.ListFields()} | {"ack_deadline_seconds"})
            pb.state = types.Subscription.State.ACTIVE
            sub = SubState(pb=pb, uid=uuid.uuid4().hex[:8], predicate=predicate)
            self.subs[pb.name] = sub
            topic.subs.add(pb.name)
            return self._sub_view(sub)

    def _validate_sub(self, pb: SubscriptionPb, paths: set[str]) -> None:  # type: ignore[valid-type]
        for unsupported in _SUB_UNSUPPORTED:
            if unsupported in paths and pb.HasField(unsupported):
                raise ApiError(
                    grpc.StatusCode.UNIMPLEMENTED,
                    f"{unsupported} subscriptions are not supported by this emulator",
                )
        if "ack_deadline_seconds" in paths:
            ads = pb.ack_deadline_seconds
            if ads < MIN_ACK_DEADLINE_S or ads > MAX_ACK_DEADLINE_S:
                raise invalid("ack_deadline_secs out of bounds")
        if "message_retention_duration" in paths and pb.HasField("message_retention_duration"):
            _check_duration(
                pb.message_retention_duration,
                MIN_RETENTION_S,
                MAX_SUB_RETENTION_S,
                "message_retention_duration",
            )
        if "expiration_policy" in paths and pb.expiration_policy.HasField("ttl"):
            ttl = seconds(pb.expiration_policy.ttl)
            if ttl < MIN_EXPIRATION_TTL_S:
                raise invalid("Invalid expiration_policy: the ttl must be at least 1 day")
        endpoint = pb.push_config.push_endpoint
        if "push_config" in paths and endpoint and not _valid_endpoint(endpoint):
            raise invalid("Unsupported push_endpoint")
        if "dead_letter_policy" in paths and pb.HasField("dead_letter_policy"):
            dlp = pb.dead_letter_policy
            if dlp.dead_letter_topic:
                check(dlp.dead_letter_topic, "topics")
                if dlp.dead_letter_topic not in self.topics:
                    raise not_found("Dead letter topic not found")
            n = dlp.max_delivery_attempts
            if n == 0:
                dlp.max_delivery_attempts = MIN_DELIVERY_ATTEMPTS
            elif n < MIN_DELIVERY_ATTEMPTS:
                raise ApiError(
                    grpc.StatusCode.OUT_OF_RANGE,
                    "The value for max_delivery_attempts is too small. You passed "
                    f"{n} in the request, but the minimum value is {MIN_DELIVERY_ATTEMPTS}.",
                )
            elif n > MAX_DELIVERY_ATTEMPTS:
                raise ApiError(
                    grpc.StatusCode.OUT_OF_RANGE,
                    "The value for max_delivery_attempts is too large. You passed "
                    f"{n} in the request, but the maximum value is {MAX_DELIVERY_ATTEMPTS}.",
                )
        if "retry_policy" in paths and pb.HasField("retry_policy"):
            rp = pb.retry_policy
            if not rp.HasField("minimum_backoff"):
                rp.minimum_backoff.CopyFrom(duration(DEFAULT_MIN_BACKOFF_S))
            if not rp.HasField("maximum_backoff"):
                rp.maximum_backoff.CopyFrom(duration(DEFAULT_MAX_BACKOFF_S))
            for what in ("minimum_backoff", "maximum_backoff"):
                s = seconds(getattr(rp, what))
                if s < 0 or s > MAX_BACKOFF_S:
                    raise invalid(
                        f"The value for {what} is out of bounds. You passed {_fmt_s(s)} in the "
                        f"request, but the value must be between 0s and {MAX_BACKOFF_S}s."
                    )
            if seconds(rp.minimum_backoff) > seconds(rp.maximum_backoff):
                raise invalid("minimum_backoff must not be greater than maximum_backoff")

    def get_subscription(self, name: str) -> SubscriptionPb:  # type: ignore[valid-type]
        with self.lock:
            return self._sub_view(self._sub(name))

    def update_subscription(
        self,
        update: SubscriptionPb,  # type: ignore[valid-type]
        mask_paths: list[str],
    ) -> SubscriptionPb:  # type: ignore[valid-type]
        with self.lock:
            if not mask_paths:
                raise invalid(
                    "The update_mask in the UpdateSubscriptionRequest must be set, and must "
                    "contain a non-empty paths list."
                )
            sub = self._sub(update.name)
            for path in mask_paths:
                if path in _SUB_IMMUTABLE:
                    raise invalid(
                        "Invalid update_mask provided in the UpdateSubscriptionRequest: the "
                        f"{path} field in the Subscription is not mutable."
                    )
                if path not in _SUB_MUTABLE and path not in _SUB_UNSUPPORTED:
                    raise invalid(
                        "Invalid update_mask provided in the UpdateSubscriptionRequest: "
                        f"{path} is not a known Subscription field."
                    )
            candidate = SubscriptionPb()
            candidate.CopyFrom(sub.pb)
            for path in mask_paths:
                candidate.ClearField(path)
                desc = SubscriptionPb.DESCRIPTOR.fields_by_name[path]
                if desc.label == desc.LABEL_REPEATED:
                    if desc.message_type is not None and desc.message_type.GetOptions().map_entry:
                        getattr(candidate, path).update(getattr(update, path))
                    else:
                        getattr(candidate, path).extend(getattr(update, path))
                elif desc.message_type is not None:
                    if update.HasField(path):
                        getattr(candidate, path).CopyFrom(getattr(update, path))
                else:
                    setattr(candidate, path, getattr(update, path))
            if "ack_deadline_seconds" in mask_paths and candidate.ack_deadline_seconds == 0:
                candidate.ack_deadline_seconds = DEFAULT_ACK_DEADLINE_S
            if "message_retention_duration" in mask_paths and not candidate.HasField(
                "message_retention_duration"
            ):
                candidate.message_retention_duration.CopyFrom(duration(MAX_SUB_RETENTION_S))
            self._validate_sub(candidate, set(mask_paths))
            sub.pb.CopyFrom(candidate)
            sub.version += 1
            self._changed()
            return self._sub_view(sub)

    def list_subscriptions(self, project: str, page_size: int, token: str) -> tuple[list, str]:
        with self.lock:
            check_project(project)
            prefix = project + "/subscriptions/"
            names = [n for n in self.subs if n.startswith(prefix)]
            page, nxt = self._page(names, page_size, token)
            return [self._sub_view(self.subs[n]) for n in page], nxt

    def delete_subscription(self, name: str) -> None:
        with self.lock:
            sub = self._sub(name)
            for d in list(sub.backlog.values()):
                self._release(sub, d)
            sub.backlog.clear()
            sub.deleted = True
            del self.subs[name]
            t = self.topics.get(sub.pb.topic)
            if t is not None:
                t.subs.discard(name)
            self._changed()

    def modify_push_config(self, name: str, push_config: types.PushConfig.pb()) -> None:  # type: ignore[valid-type]
        with self.lock:
            sub = self._sub(name)
            if push_config.push_endpoint and not _valid_endpoint(push_config.push_endpoint):
                raise invalid("Unsupported push_endpoint")
            sub.pb.push_config.CopyFrom(push_config)
            sub.version += 1
            self._changed()

    # ------------------------------------------------------------------ publishing
    def publish(self, topic_name: str, messages: list) -> list[str]:
        with self.lock:
            topic = self._topic(topic_name)
            if not messages:
                raise invalid("No messages to publish")
            if len(messages) > MAX_PUBLISH_MESSAGES:
                raise invalid("Too many messages to publish")
            total = 0
            for m in messages:
                if not m.data and not m.attributes:
                    raise invalid("Some messages are empty")
                total += m.ByteSize()
                if len(m.attributes) > MAX_ATTRIBUTES:
                    raise invalid(f"A message has more than {MAX_ATTRIBUTES} attributes")
                for k, v in m.attributes.items():
                    if not k:
                        raise invalid("An attribute key is empty")
                    if len(k.encode()) > MAX_ATTRIBUTE_KEY_BYTES:
                        raise invalid(
                            f"An attribute key is longer than {MAX_ATTRIBUTE_KEY_BYTES} bytes"
                        )
                    if len(v.encode()) > MAX_ATTRIBUTE_VALUE_BYTES:
                        raise invalid(
                            f"An attribute value is longer than {MAX_ATTRIBUTE_VALUE_BYTES} bytes"
                        )
                if len(m.ordering_key.encode()) > MAX_ORDERING_KEY_BYTES:
                    raise invalid(f"An ordering key is longer than {MAX_ORDERING_KEY_BYTES} bytes")
            if total > MAX_PUBLISH_BYTES:
                raise invalid(f"Request payload size exceeds the limit: {MAX_PUBLISH_BYTES} bytes.")
            return self._publish_locked(topic, messages)

    def _publish_locked(self, topic: TopicState, messages: Iterable) -> list[str]:
        ids = []
        now_ns = self.clock.now_ns()
        now = now_ns / 1e9
        retain = topic.pb.HasField("message_retention_duration")
        subs = [self.subs[n] for n in sorted(topic.subs) if n in self.subs]
        for m in messages:
            seq = self._next_seq
            self._next_seq += 1
            pb = MessagePb()
            pb.data = m.data
            pb.attributes.update(m.attributes)
            pb.ordering_key = m.ordering_key
            pb.message_id = str(seq)
            pb.publish_time.CopyFrom(
                timestamp_pb2.Timestamp(seconds=now_ns // 10**9, nanos=now_ns % 10**9)
            )
            stored = StoredMessage(seq=seq, pb=pb, publish_s=now, size=pb.ByteSize())
            ids.append(pb.message_id)
            if retain:
                topic.log.append(stored)
            for sub in subs:
                if sub.predicate is None or sub.predicate(pb.attributes):
                    sub.backlog[seq] = Delivery(stored, ready_at=now)
                    sub.version += 1
        self._changed()
        return ids

    # ------------------------------------------------------------------ delivery
    def _release(self, sub: SubState, d: Delivery) -> None:
        """End the lease of an outstanding delivery (its ack id becomes stale)."""
        sub.version += 1
        if d.ack_id is not None:
            sub.by_ack.pop(d.ack_id, None)
            d.ack_id = None
            if d.lease is not None:
                d.lease.release(d)
            d.lease = None

    def lease(
        self,
        sub: SubState,
        max_messages: int,
        max_bytes: int,
        deadline_s: float,
        holder: Lease | None,
    ) -> list:
        """Lease up to max_messages ready messages under fresh ack ids. Caller holds the lock."""
        out: list = []
        if max_messages <= 0 or sub.pb.detached:
            return out
        now = self.clock.now()
        ordered = sub.pb.enable_message_ordering
        blocked: set[str] = set()
        soonest = float("inf")
        budget = max_bytes
        attempts_cap = sub.max_attempts()
        for d in sub.backlog.values():
            if d.acked:
                continue
            key = d.msg.pb.ordering_key if ordered else ""
            if key:
                if key in blocked:
                    continue
                blocked.add(key)  # nothing after this one for the key while it is unacked
            if d.ack_id is not None:
                continue
            if d.ready_at > now:
                soonest = min(soonest, d.ready_at)
                continue
            if out and d.msg.size > budget:
                break
            budget -= d.msg.size
            d.attempts += 1
            sub.counter += 1
            ack_id = f"{sub.uid}:{d.msg.seq}:{sub.counter}"
            d.ack_id = ack_id
            d.deadline = now + deadline_s
            d.lease = holder
            sub.by_ack[ack_id] = d
            if holder is not None:
                holder.hold(d)
            rm = ReceivedPb()
            rm.ack_id = ack_id
            rm.message.CopyFrom(d.msg.pb)
            if attempts_cap is not None:
                rm.delivery_attempt = d.attempts
            out.append(rm)
            if len(out) >= max_messages:
                break
        sub.next_ready = soonest
        return out

    def pull(self, name: str, max_messages: int, return_immediately: bool, wait_s: float) -> list:
        with self.lock:
            sub = self._sub(name)
            if max_messages <= 0:
                raise invalid("No max_messages specified")
            if sub.pb.detached:
                raise ApiError(grpc.StatusCode.FAILED_PRECONDITION, "Subscription is detached")
            n = min(max_messages, MAX_PULL_MESSAGES)
            give_up = time.monotonic() + wait_s
            while True:
                self._sweep_sub(sub, self.clock.now())
                out = self.lease(sub, n, MAX_PULL_RESPONSE_BYTES, sub.pb.ack_deadline_seconds, None)
                left = give_up - time.monotonic()
                if out or return_immediately or left <= 0 or self.stopping or sub.deleted:
                    if sub.deleted and not out:
                        raise not_found("Subscription does not exist")
                    return out
                self.cond.wait(min(left, 0.5))

    def _parse_ack_ids(self, sub: SubState, ack_ids: Iterable[str]) -> list[Delivery]:
        found = []
        for ack_id in ack_ids:
            parts = ack_id.split(":")
            if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
                raise invalid(f"Invalid ack id (ack_id={ack_id})")
            if parts[0] != sub.uid:
                raise invalid(
                    f"Subscription {sub.name} received an invalid ack ID {ack_id}, meant for "
                    "another subscription"
                )
            d = sub.by_ack.get(ack_id)
            if d is not None:
                found.append(d)
        return found

    def acknowledge(self, name: str, ack_ids: list[str]) -> None:
        with self.lock:
            sub = self._sub(name)
            if not ack_ids:
                raise invalid("No ack ids specified.")
            self._ack(sub, self._parse_ack_ids(sub, ack_ids))

    def _ack(self, sub: SubState, deliveries: Iterable[Delivery]) -> None:
        changed = False
        for d in deliveries:
            self._release(sub, d)
            changed = True
            if sub.pb.retain_acked_messages:
                d.acked = True
            else:
                sub.backlog.pop(d.msg.seq, None)
        if changed:
            self._changed()

    def modify_ack_deadline(self, name: str, ack_ids: list[str], deadline_s: int) -> None:
        with self.lock:
            sub = self._sub(name)
            if not ack_ids:
                raise invalid("No ack ids specified.")
            self._modack(sub, ack_ids, deadline_s)

    def _modack(self, sub: SubState, ack_ids: Iterable[str], deadline_s: int) -> None:
        if deadline_s < 0:
            raise invalid("Ack deadline cannot be negative")
        if deadline_s > MAX_ACK_DEADLINE_S:
            raise invalid(
                f"Invalid ack deadline: {deadline_s}s; the maximum is {MAX_ACK_DEADLINE_S}s"
            )
        deliveries = self._parse_ack_ids(sub, ack_ids)
        now = self.clock.now()
        for d in deliveries:
            if deadline_s == 0:
                self._fail(sub, d, "nack", now)
            elif d.lease is None or d.lease.expires:
                d.deadline = now + deadline_s

    def _backoff(self, sub: SubState, failures: int) -> float:
        if sub.pb.HasField("retry_policy"):
            lo = seconds(sub.pb.retry_policy.minimum_backoff)
            hi = seconds(sub.pb.retry_policy.maximum_backoff)
        elif sub.is_push:
            lo, hi = self.push_min_backoff_s, self.push_max_backoff_s
        else:
            return 0.0
        return min(hi, lo * (2 ** min(failures - 1, 30)))

    def _fail(self, sub: SubState, d: Delivery, reason: str, now: float) -> None:
        """A failed delivery attempt: back off and redeliver, or dead-letter."""
        self._release(sub, d)
        d.failures += 1
        d.last_error = reason
        cap = sub.max_attempts()
        if cap is not None and d.attempts >= cap and self._dead_letter(sub, d):
            sub.backlog.pop(d.msg.seq, None)
            self._changed()
            return
        d.ready_at = now + self._backoff(sub, d.failures)
        if d.ready_at > now:
            heapq.heappush(self._wakeups, d.ready_at)
        self._changed()

    def _dead_letter(self, sub: SubState, d: Delivery) -> bool:
        dl_name = sub.pb.dead_letter_policy.dead_letter_topic
        topic = self.topics.get(dl_name)
        if topic is None:
            log.warning(
                "dead-letter topic %s of %s does not exist; redelivering", dl_name, sub.name
            )
            return False
        project, sub_id = sub.name.split("/")[1], sub.name.split("/")[3]
        src = d.msg.pb
        fwd = MessagePb()
        fwd.data = src.data
        fwd.attributes.update(src.attributes)
        fwd.ordering_key = src.ordering_key
        published = datetime.fromtimestamp(d.msg.publish_s, UTC)
        fwd.attributes[DL_DELIVERY_COUNT] = str(d.attempts)
        fwd.attributes[DL_SUBSCRIPTION] = sub_id
        fwd.attributes[DL_SUBSCRIPTION_PROJECT] = project
        fwd.attributes[DL_TOPIC_PUBLISH_TIME] = published.isoformat(timespec="milliseconds")
        if sub.is_push and d.last_error:
            fwd.attributes[DL_ERROR_MESSAGE] = d.last_error
        self._publish_locked(topic, [fwd])
        log.info(
            "message %s of %s dead-lettered to %s after %d attempts",
            src.message_id,
            sub.name,
            dl_name,
            d.attempts,
        )
        return True

    # ------------------------------------------------------------------ push
    def lease_push(self) -> list[PushJob]:
        """Lease ready messages of push subscriptions, up to the outstanding bound of each."""
        jobs: list[PushJob] = []
        with self.lock:
            for sub in list(self.subs.values()):
                if not sub.is_push:
                    continue
                room = self.push_max_outstanding - sub.push_inflight
                if room <= 0:
                    continue
                got = self.lease(sub, room, MAX_PUBLISH_BYTES, MAX_ACK_DEADLINE_S, PushLease(sub))
                dlp = sub.max_attempts() is not None
                for rm in got:
                    cfg = types.PushConfig.pb()()
                    cfg.CopyFrom(sub.pb.push_config)
                    jobs.append(
                        PushJob(
                            subscription=sub.name,
                            ack_id=rm.ack_id,
                            message=rm.message,
                            delivery_attempt=rm.delivery_attempt if dlp else None,
                            push_config=cfg,
                            timeout_s=min(
                                float(sub.pb.ack_deadline_seconds),
                                self.push_timeout_s or float(MAX_ACK_DEADLINE_S),
                            ),
                        )
                    )
        return jobs

    def push_result(self, sub_name: str, ack_id: str, ok: bool, error: str = "") -> None:
        with self.lock:
            sub = self.subs.get(sub_name)
            if sub is None:
                return
            d = sub.by_ack.get(ack_id)
            if d is None:
                return
            if ok:
                self._ack(sub, [d])
            else:
                self._fail(sub, d, error or "push failed", self.clock.now())

    # ------------------------------------------------------------------ seek
    def seek_to_time(self, name: str, when_s: float) -> None:
        with self.lock:
            sub = self._sub(name)
            now = self.clock.now()
            oldest = now - sub.retention_s()
            candidates: dict[int, StoredMessage] = {seq: d.msg for seq, d in sub.backlog.items()}
            topic = self.topics.get(sub.pb.topic)
            if topic is not None and not sub.pb.detached:
                for m in topic.log:
                    if sub.predicate is None or sub.predicate(m.pb.attributes):
                        candidates.setdefault(m.seq, m)
            old = sub.backlog
            for d in old.values():
                self._release(sub, d)
            fresh: dict[int, Delivery] = {}
            for seq in sorted(candidates):
                m = candidates[seq]
                if m.publish_s < oldest:
                    continue
                d = old.get(seq) or Delivery(m)
                if m.publish_s >= when_s:
                    d.acked = False
                    d.ready_at = now
                    fresh[seq] = d
                elif sub.pb.retain_acked_messages:
                    d.acked = True
                    fresh[seq] = d
            sub.backlog = fresh
            sub.version += 1
            self._changed()

    # ------------------------------------------------------------------ housekeeping
    def _sweep_sub(self, sub: SubState, now: float) -> bool:
        changed = False
        for d in [d for d in sub.by_ack.values() if d.deadline <= now]:
            if d.lease is None or d.lease.expires:
                self._fail(sub, d, "ack deadline exceeded", now)
                changed = True
        return changed

    def sweep(self) -> None:
        """Expire ack deadlines, wake waiters whose backoff ended, drop expired messages."""
        with self.lock:
            now = self.clock.now()
            changed = False
            for sub in list(self.subs.values()):
                changed |= self._sweep_sub(sub, now)
            while self._wakeups and self._wakeups[0] <= now:
                heapq.heappop(self._wakeups)
                changed = True
            if now - self._last_retention_sweep >= 1.0:
                self._last_retention_sweep = now
                changed |= self._enforce_retention(now)
            if changed:
                self._changed()

    def _enforce_retention(self, now: float) -> bool:
        changed = False
        for sub in self.subs.values():
            cutoff = now - sub.retention_s()
            expired = [d for d in sub.backlog.values() if d.msg.publish_s < cutoff]
            for d in expired:
                self._release(sub, d)
                del sub.backlog[d.msg.seq]
                changed = True
        for topic in self.topics.values():
            if topic.log and topic.pb.HasField("message_retention_duration"):
                cutoff = now - seconds(topic.pb.message_retention_duration)
                topic.log = [m for m in topic.log if m.publish_s >= cutoff]
        return changed

    def stop(self) -> None:
        with self.lock:
            self.stopping = True
            self._changed()

    # ------------------------------------------------------------------ test hooks
    def clear_messages(self) -> None:
        with self.lock:
            for sub in self.subs.values():
                for d in list(sub.backlog.values()):
                    self._release(sub, d)
                sub.backlog.clear()
            for topic in self.topics.values():
                topic.log.clear()
            self._changed()

    def backlog_size(self, name: str) -> int:
        with self.lock:
            return sum(1 for d in self._sub(name).backlog.values() if not d.acked)
