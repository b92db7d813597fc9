"""What every part of the state shares: the lock, the maps of topics and subscriptions, lookups."""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .model import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    Clock,
    Delivery,
    Lease,
    ReceivedPb,
    SubscriptionPb,
    SubState,
    TopicState,
)
from .names import check, invalid, not_found


class StateCore:
    if TYPE_CHECKING:
        # Defined by the parts PubSubState combines (delivery.py, retention.py), which call
        # one another through self.
        def lease(
            self,
            sub: SubState,
            max_messages: int,
            max_bytes: int,
            deadline_s: float,
            holder: Lease | None,
        ) -> list[ReceivedPb]: ...
        def _release(self, sub: SubState, d: Delivery) -> None: ...
        def _ack(self, sub: SubState, deliveries: Iterable[Delivery]) -> None: ...
        def _fail(self, sub: SubState, d: Delivery, reason: str, now: float) -> None: ...
        def _sweep_sub(self, sub: SubState, now: float) -> bool: ...

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

    def _sub_view(self, sub: SubState) -> SubscriptionPb:
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
