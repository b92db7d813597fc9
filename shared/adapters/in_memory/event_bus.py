"""A fake publisher that records events and can be switched off to simulate an outage."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Literal, overload

from shared.domain.errors import Unavailable
from shared.domain.events import (
    Event,
    MessageCreated,
    MessagesExpired,
    SessionChanged,
    UserErased,
)
from shared.ports.event_bus import EventPublisher


class InMemoryEventPublisher(EventPublisher):
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.down = False
        self._lock = threading.Lock()

    def publish(self, events: Sequence[Event]) -> None:
        with self._lock:
            if self.down:
                raise Unavailable("event bus is down", code="events_unavailable", published=[])
            self.events.extend(events)

    @overload
    def of_type(self, event_type: Literal["message.created"]) -> list[MessageCreated]: ...
    @overload
    def of_type(self, event_type: Literal["session.changed"]) -> list[SessionChanged]: ...
    @overload
    def of_type(self, event_type: Literal["user.erased"]) -> list[UserErased]: ...
    @overload
    def of_type(self, event_type: Literal["messages.expired"]) -> list[MessagesExpired]: ...
    def of_type(self, event_type: str) -> Sequence[Event]:
        """The events published so far of one type (typed by it)."""
        return [e for e in self.events if e.event_type == event_type]
