"""Session use cases: create, read, list, update, delete, messages, and a user's erasure.

Ownership is enforced by the store's `SessionKey` (another user's session is NotFound), identity
comes from the `Caller` the auth layer verified, and every change is stored before its event is
published.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from shared.domain import ids, validation
from shared.domain.errors import InvalidInput, NotFound, session_not_found
from shared.domain.models import (
    AppendMessages,
    Caller,
    CreateSession,
    Limits,
    Message,
    NewMessage,
    Order,
    Page,
    Session,
    SessionStatus,
    UpdateSession,
)
from shared.domain.serialize import to_json
from shared.ports.event_bus import EventPublisher
from shared.ports.session_store import (
    IdempotencyResult,
    OutboxItem,
    SessionKey,
    SessionStore,
    StoredResponse,
)
from shared.services.events import Change, EventDispatcher, session_changed, user_erased
from shared.services.idempotency import Idempotency, Result

# How long an append may wait out contention on its session before it answers 503.
APPEND_BUDGET_S = 10.0
Clock = Callable[[], datetime]


def session_key(caller: Caller, session_id: str) -> SessionKey:
    """A key for the caller's session; an id that cannot exist is simply not found."""
    if not validation.is_session_id(session_id):
        raise session_not_found()
    return SessionKey(caller.tenant_id, caller.user_id, session_id)


def new_session(
    caller: Caller, now: datetime, title: str | None, metadata: dict[str, Any]
) -> Session:
    return Session(
        session_id=ids.new_session_id(),
        tenant_id=caller.tenant_id,
        user_id=caller.user_id,
        title=title,
        metadata=metadata,
        created_at=now,
        updated_at=now,
    )


class SessionService:
    def __init__(
        self,
        store: SessionStore,
        publisher: Callable[[], EventPublisher],
        limits: Limits,
        *,
        idempotency_ttl_s: float,
        clock: Clock,
    ) -> None:
        self._store = store
        self._events = EventDispatcher(store, publisher)
        self._limits = limits
        self._clock = clock
        self._idempotency = Idempotency(store, lease_s=60.0, ttl_s=idempotency_ttl_s)

    def create(self, caller: Caller, body: CreateSession) -> Session:
        self._limits.check_title(body.title)
        self._limits.check_metadata(body.metadata)
        now = self._clock()
        session = new_session(caller, now, body.title, body.metadata)
        item = session_changed(session, "created", now)
        session = self._store.create_session(session, outbox=[item])
        self._events.outbox([item])
        return session

    def get(self, caller: Caller, session_id: str) -> Session:
        return self._store.get_session(session_key(caller, session_id))

    def list(
        self,
        caller: Caller,
        *,
        status: SessionStatus | None,
        page_size: int | None,
        page_token: str | None,
    ) -> Page[Session]:
        return self._store.list_sessions(
            caller.tenant_id,
            caller.user_id,
            status=status,
            page_size=self._limits.page_size(page_size),
            page_token=page_token,
        )

    def update(self, caller: Caller, session_id: str, body: UpdateSession) -> Session:
        change = body.changes()
        if not change:
            raise InvalidInput(
                "nothing to update: send title, status or metadata", code="empty_update"
            )
        self._limits.check_title(change.get("title"))
        self._limits.check_metadata(change.get("metadata"))
        key = session_key(caller, session_id)
        now = self._clock()
        kind: Change = "archived" if change.get("status") == "archived" else "updated"
        items: list[OutboxItem] = []

        def outbox_for(updated: Session) -> Any:
            items.append(session_changed(updated, kind, now))
            return items[-1]

        session = self._store.update_session(key, change, now=now, outbox_for=outbox_for)
        self._events.outbox(items[-1:])
        return session

    def delete(self, caller: Caller, session_id: str) -> None:
        key = session_key(caller, session_id)
        now = self._clock()
        items = []

        def outbox_for(deleted: Session) -> Any:
            items.append(session_changed(deleted, "deleted", now))
            return items[-1]

        self._store.delete_session(key, outbox_for=outbox_for)
        # Purges the messages, then publishes; if either fails the outbox item stays and the
        # reconciler finishes the job.
        self._events.outbox(items[-1:])

    def list_messages(
        self,
        caller: Caller,
        session_id: str,
        *,
        order: Order,
        page_size: int | None,
        page_token: str | None,
    ) -> Page[Message]:
        return self._store.list_messages(
            session_key(caller, session_id),
            order=order,
            page_size=self._limits.page_size(page_size),
            page_token=page_token,
        )

    def append(
        self, caller: Caller, session_id: str, body: AppendMessages, idempotency_key: str | None
    ) -> Result:
        """Store messages the app produced itself (no LLM call): 201 with the stored messages."""
        if not body.messages:
            raise InvalidInput("messages is empty", code="empty_messages")
        if len(body.messages) > self._limits.max_append_messages:
            raise InvalidInput(
                f"at most {self._limits.max_append_messages} messages per request",
                code="too_many_messages",
            )
        for i, message in enumerate(body.messages):
            self._limits.check_content(message.content, f"messages[{i}].content")
            self._limits.check_metadata(message.metadata)
        key = session_key(caller, session_id)
        now = self._clock()
        request = {"session_id": session_id, **body.model_dump()}
        claim, replay = self._idempotency.claim(caller, idempotency_key, "append", request, now)
        if replay is not None:
            return replay
        new = [
            NewMessage(role=m.role, content=m.content, created_at=now, metadata=m.metadata)
            for m in body.messages
        ]

        def render(_: Session, stored: list[Message]) -> StoredResponse:
            return StoredResponse(201, to_json({"messages": stored}))

        try:
            _, stored = self._store.append_messages(
                key,
                new,
                now=now,
                idempotency=IdempotencyResult(claim, render) if claim else None,
                deadline=time.monotonic() + APPEND_BUDGET_S,
            )
        except BaseException:
            self._idempotency.release(claim)
            raise
        self._events.messages(stored)
        return Result(201, to_json({"messages": stored}))

    def erase_user(self, caller: Caller) -> int:
        """Delete every session of the caller (one deleted event each), their idempotency
        records, then announce `UserErased` so every copy elsewhere goes too."""
        erased = 0
        while True:
            page = self._store.list_sessions(
                caller.tenant_id, caller.user_id, status=None, page_size=100, page_token=None
            )
            if not page.items:
                break
            for session in page.items:
                try:
                    self.delete(caller, session.session_id)
                    erased += 1
                except NotFound:
                    continue  # deleted concurrently: already on its way out
        self._store.delete_user_records(caller.tenant_id, caller.user_id)
        item = user_erased(caller, self._clock())
        self._store.add_outbox([item])
        self._events.outbox([item])
        return erased
