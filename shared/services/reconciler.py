"""Republish what a failed publish left behind: unpublished messages and outbox items; and,
with a retention, delete the sessions idle longer than it.

Cloud Scheduler calls it every few minutes. Each run works in bounded batches, oldest first, and
skips items younger than `reconcile_min_age_s` (their own request may still be publishing them).
Event ids are deterministic, so an item published twice (by its request and by a run) is one
event to every subscriber that deduplicates on the id, as ingest does.

Retention: Firestore's TTL sweep deletes expired documents but tells no one, so the copies in
BigQuery and Vector Search would stay. Each run therefore deletes the sessions idle past
`session_retention_days` itself, the way a user's DELETE does: `SessionChanged(deleted)` (with
`message_count`) in the outbox, the messages purged, and ingest removes every copy. The TTL
policy stays as the backstop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.config import Settings
from shared.logging import get_logger
from shared.ports.event_bus import EventPublisher
from shared.ports.session_store import SessionStore
from shared.services.events import EventDispatcher, session_changed

log = get_logger(__name__)


@dataclass
class ReconcileReport:
    session_events: int = 0
    messages: int = 0
    done: bool = True

    def as_dict(self) -> dict[str, object]:
        return {
            "session_events_published": self.session_events,
            "messages_published": self.messages,
            "done": self.done,
        }


class Reconciler:
    def __init__(
        self,
        store: SessionStore,
        publisher: Callable[[], EventPublisher],
        settings: Settings,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._events = EventDispatcher(store, publisher)
        self._clock = clock
        self._min_age = timedelta(seconds=settings.reconcile_min_age_s)
        self._batch = settings.reconcile_batch_size
        self._max_items = settings.reconcile_max_items
        days = settings.session_retention_days
        self._retention = None if days is None else timedelta(days=days)

    def run(self) -> ReconcileReport:
        """Raises `Unavailable` when Pub/Sub is still down (the run answers 503; the next run
        continues where this one stopped)."""
        report = ReconcileReport()
        now = self._clock()
        cutoff = now - self._min_age
        expired = self._expire(report, now) if self._retention is not None else 0
        # Session events first: a deletion's outbox item purges its messages before anything
        # could republish them.
        while (room := self._room(report)) > 0:
            items = self._store.pending_outbox(cutoff, room)
            if not items:
                break
            self._events.outbox(items, strict=True)
            report.session_events += len(items)
        while (room := self._room(report)) > 0:
            messages = self._store.unpublished_messages(cutoff, room)
            if not messages:
                break
            self._events.messages(messages, strict=True)
            report.messages += len(messages)
        else:
            report.done = False
        log.info(
            "reconciled %d session events (%d expired sessions), %d messages",
            report.session_events,
            expired,
            report.messages,
            extra={"fields": {**report.as_dict(), "sessions_expired": expired}},
        )
        return report

    def _expire(self, report: ReconcileReport, now: datetime) -> int:
        """Delete sessions idle past the retention; their deletion events count as session
        events. Returns how many were deleted."""
        assert self._retention is not None
        idle_since = now - self._retention
        expired = 0
        while (room := self._room(report)) > 0:
            deleted = self._store.delete_idle_sessions(
                idle_since, room, outbox_for=lambda s: session_changed(s, "deleted", now)
            )
            if not deleted:
                break
            # The same items the store wrote (deterministic ids): purge, publish, clear.
            self._events.outbox([session_changed(s, "deleted", now) for s in deleted], strict=True)
            report.session_events += len(deleted)
            expired += len(deleted)
        return expired

    def _room(self, report: ReconcileReport) -> int:
        return min(self._batch, self._max_items - report.session_events - report.messages)
