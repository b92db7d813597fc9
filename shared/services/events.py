"""Building events from stored state, and handing them to the publisher.

Events are written durably before they are published (messages flagged unpublished, session
changes in the outbox), so a failed publish only delays them until the reconciler runs.
Event ids are deterministic, so publishing twice is harmless downstream.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Literal

from shared.domain import ids
from shared.domain.errors import HybridSessionsError, Unavailable
from shared.domain.events import MessageCreated, SessionChanged, UserErased
from shared.domain.models import Caller, Message, Session
from shared.ports.event_bus import EventPublisher
from shared.ports.session_store import OutboxItem, SessionKey, SessionStore

log = logging.getLogger(__name__)

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
        return self.publish(messages=messages, strict=strict)

    def outbox(self, items: Sequence[OutboxItem], *, strict: bool = False) -> bool:
        return self.publish(outbox=items, strict=strict)

    def publish(
        self,
        *,
        outbox: Sequence[OutboxItem] = (),
        messages: Sequence[Message] = (),
        strict: bool = False,
    ) -> bool:
        """One publish call for everything (outbox events first: a session's `created` comes
        before its messages), then record what went out. True when all of it did."""
        if not outbox and not messages:
            return True
        try:
            for item in outbox:
                if item.purge is not None:
                    self._store.purge_messages(item.purge.tenant_id, item.purge.session_id)
            events = [item.event for item in outbox] + [message_created(m) for m in messages]
            try:
                self._publisher().publish(events)
                sent = {event.event_id for event in events}
            except Unavailable as err:
                sent = set(err.details.get("published", ()))
                self._record(outbox, messages, sent)
                raise
            self._record(outbox, messages, sent)
            return True
        except HybridSessionsError as err:
            if strict:
                raise
            log.warning(
                "%d events left for the reconciler: %s", len(outbox) + len(messages), err.message
            )
            return False

    def _record(
        self, outbox: Sequence[OutboxItem], messages: Sequence[Message], sent: set[str]
    ) -> None:
        """One write for both: the outbox items go, the messages are flagged published."""
        done_items = [item.event_id for item in outbox if item.event_id in sent]
        done_messages = [m for m in messages if m.message_id in sent]
        if done_items or done_messages:
            self._store.mark_delivered(done_items, done_messages)
