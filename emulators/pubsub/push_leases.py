"""Leases of push subscriptions' ready messages for the push deliverer (`push.py`), and
what became of each push."""

from __future__ import annotations

from google.pubsub_v1 import types

from .core import StateCore
from .model import (
    MAX_ACK_DEADLINE_S,
    MAX_PUBLISH_BYTES,
    PushJob,
    PushLease,
)


class PushLeasing(StateCore):
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
