"""Housekeeping: expired ack deadlines and message retention."""

from __future__ import annotations

import heapq

from .core import StateCore
from .model import (
    SubState,
    seconds,
)


class Retaining(StateCore):
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
