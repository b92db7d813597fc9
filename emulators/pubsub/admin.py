"""Topics and subscriptions: create, get, list, update, delete, detach, push config."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import grpc
from google.pubsub_v1 import types

from .core import StateCore
from .filters import compile_filter
from .model import (
    DEFAULT_ACK_DEADLINE_S,
    DEFAULT_EXPIRATION_TTL_S,
    DEFAULT_MAX_BACKOFF_S,
    DEFAULT_MIN_BACKOFF_S,
    MAX_ACK_DEADLINE_S,
    MAX_BACKOFF_S,
    MAX_DELIVERY_ATTEMPTS,
    MAX_SUB_RETENTION_S,
    MAX_TOPIC_RETENTION_S,
    MIN_ACK_DEADLINE_S,
    MIN_DELIVERY_ATTEMPTS,
    MIN_EXPIRATION_TTL_S,
    MIN_RETENTION_S,
    SUB_IMMUTABLE,
    SUB_MUTABLE,
    SUB_UNSUPPORTED,
    TOPIC_MUTABLE,
    PushConfigPb,
    SubscriptionPb,
    SubState,
    TopicPb,
    TopicState,
    check_duration,
    duration,
    fmt_seconds,
    seconds,
    valid_endpoint,
)
from .names import DELETED_TOPIC, ApiError, check, check_project, invalid, not_found


class Admin(StateCore):
    # ------------------------------------------------------------------ topics
    def create_topic(self, topic: TopicPb) -> TopicPb:
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

    def _validate_topic(self, topic: TopicPb, paths: Iterable[str]) -> None:
        paths = set(paths or ())
        if "message_retention_duration" in paths and topic.HasField("message_retention_duration"):
            check_duration(
                topic.message_retention_duration,
                MIN_RETENTION_S,
                MAX_TOPIC_RETENTION_S,
                "message_retention_duration",
            )
        if "schema_settings" in paths and topic.HasField("schema_settings"):
            raise ApiError(
                grpc.StatusCode.UNIMPLEMENTED, "schemas are not supported by this emulator"
            )

    def get_topic(self, name: str) -> TopicPb:
        with self.lock:
            return self._copy(self._topic(name).pb)

    def update_topic(self, topic: TopicPb, mask_paths: list[str]) -> TopicPb:
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
                if path not in TOPIC_MUTABLE:
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
    def create_subscription(self, req: SubscriptionPb) -> SubscriptionPb:
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

    def _validate_sub(self, pb: SubscriptionPb, paths: set[str]) -> None:
        for unsupported in SUB_UNSUPPORTED:
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
            check_duration(
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
        if "push_config" in paths and endpoint and not valid_endpoint(endpoint):
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
                        f"The value for {what} is out of bounds. You passed {fmt_seconds(s)} in "
                        f"the request, but the value must be between 0s and {MAX_BACKOFF_S}s."
                    )
            if seconds(rp.minimum_backoff) > seconds(rp.maximum_backoff):
                raise invalid("minimum_backoff must not be greater than maximum_backoff")

    def get_subscription(self, name: str) -> SubscriptionPb:
        with self.lock:
            return self._sub_view(self._sub(name))

    def update_subscription(
        self,
        update: SubscriptionPb,
        mask_paths: list[str],
    ) -> SubscriptionPb:
        with self.lock:
            if not mask_paths:
                raise invalid(
                    "The update_mask in the UpdateSubscriptionRequest must be set, and must "
                    "contain a non-empty paths list."
                )
            sub = self._sub(update.name)
            for path in mask_paths:
                if path in SUB_IMMUTABLE:
                    raise invalid(
                        "Invalid update_mask provided in the UpdateSubscriptionRequest: the "
                        f"{path} field in the Subscription is not mutable."
                    )
                if path not in SUB_MUTABLE and path not in SUB_UNSUPPORTED:
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

    def modify_push_config(self, name: str, push_config: PushConfigPb) -> None:
        with self.lock:
            sub = self._sub(name)
            if push_config.push_endpoint and not valid_endpoint(push_config.push_endpoint):
                raise invalid("Unsupported push_endpoint")
            sub.pb.push_config.CopyFrom(push_config)
            sub.version += 1
            self._changed()
