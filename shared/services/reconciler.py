"""Republish what a failed publish left behind: unpublished messages and outbox items; and,
with a retention, delete the sessions idle longer than it.

Cloud Scheduler calls it every few minutes. Each run works in bounded batches, oldest first, and
skips items younger than `reconcile_min_age_s` (their own request may still be publishing them).
Event ids are deterministic, so an item published twice (by its request and by a run) is one
event to every subscriber that deduplicates on the id, as ingest does.

Retention: Firestore's TTL sweep deletes expired documents but tells no one, so the copies in
BigQuery and Vector Search would stay. Each run therefore deletes the sessions idle past
`session_retention_days` itself, the way a user's DELETE does: `SessionChanged(deleted)` (with
`message_count`) in the outbox, the messages purged, and ingest removes every copy. Messages
past the retention in sessions still in use are handled alike: `MessagesExpired` per session
is published first and the documents deleted only once it went out, so a failed publish leaves
them for the next run (the documents themselves are the durable record; no outbox item is
needed). The TTL policies stay as the backstop.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from shared.domain.errors import Unavailable
from shared.domain.events import MessagesExpired
from shared.domain.models import Message
from shared.ports.event_bus import EventPublisher
from shared.ports.session_store import SessionStore
from shared.services.events import EventDispatcher, session_changed

log = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    session_events: int = 0
    messages: int = 0
    done: bool = True
    # Messages deleted past the retention, and the `MessagesExpired` events announcing them:
    # each message counts toward the run bound; the events are session events in the answer,
    # whose shape stays as it was.
    messages_expired: int = 0
    expiry_events: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "session_events_published": self.session_events + self.expiry_events,
            "messages_published": self.messages,
            "done": self.done,
        }


@dataclass(frozen=True)
class ReconcileLimits:
    min_age_s: float  # younger unpublished items are left to their own request
    batch_size: int
    max_items: int  # per run
    retention_days: int | None  # None: nothing expires


class Reconciler:
    def __init__(
        self,
        store: SessionStore,
        publisher: Callable[[], EventPublisher],
        limits: ReconcileLimits,
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._events = EventDispatcher(store, publisher)
        self._clock = clock
        self._min_age = timedelta(seconds=limits.min_age_s)
        self._batch = limits.batch_size
        self._max_items = limits.max_items
        days = limits.retention_days
        self._retention = None if days is None else timedelta(days=days)

    def run(self) -> ReconcileReport:
        """Raises `Unavailable` when Pub/Sub is still down (the run answers 503; the next run
        continues where this one stopped)."""
        report = ReconcileReport()
        now = self._clock()
        cutoff = now - self._min_age
        expired = 0
        if self._retention is not None:
            expired = self._expire(report, now)
            # After the idle sessions: their messages went with them, under one event each.
            self._expire_messages(report, now)
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
            "reconciled %d session events (%d expired sessions), %d messages, %d expired messages",
            report.session_events + report.expiry_events,
            expired,
            report.messages,
            report.messages_expired,
            extra={
                "fields": {
                    **report.as_dict(),
                    "sessions_expired": expired,
                    "messages_expired": report.messages_expired,
                }
            },
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

    def _expire_messages(self, report: ReconcileReport, now: datetime) -> None:
        """Delete the messages past the retention (of sessions still in use: the idle ones are
        gone by now), announcing them first with one `MessagesExpired` per session and batch."""
        assert self._retention is not None
        created_until = now - self._retention
        while (room := self._room(report)) > 0:
            messages = self._store.expired_messages(created_until, room)
            if not messages:
                break
            events = _messages_expired(messages, now)
            try:
                self._publisher().publish([event for event, _ in events])
            except Unavailable as err:
                # Only what went out may go; the rest is found again by the next run.
                sent = set(err.details.get("published", ()))
                self._store.delete_messages(
                    [m for event, batch in events if event.event_id in sent for m in batch]
                )
                raise
            self._store.delete_messages(messages)
            report.expiry_events += len(events)
            report.messages_expired += len(messages)

    def _room(self, report: ReconcileReport) -> int:
        done = report.session_events + report.messages + report.messages_expired
        return min(self._batch, self._max_items - done)


def _messages_expired(
    messages: Sequence[Message], now: datetime
) -> list[tuple[MessagesExpired, list[Message]]]:
    """One event per session of `messages`, mapped to the messages it announces. The id is
    the session, its seq range and a digest of the ids, so the same batch found again (its
    deletion failed) is the same event."""
    by_session = sorted(messages, key=lambda m: (m.tenant_id, m.session_id, m.seq))
    events: list[tuple[MessagesExpired, list[Message]]] = []
    for (tenant_id, session_id), group in groupby(
        by_session, key=lambda m: (m.tenant_id, m.session_id)
    ):
        batch = list(group)
        ids = [m.message_id for m in batch]
        digest = hashlib.sha256("\0".join(ids).encode()).hexdigest()[:12]
        event = MessagesExpired(
            event_id=f"{session_id}.expired.{batch[0].seq}-{batch[-1].seq}.{digest}",
            tenant_id=tenant_id,
            user_id=batch[0].user_id,
            occurred_at=now,
            session_id=session_id,
            message_ids=ids,
        )
        events.append((event, batch))
    return events
