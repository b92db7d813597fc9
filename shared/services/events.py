"""Building events from stored state, and handing them to the publisher.

Events are written durably before they are published (messages flagged unpublished, session
changes in the outbox), so a failed publish only delays them until the reconciler runs.
Event ids are deterministic, so publishing twice is harmless downstream.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from shared.domain import ids
from shared.domain.errors import HybridSessionsError, Unavailable
from shared.domain.events import MessageCreated, SessionChanged, UserErased
from shared.domain.models import Caller, Message, Session
from shared.logging import get_logger
from shared.ports.event_bus import EventPublisher
from shared.ports.session_store import OutboxItem, SessionKey, SessionStore

log = get_logger(__name__)

Change = Literal["created", "updated", "archived", "deleted"]


def message_created(message: Message) -> MessageCreated:
    return MessageCreated(
        event_id=message.message_id,
        tenant_id=message.tenant_id,
        user_id=message.user_id,
        occurred_at=message.created_at,
        message=message.data(),
    )


def session_changed(session: Session, change: Change, now: datetime) -> OutboxItem:
    event = SessionChanged(
        event_id=ids.session_event_id(session.session_id, change, session.version),
        tenant_id=session.tenant_id,
        user_id=session.user_id,
        occurred_at=now,
        change=change,
        session=session.data(),
    )
    purge = (
        SessionKey(session.tenant_id, session.user_id, session.session_id)
        if change == "deleted"
        else None
    )
    return OutboxItem(event=event, created_at=now, purge=purge)


def user_erased(caller: Caller, now: datetime) -> OutboxItem:
    # The time makes a second erasure of a returning user a distinct event.
    digest = hashlib.sha256(f"{caller.tenant_id}\0{caller.user_id}".encode()).hexdigest()[:24]
    event = UserErased(
        event_id=f"user.{digest}.erased.{int(now.timestamp() * 1000)}",
        tenant_id=caller.tenant_id,
        user_id=caller.user_id,
        occurred_at=now,
    )
    return OutboxItem(event=event, created_at=now)


class EventDispatcher:
    """Publish stored events and record that they went out.

    `strict=False` (request path): a failure is logged and left to the reconciler, because the
    data is already stored and the caller's request succeeded. `strict=True` (reconciler):
    the failure propagates, so the run reports it and Cloud Scheduler tries again."""

    def __init__(self, store: SessionStore, publisher: Callable[[], EventPublisher]) -> None:
        self._store = store
        self._publisher = publisher

    def messages(self, messages: Sequence[Message], *, strict: bool = False) -> bool:
        if not messages:
            return True
        try:
            try:
                self._publisher().publish([message_created(m) for m in messages])
            except Unavailable as err:
                done = set(err.details.get("published", ()))
                self._store.mark_published([m for m in messages if m.message_id in done])
                raise
            self._store.mark_published(messages)
            return True
        except HybridSessionsError as err:
            if strict:
                raise
            log.warning(
                "events of %d messages left for the reconciler: %s", len(messages), err.message
            )
            return False

    def outbox(self, items: Sequence[OutboxItem], *, strict: bool = False) -> bool:
        if not items:
            return True
        try:
            for item in items:
                if item.purge is not None:
                    self._store.purge_messages(item.purge.tenant_id, item.purge.session_id)
            try:
                self._publisher().publish([item.event for item in items])
            except Unavailable as err:
                self._store.delete_outbox(list(err.details.get("published", ())))
                raise
            self._store.delete_outbox([item.event_id for item in items])
            return True
        except HybridSessionsError as err:
            if strict:
                raise
            log.warning("%d session events left for the reconciler: %s", len(items), err.message)
            return False
