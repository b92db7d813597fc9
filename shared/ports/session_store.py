"""The session store port: sessions, their messages, and the bookkeeping that keeps events and
retries exact (outbox, published flags, idempotency records).

Every method that names a session takes a `SessionKey`; a session of another user is `NotFound`,
never `PermissionDenied`, so ids cannot be probed. Writes that belong together (messages, the
session's count, an outbox event, an idempotency result) are one atomic commit.

Writes that may meet contention take a `deadline` (a `time.monotonic()` instant): past it they
give up with `Unavailable(contention)` and a Retry-After, instead of holding the request.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.domain.events import Event
from shared.domain.models import Message, NewMessage, Order, Page, Session, SessionStatus


@dataclass(frozen=True)
class SessionKey:
    tenant_id: str
    user_id: str
    session_id: str


@dataclass(frozen=True)
class OutboxItem:
    """An event written in the transaction of its change, deleted once published.

    `purge` names a deleted session whose messages must be gone before the event goes out (so a
    crash between the two is finished by the reconciler, not forgotten)."""

    event: Event
    created_at: datetime
    purge: SessionKey | None = None

    @property
    def event_id(self) -> str:
        return self.event.event_id


@dataclass(frozen=True)
class IdempotencyClaim:
    """`key` is the client's Idempotency-Key; `fingerprint` a hash of what the request asked."""

    tenant_id: str
    user_id: str
    key: str
    fingerprint: str
    now: datetime
    lease_s: float
    ttl_s: float


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict[str, Any]


@dataclass(frozen=True)
class IdempotencyResult:
    """Written with the messages it describes, in their transaction."""

    claim: IdempotencyClaim
    render: Callable[[Session, list[Message]], StoredResponse]


@dataclass(frozen=True)
class SessionSnapshot:
    """A session as read before a write: its newest messages (newest first, at most the limit
    asked) and `version`, the store's own guard (opaque here) that the write checks, so a write
    based on this read fails and re-reads if the session changed meanwhile."""

    session: Session
    recent: list[Message]
    version: Any = None


SessionChange = dict[str, Any]
"""Fields to set on a session: a subset of title, status, metadata."""


class SessionStore(ABC):
    # --- sessions -------------------------------------------------------------------------------

    @abstractmethod
    def create_session(self, session: Session, *, outbox: Sequence[OutboxItem] = ()) -> Session:
        """Store a new session (its id is new; `Conflict` if it exists)."""

    @abstractmethod
    def get_session(self, key: SessionKey) -> Session:
        """The session, or `NotFound` if it does not exist or is not the user's."""

    @abstractmethod
    def list_sessions(
        self,
        tenant_id: str,
        user_id: str,
        *,
        status: SessionStatus | None,
        page_size: int,
        page_token: str | None,
    ) -> Page[Session]:
        """The user's sessions, newest first; `InvalidInput(invalid_page_token)` on a bad token."""

    @abstractmethod
    def update_session(
        self,
        key: SessionKey,
        change: SessionChange,
        *,
        now: datetime,
        outbox_for: Callable[[Session], OutboxItem],
    ) -> Session:
        """Apply `change`, bump `version`, write `outbox_for(updated)`; one transaction."""

    @abstractmethod
    def delete_session(
        self, key: SessionKey, *, outbox_for: Callable[[Session], OutboxItem]
    ) -> Session:
        """Delete the session document and write `outbox_for(deleted)` (which should carry
        `purge`) in one transaction; the messages go with `purge_messages`."""

    @abstractmethod
    def delete_idle_sessions(
        self,
        idle_since: datetime,
        limit: int,
        *,
        outbox_for: Callable[[Session], OutboxItem],
    ) -> list[Session]:
        """Delete up to `limit` sessions of every tenant last changed at or before
        `idle_since` (retention), oldest first, each like `delete_session` in a transaction
        that checks it is still idle (an append meanwhile keeps it); returns those deleted."""

    @abstractmethod
    def purge_messages(self, tenant_id: str, session_id: str) -> int:
        """Delete every message of a (deleted) session; idempotent; returns how many went."""

    # --- messages -------------------------------------------------------------------------------

    @abstractmethod
    def append_messages(
        self,
        key: SessionKey,
        messages: Sequence[NewMessage],
        *,
        now: datetime,
        new_session: Session | None = None,
        outbox: Sequence[OutboxItem] = (),
        idempotency: IdempotencyResult | None = None,
        snapshot: SessionSnapshot | None = None,
        deadline: float | None = None,
    ) -> tuple[Session, list[Message]]:
        """Atomically: read the session (or create `new_session`), give the messages the next
        gap-free seqs, store them unpublished, set message_count and updated_at, and write
        `outbox` and the idempotency result. `Conflict(session_archived)` if it is archived.
        With `snapshot` (from `read_for_append`) the first attempt skips the read; a session
        changed since is read again and the messages take the seqs after the change."""

    def read_for_append(self, key: SessionKey, recent: int) -> SessionSnapshot:
        """The session and its last `recent` messages, newest first, for a turn that will
        append (`NotFound` like `get_session`). Stores that keep a recent window answer in one
        round trip."""
        session = self.get_session(key)
        messages = self.recent_messages(key, recent) if recent > 0 and session.message_count else []
        return SessionSnapshot(session, messages)

    @abstractmethod
    def list_messages(
        self, key: SessionKey, *, order: Order, page_size: int, page_token: str | None
    ) -> Page[Message]:
        """Messages by seq; `NotFound` for a foreign session."""

    @abstractmethod
    def recent_messages(self, key: SessionKey, limit: int) -> list[Message]:
        """The last `limit` messages, newest first: one bounded query, never the history."""

    @abstractmethod
    def get_messages(
        self, tenant_id: str, user_id: str, message_ids: Sequence[str]
    ) -> list[Message]:
        """The user's messages by id, in the order asked, in one batched read; ids that are
        gone (deleted, or their session deleted) or another user's are left out."""

    @abstractmethod
    def get_sessions(
        self, tenant_id: str, user_id: str, session_ids: Sequence[str]
    ) -> list[Session]:
        """The user's sessions by id, in the order asked, in one batched read; missing and
        foreign ones are left out."""

    @abstractmethod
    def expired_messages(self, created_until: datetime, limit: int) -> list[Message]:
        """Up to `limit` messages of every tenant created at or before `created_until`
        (retention), oldest first: one bounded collection-group query."""

    @abstractmethod
    def delete_messages(self, messages: Sequence[Message]) -> None:
        """Delete these message documents; ones already gone are fine."""

    # --- idempotency ----------------------------------------------------------------------------

    @abstractmethod
    def claim_idempotency(self, claim: IdempotencyClaim) -> StoredResponse | None:
        """Atomically: None if the key is now ours; the stored response if it completed;
        `Conflict(idempotency_key_reused)` for another request under the same key;
        `Conflict(idempotency_key_in_progress)` while an unexpired claim runs."""

    @abstractmethod
    def release_idempotency(self, claim: IdempotencyClaim) -> None:
        """Drop a pending claim (the request failed, so a retry may run)."""

    @abstractmethod
    def delete_user_records(self, tenant_id: str, user_id: str) -> None:
        """Erase the user's idempotency records (they hold copies of messages)."""

    # --- event delivery -------------------------------------------------------------------------

    @abstractmethod
    def unpublished_messages(self, older_than: datetime, limit: int) -> list[Message]:
        """Messages of every tenant still unpublished and created before `older_than`, oldest
        first."""

    @abstractmethod
    def mark_published(self, messages: Sequence[Message]) -> None:
        """Flag the messages published; messages deleted meanwhile are skipped."""

    def mark_delivered(self, outbox_ids: Sequence[str], messages: Sequence[Message]) -> None:
        """After a publish: drop these outbox items and flag these messages published (stores
        that can do it in one write do)."""
        if outbox_ids:
            self.delete_outbox(outbox_ids)
        if messages:
            self.mark_published(messages)

    @abstractmethod
    def add_outbox(self, items: Sequence[OutboxItem]) -> None:
        """Write outbox items that belong to no other write (e.g. a user's erasure)."""

    @abstractmethod
    def pending_outbox(self, older_than: datetime, limit: int) -> list[OutboxItem]:
        """Outbox items created before `older_than`, oldest first."""

    @abstractmethod
    def delete_outbox(self, event_ids: Sequence[str]) -> None:
        """Remove published outbox items (missing ones are fine)."""
