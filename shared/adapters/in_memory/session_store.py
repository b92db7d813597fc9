"""An in-memory `SessionStore` with the same rules as Firestore's: one lock plays the
transaction, cursors are the same opaque tokens."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.domain import ids, page_tokens
from shared.domain.errors import Conflict, session_not_found
from shared.domain.models import Message, NewMessage, Order, Page, Session, SessionStatus
from shared.ports.session_store import (
    IdempotencyClaim,
    IdempotencyResult,
    OutboxItem,
    SessionChange,
    SessionKey,
    SessionSnapshot,
    SessionStore,
    StoredResponse,
)


@dataclass
class _Idem:
    fingerprint: str
    claimed_at: datetime
    expires_at: datetime
    response: StoredResponse | None = None


class InMemorySessionStore(SessionStore):
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.sessions: dict[tuple[str, str], Session] = {}
        self.messages: dict[tuple[str, str], dict[int, Message]] = {}
        self.outbox: dict[str, OutboxItem] = {}
        self._idem: dict[tuple[str, str, str], _Idem] = {}

    # --- sessions -------------------------------------------------------------------------------

    def create_session(self, session: Session, *, outbox: Sequence[OutboxItem] = ()) -> Session:
        with self._lock:
            if (session.tenant_id, session.session_id) in self.sessions:
                raise Conflict("session exists", code="session_exists")
            self.sessions[(session.tenant_id, session.session_id)] = session.model_copy()
            self._add_outbox(outbox)
            return session.model_copy()

    def _owned(self, key: SessionKey) -> Session:
        session = self.sessions.get((key.tenant_id, key.session_id))
        if session is None or session.user_id != key.user_id:
            raise session_not_found()
        return session

    def get_session(self, key: SessionKey) -> Session:
        with self._lock:
            return self._owned(key).model_copy()

    def list_sessions(
        self,
        tenant_id: str,
        user_id: str,
        *,
        status: SessionStatus | None,
        page_size: int,
        page_token: str | None,
    ) -> Page[Session]:
        cursor = page_tokens.decode(page_token, f"sessions:{status or ''}")
        with self._lock:
            mine = [
                s
                for (tenant, _), s in self.sessions.items()
                if tenant == tenant_id and s.user_id == user_id and status in (None, s.status)
            ]
        mine.sort(key=lambda s: (s.created_at, s.session_id), reverse=True)
        if cursor is not None:
            after = (
                page_tokens.require_time(cursor, "t"),
                page_tokens.require(cursor, "id", str),
            )
            mine = [s for s in mine if (s.created_at, s.session_id) < after]
        page = mine[:page_size]
        token = None
        if len(mine) > page_size:
            last = page[-1]
            token = page_tokens.encode(
                f"sessions:{status or ''}",
                {"t": last.created_at.isoformat(), "id": last.session_id},
            )
        return Page([s.model_copy() for s in page], token)

    def update_session(
        self,
        key: SessionKey,
        change: SessionChange,
        *,
        now: datetime,
        outbox_for: Callable[[Session], OutboxItem],
    ) -> Session:
        with self._lock:
            current = self._owned(key)
            updated = current.model_copy(
                update={**change, "updated_at": now, "version": current.version + 1}
            )
            self.sessions[(key.tenant_id, key.session_id)] = updated
            self._add_outbox([outbox_for(updated)])
            return updated.model_copy()

    def delete_session(
        self, key: SessionKey, *, outbox_for: Callable[[Session], OutboxItem]
    ) -> Session:
        with self._lock:
            current = self._owned(key)
            del self.sessions[(key.tenant_id, key.session_id)]
            self._add_outbox([outbox_for(current)])
            return current

    def delete_idle_sessions(
        self,
        idle_since: datetime,
        limit: int,
        *,
        outbox_for: Callable[[Session], OutboxItem],
    ) -> list[Session]:
        with self._lock:
            idle = sorted(
                (s for s in self.sessions.values() if s.updated_at <= idle_since),
                key=lambda s: (s.updated_at, s.tenant_id, s.session_id),
            )[:limit]
            for session in idle:
                del self.sessions[(session.tenant_id, session.session_id)]
                self._add_outbox([outbox_for(session)])
            return idle

    def purge_messages(self, tenant_id: str, session_id: str) -> int:
        with self._lock:
            return len(self.messages.pop((tenant_id, session_id), {}))

    # --- messages -------------------------------------------------------------------------------

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
        # One lock plays the commit: a snapshot is never stale here, and nothing waits long.
        with self._lock:
            if new_session is not None:
                self.create_session(new_session)
            session = self._owned(key)
            session.check_writable()
            stored = [
                m.stored(key.tenant_id, key.user_id, key.session_id, session.message_count + i)
                for i, m in enumerate(messages)
            ]
            session = session.model_copy(
                update={"message_count": session.message_count + len(stored), "updated_at": now}
            )
            self.sessions[(key.tenant_id, key.session_id)] = session
            box = self.messages.setdefault((key.tenant_id, key.session_id), {})
            for message in stored:
                box[message.seq] = message
            self._add_outbox(outbox)
            if idempotency is not None:
                record = self._idem[_idem_key(idempotency.claim)]
                record.response = idempotency.render(session, stored)
            return session.model_copy(), [m.model_copy() for m in stored]

    def list_messages(
        self, key: SessionKey, *, order: Order, page_size: int, page_token: str | None
    ) -> Page[Message]:
        cursor = page_tokens.decode(page_token, f"messages:{order}")
        with self._lock:
            self._owned(key)
            items = sorted(
                self.messages.get((key.tenant_id, key.session_id), {}).values(),
                key=lambda m: m.seq,
                reverse=order == "desc",
            )
        if cursor is not None:
            after = page_tokens.require(cursor, "seq", int)
            items = [m for m in items if (m.seq > after if order == "asc" else m.seq < after)]
        page = items[:page_size]
        token = None
        if len(items) > page_size:
            token = page_tokens.encode(f"messages:{order}", {"seq": page[-1].seq})
        return Page([m.model_copy() for m in page], token)

    def recent_messages(self, key: SessionKey, limit: int) -> list[Message]:
        return self.list_messages(key, order="desc", page_size=limit, page_token=None).items

    def get_messages(
        self, tenant_id: str, user_id: str, message_ids: Sequence[str]
    ) -> list[Message]:
        found: list[Message] = []
        with self._lock:
            for mid in dict.fromkeys(message_ids):
                session_id, seq = ids.session_of(mid), ids.seq_of(mid)
                session = self.sessions.get((tenant_id, session_id))
                message = self.messages.get((tenant_id, session_id), {}).get(
                    -1 if seq is None else seq
                )
                if session is not None and session.user_id == user_id and message is not None:
                    found.append(message.model_copy())
        return found

    def get_sessions(
        self, tenant_id: str, user_id: str, session_ids: Sequence[str]
    ) -> list[Session]:
        with self._lock:
            sessions = [self.sessions.get((tenant_id, sid)) for sid in dict.fromkeys(session_ids)]
        return [s.model_copy() for s in sessions if s is not None and s.user_id == user_id]

    def expired_messages(self, created_until: datetime, limit: int) -> list[Message]:
        with self._lock:
            expired = [
                m
                for box in self.messages.values()
                for m in box.values()
                if m.created_at <= created_until
            ]
        expired.sort(key=lambda m: (m.created_at, m.message_id))
        return [m.model_copy() for m in expired[:limit]]

    def delete_messages(self, messages: Sequence[Message]) -> None:
        with self._lock:
            for m in messages:
                self.messages.get((m.tenant_id, m.session_id), {}).pop(m.seq, None)

    # --- idempotency ----------------------------------------------------------------------------

    def claim_idempotency(self, claim: IdempotencyClaim) -> StoredResponse | None:
        with self._lock:
            record = self._idem.get(_idem_key(claim))
            if record is not None and record.expires_at > claim.now:
                if record.fingerprint != claim.fingerprint:
                    raise Conflict(
                        "Idempotency-Key was used for a different request",
                        code="idempotency_key_reused",
                    )
                if record.response is not None:
                    return record.response
                if record.claimed_at + timedelta(seconds=claim.lease_s) > claim.now:
                    raise Conflict(
                        "a request with this Idempotency-Key is in progress",
                        code="idempotency_key_in_progress",
                    )
            self._idem[_idem_key(claim)] = _Idem(
                claim.fingerprint, claim.now, claim.now + timedelta(seconds=claim.ttl_s)
            )
            return None

    def release_idempotency(self, claim: IdempotencyClaim) -> None:
        with self._lock:
            record = self._idem.get(_idem_key(claim))
            if record is not None and record.response is None:
                del self._idem[_idem_key(claim)]

    def delete_user_records(self, tenant_id: str, user_id: str) -> None:
        with self._lock:
            for k in [k for k in self._idem if k[:2] == (tenant_id, user_id)]:
                del self._idem[k]

    # --- event delivery -------------------------------------------------------------------------

    def unpublished_messages(self, older_than: datetime, limit: int) -> list[Message]:
        with self._lock:
            pending = [
                m
                for box in self.messages.values()
                for m in box.values()
                if not m.published and m.created_at < older_than
            ]
        pending.sort(key=lambda m: (m.created_at, m.message_id))
        return [m.model_copy() for m in pending[:limit]]

    def mark_published(self, messages: Sequence[Message]) -> None:
        with self._lock:
            for m in messages:
                stored = self.messages.get((m.tenant_id, m.session_id), {}).get(m.seq)
                if stored is not None:
                    stored.published = True

    def add_outbox(self, items: Sequence[OutboxItem]) -> None:
        with self._lock:
            self._add_outbox(items)

    def _add_outbox(self, items: Sequence[OutboxItem]) -> None:
        for item in items:
            self.outbox[item.event_id] = item

    def pending_outbox(self, older_than: datetime, limit: int) -> list[OutboxItem]:
        with self._lock:
            items = [i for i in self.outbox.values() if i.created_at < older_than]
        items.sort(key=lambda i: (i.created_at, i.event_id))
        return items[:limit]

    def delete_outbox(self, event_ids: Sequence[str]) -> None:
        with self._lock:
            for event_id in event_ids:
                self.outbox.pop(event_id, None)


def _idem_key(claim: IdempotencyClaim) -> tuple[str, str, str]:
    return (claim.tenant_id, claim.user_id, claim.key)
