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

from .admin import Admin
from .delivery import Delivering
from .model import Clock, PushJob
from .push_leases import PushLeasing
from .retention import Retaining
from .seek import Seeking

__all__ = ["Clock", "PubSubState", "PushJob"]


class PubSubState(Admin, Delivering, PushLeasing, Seeking, Retaining):
    """The whole state: each part in its own module, on the shared `StateCore`."""

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
