"""Publishing, leasing (Pull, StreamingPull), acks, nacks, deadlines, retries and dead-lettering."""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime

import grpc
from google.protobuf import timestamp_pb2

from .core import StateCore
from .model import (
    DL_DELIVERY_COUNT,
    DL_ERROR_MESSAGE,
    DL_SUBSCRIPTION,
    DL_SUBSCRIPTION_PROJECT,
    DL_TOPIC_PUBLISH_TIME,
    MAX_ACK_DEADLINE_S,
    MAX_ATTRIBUTE_KEY_BYTES,
    MAX_ATTRIBUTE_VALUE_BYTES,
    MAX_ATTRIBUTES,
    MAX_ORDERING_KEY_BYTES,
    MAX_PUBLISH_BYTES,
    MAX_PUBLISH_MESSAGES,
    MAX_PULL_MESSAGES,
    MAX_PULL_RESPONSE_BYTES,
    Delivery,
    Lease,
    MessagePb,
    ReceivedPb,
    StoredMessage,
    SubState,
    TopicState,
    seconds,
)
from .names import ApiError, invalid, not_found

log = logging.getLogger("emulators.pubsub")


class Delivering(StateCore):
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
    ) -> list[ReceivedPb]:
        """Lease up to max_messages ready messages under fresh ack ids. Caller holds the lock."""
        out: list[ReceivedPb] = []
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
