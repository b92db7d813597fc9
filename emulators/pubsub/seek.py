"""Seek to a time: later messages unacknowledged again, earlier ones acknowledged."""

from __future__ import annotations

from .core import StateCore
from .model import (
    Delivery,
    StoredMessage,
)


class Seeking(StateCore):
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
