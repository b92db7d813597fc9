"""StreamingPull: one bidirectional stream per subscriber connection.

The first request names the subscription and the stream's ack deadline (10..600 s) and may set
flow control (`max_outstanding_messages`, `max_outstanding_bytes`): the stream never holds more
unacknowledged messages than that. Later requests carry acks, modacks (0 = nack) and an updated
stream ack deadline; a reader thread applies them while the response side keeps streaming new
messages as they become deliverable. The stream ends when the client cancels or half-closes,
when the server stops (UNAVAILABLE, which clients retry) or with NOT_FOUND when the
subscription is deleted.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import grpc
from google.pubsub_v1 import types

from .model import (
    MAX_ACK_DEADLINE_S,
    MAX_PULL_MESSAGES,
    MAX_PULL_RESPONSE_BYTES,
    MIN_ACK_DEADLINE_S,
    Delivery,
    Lease,
)
from .names import ApiError, invalid
from .state import PubSubState

log = logging.getLogger("emulators.pubsub.streaming")

ResponsePb = types.StreamingPullResponse.pb()  # a proto-plus class built at run time: Any to mypy


class StreamLease(Lease):
    """The messages a stream holds, for its flow control."""

    def __init__(self) -> None:
        self.count = 0
        self.bytes = 0

    def hold(self, d: Delivery) -> None:
        self.count += 1
        self.bytes += d.msg.size

    def release(self, d: Delivery) -> None:
        self.count -= 1
        self.bytes -= d.msg.size


class Stream:
    def __init__(self, state: PubSubState, first, requests: Iterator, context) -> None:
        self.state = state
        self.requests = requests
        self.context = context
        if not first.subscription:
            raise invalid("Invalid [subscriptions] name: (name=)")
        with state.lock:
            self.sub = state._sub(first.subscription)
            if self.sub.pb.detached:
                raise ApiError(grpc.StatusCode.FAILED_PRECONDITION, "Subscription is detached")
        self.deadline_s = self._check_deadline(first.stream_ack_deadline_seconds)
        self.max_messages = first.max_outstanding_messages
        self.max_bytes = first.max_outstanding_bytes
        self.lease = StreamLease()
        self.closed = False
        self.error: ApiError | None = None
        self._apply(first)

    @staticmethod
    def _check_deadline(s: int) -> int:
        if s < MIN_ACK_DEADLINE_S or s > MAX_ACK_DEADLINE_S:
            raise invalid(
                f"Invalid stream_ack_deadline_seconds: {s}; it must be between "
                f"{MIN_ACK_DEADLINE_S} and {MAX_ACK_DEADLINE_S}"
            )
        return s

    def _apply(self, req) -> None:
        if len(req.modify_deadline_seconds) != len(req.modify_deadline_ack_ids):
            raise invalid(
                "modify_deadline_seconds and modify_deadline_ack_ids must be the same length"
            )
        with self.state.lock:
            if self.sub.deleted:
                return
            if req.stream_ack_deadline_seconds and not req.subscription:
                self.deadline_s = self._check_deadline(req.stream_ack_deadline_seconds)
            if req.ack_ids:
                self.state._ack(self.sub, self.state._parse_ack_ids(self.sub, req.ack_ids))
            by_deadline: dict[int, list[str]] = {}
            for s, ack_id in zip(
                req.modify_deadline_seconds, req.modify_deadline_ack_ids, strict=True
            ):
                by_deadline.setdefault(s, []).append(ack_id)
            for s, ids in by_deadline.items():
                self.state._modack(self.sub, ids, s)

    def _read(self) -> None:
        try:
            for req in self.requests:
                if self.closed:
                    break
                self._apply(req)
        except ApiError as exc:
            self.error = exc
        except Exception as exc:  # cancelled by the client, or the server is stopping
            if self.context.is_active():
                log.debug("StreamingPull request stream ended: %r", exc)
        finally:
            self.closed = True
            with self.state.cond:
                self.state.cond.notify_all()

    def _close(self) -> None:
        self.closed = True
        with self.state.cond:
            self.state.cond.notify_all()

    def responses(self) -> Iterator:
        self.context.add_callback(self._close)
        reader = threading.Thread(target=self._read, name="pubsub-stream-reader", daemon=True)
        reader.start()
        state = self.state
        props = ResponsePb.SubscriptionProperties()
        scanned = -1  # the subscription version of the last scan that found nothing
        while True:
            with state.cond:
                got: list = []
                while not got:
                    if self.error is not None:
                        raise self.error
                    if self.sub.deleted:
                        raise ApiError(grpc.StatusCode.NOT_FOUND, "Subscription does not exist")
                    if state.stopping:
                        raise ApiError(grpc.StatusCode.UNAVAILABLE, "The emulator is stopping")
                    if self.closed or not self.context.is_active():
                        return
                    now = state.clock.now()
                    state._sweep_sub(self.sub, now)
                    if self.sub.version == scanned and now < self.sub.next_ready:
                        state.cond.wait(min(1.0, self.sub.next_ready - now))
                        continue
                    scanned = self.sub.version
                    room = MAX_PULL_MESSAGES
                    if self.max_messages > 0:
                        room = min(room, self.max_messages - self.lease.count)
                    budget = MAX_PULL_RESPONSE_BYTES
                    if self.max_bytes > 0:
                        budget = min(budget, self.max_bytes - self.lease.bytes)
                    if room > 0 and budget > 0:
                        got = state.lease(self.sub, room, budget, self.deadline_s, self.lease)
                    if got:
                        scanned = -1  # there may be more than one response's worth
                    else:
                        state.cond.wait(max(0.0, min(1.0, self.sub.next_ready - now)))
                props.exactly_once_delivery_enabled = self.sub.pb.enable_exactly_once_delivery
                props.message_ordering_enabled = self.sub.pb.enable_message_ordering
            resp = ResponsePb()
            resp.received_messages.extend(got)
            resp.subscription_properties.CopyFrom(props)
            yield resp
