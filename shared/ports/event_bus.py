"""The event port: how services hand events to the messages topic."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from shared.domain.events import Event, MessageCreated, MessagesExpired, SessionChanged


class EventPublisher(ABC):
    @abstractmethod
    def publish(self, events: Sequence[Event]) -> None:
        """Publish every event (ordering key: its session id), waiting a bounded time. On any
        failure raise
        `Unavailable(code="events_unavailable")` whose `details["published"]` lists the event ids
        that did get through, so callers flag only those."""


def ordering_key(event: Event) -> str:
    """One session's events share a key, so subscribers with ordering see them in order."""
    if isinstance(event, MessageCreated):
        return event.message.session_id
    if isinstance(event, SessionChanged):
        return event.session.session_id
    if isinstance(event, MessagesExpired):
        return event.session_id
    return f"user:{event.tenant_id}:{event.user_id}"
