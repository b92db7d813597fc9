"""`SessionStore` on Firestore (native mode); the layout is in this package's docstring.

Appends are optimistic (see `_optimistic`): they read the session document and its recent
window in one batched get, then commit the messages (`exists=False`), the window, and the
session's new `message_count` under a precondition on the session document's `update_time`.
Concurrent appends to one session therefore never both commit from the same count: gap-free
seqs and an exact message_count, with no lock held while anyone waits. Pages use Firestore
cursors (`start_after` the last item's order values), never offsets, so a page costs the same
at message 10 and at message 10,000.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.adapters.firestore import _convert as convert
from shared.adapters.firestore import _window as window
from shared.adapters.firestore._errors import translated, with_contention_retry
from shared.adapters.firestore._optimistic import (
    AMBIGUOUS,
    Deadline,
    KeyedLocks,
    until_deadline,
)
from shared.adapters.firestore._retention import TTL_GRACE, Retention, alive, utc_now
from shared.adapters.firestore._window import WindowLimits
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

_DELETE_BATCH = 400  # below the 500 writes a batch commit allows
_READ_BUDGET_S = 5.0  # a turn's read before the model, its retries included
_CLAIM_BUDGET_S = 5.0
_ASC, _DESC = firestore.Query.ASCENDING, firestore.Query.DESCENDING

T = TypeVar("T")


class FirestoreSessionStore(SessionStore):
    """With `retention_days`, a session lives that many days after its last change and a
    message that many days after it was created: both carry `expires_at` for Firestore's TTL
    policy, and reads leave out what has expired before the TTL sweep deletes it."""

    def __init__(
        self,
        client: firestore.Client,
        *,
        retention_days: int | None = None,
        clock: Callable[[], datetime] = utc_now,
        window_messages: int = WindowLimits.messages,
    ) -> None:
        self._db = client
        self._retention = Retention(retention_days, clock)
        self._window = WindowLimits(messages=window_messages)
        self._writers = KeyedLocks()

    # --- references -----------------------------------------------------------------------------

    def _sessions(self, tenant_id: str) -> Any:
        return self._db.collection("tenants").document(tenant_id).collection("sessions")

    def _session_ref(self, tenant_id: str, session_id: str) -> Any:
        return self._sessions(tenant_id).document(session_id)

    def _messages(self, tenant_id: str, session_id: str) -> Any:
        return self._session_ref(tenant_id, session_id).collection("messages")

    def _window_ref(self, tenant_id: str, session_id: str) -> Any:
        return (
            self._session_ref(tenant_id, session_id)
            .collection(window.WINDOW_COLLECTION)
            .document(window.WINDOW_DOCUMENT)
        )

    def _message_ref(self, message: Message) -> Any:
        return self._messages(message.tenant_id, message.session_id).document(message.message_id)

    def _idempotency_ref(self, claim: IdempotencyClaim) -> Any:
        digest = hashlib.sha256(f"{claim.user_id}\0{claim.key}".encode()).hexdigest()
        return (
            self._db.collection("tenants")
            .document(claim.tenant_id)
            .collection("idempotency")
            .document(digest)
        )

    def _outbox_ref(self, event_id: str) -> Any:
        return self._db.collection("outbox").document(hashlib.sha256(event_id.encode()).hexdigest())

    def _owned(self, snapshot: Any, key: SessionKey) -> Session:
        if not snapshot.exists:
            raise session_not_found()
        session = convert.session_from_doc(snapshot.to_dict())
        if session.user_id != key.user_id:
            raise session_not_found()
        if not alive(session.updated_at, self._retention.cutoff()):
            raise session_not_found()  # expired: the TTL sweep has not deleted it yet
        return session

    def _session_doc(self, session: Session) -> dict[str, Any]:
        return self._session_stamp(convert.session_to_doc(session), session.updated_at)

    def _session_stamp(self, fields: dict[str, Any], changed_at: datetime) -> dict[str, Any]:
        return self._retention.stamp(fields, changed_at, TTL_GRACE)

    def _message_doc(self, message: Message) -> dict[str, Any]:
        return self._retention.stamp(convert.message_to_doc(message), message.created_at, TTL_GRACE)

    def _transact(self, body: Callable[[Any], T]) -> T:
        def attempt() -> T:
            result: T = firestore.transactional(body)(self._db.transaction(max_attempts=3))
            return result

        with translated():
            return with_contention_retry(attempt)

    # --- sessions -------------------------------------------------------------------------------

    def create_session(self, session: Session, *, outbox: Sequence[OutboxItem] = ()) -> Session:
        with translated():
            batch = self._db.batch()
            batch.create(
                self._session_ref(session.tenant_id, session.session_id),
                self._session_doc(session),
            )
            for item in outbox:
                batch.set(self._outbox_ref(item.event_id), convert.outbox_to_doc(item))
            batch.commit()
        return session

    def get_session(self, key: SessionKey) -> Session:
        with translated():
            snapshot = self._session_ref(key.tenant_id, key.session_id).get()
        return self._owned(snapshot, key)

    def list_sessions(
        self,
        tenant_id: str,
        user_id: str,
        *,
        status: SessionStatus | None,
        page_size: int,
        page_token: str | None,
    ) -> Page[Session]:
        kind = f"sessions:{status or ''}"
        cursor = page_tokens.decode(page_token, kind)
        query = self._sessions(tenant_id).where(filter=FieldFilter("user_id", "==", user_id))
        if status is not None:
            query = query.where(filter=FieldFilter("status", "==", status))
        if (cutoff := self._retention.cutoff()) is not None:
            # Full pages, not pages with holes: the index skips the expired ones.
            query = query.where(filter=FieldFilter("updated_at", ">", cutoff))
        query = query.order_by("created_at", direction=_DESC).order_by(
            "session_id", direction=_DESC
        )
        if cursor is not None:
            query = query.start_after(
                {
                    "created_at": page_tokens.require_time(cursor, "t"),
                    "session_id": page_tokens.require(cursor, "id", str),
                }
            )
        with translated():
            docs = [s.to_dict() for s in query.limit(page_size + 1).stream()]
        sessions = [convert.session_from_doc(d) for d in docs[:page_size]]
        token = None
        if len(docs) > page_size:
            last = sessions[-1]
            token = page_tokens.encode(
                kind, {"t": last.created_at.isoformat(), "id": last.session_id}
            )
        return Page(sessions, token)

    def update_session(
        self,
        key: SessionKey,
        change: SessionChange,
        *,
        now: datetime,
        outbox_for: Callable[[Session], OutboxItem],
    ) -> Session:
        ref = self._session_ref(key.tenant_id, key.session_id)

        def body(transaction: Any) -> Session:
            current = self._owned(ref.get(transaction=transaction), key)
            updated = current.model_copy(
                update={**change, "updated_at": now, "version": current.version + 1}
            )
            fields = self._session_stamp(
                {**change, "updated_at": now, "version": updated.version}, now
            )
            transaction.update(ref, fields)
            item = outbox_for(updated)
            transaction.set(self._outbox_ref(item.event_id), convert.outbox_to_doc(item))
            return updated

        return self._transact(body)

    def delete_session(
        self, key: SessionKey, *, outbox_for: Callable[[Session], OutboxItem]
    ) -> Session:
        ref = self._session_ref(key.tenant_id, key.session_id)

        def body(transaction: Any) -> Session:
            current = self._owned(ref.get(transaction=transaction), key)
            transaction.delete(ref)
            transaction.delete(self._window_ref(key.tenant_id, key.session_id))
            item = outbox_for(current)
            transaction.set(self._outbox_ref(item.event_id), convert.outbox_to_doc(item))
            return current

        return self._transact(body)

    def delete_idle_sessions(
        self,
        idle_since: datetime,
        limit: int,
        *,
        outbox_for: Callable[[Session], OutboxItem],
    ) -> list[Session]:
        query = (
            self._db.collection_group("sessions")
            .where(filter=FieldFilter("updated_at", "<=", idle_since))
            .order_by("updated_at")
            .limit(limit)
        )
        with translated():
            refs = [s.reference for s in query.stream()]
        deleted = []
        for ref in refs:

            def body(transaction: Any, ref: Any = ref) -> Session | None:
                snapshot = ref.get(transaction=transaction)
                if not snapshot.exists:
                    return None
                session = convert.session_from_doc(snapshot.to_dict())
                if session.updated_at > idle_since:
                    return None  # changed since the query: still in use
                transaction.delete(ref)
                transaction.delete(self._window_ref(session.tenant_id, session.session_id))
                item = outbox_for(session)
                transaction.set(self._outbox_ref(item.event_id), convert.outbox_to_doc(item))
                return session

            if (session := self._transact(body)) is not None:
                deleted.append(session)
        return deleted

    def purge_messages(self, tenant_id: str, session_id: str) -> int:
        collection = self._messages(tenant_id, session_id)
        deleted = 0
        with translated():
            # Normally gone with its session already; this also covers a session TTL deleted.
            self._window_ref(tenant_id, session_id).delete()
            while True:
                refs = [s.reference for s in collection.limit(_DELETE_BATCH).stream()]
                if not refs:
                    return deleted
                batch = self._db.batch()
                for ref in refs:
                    batch.delete(ref)
                batch.commit()
                deleted += len(refs)

    # --- messages -------------------------------------------------------------------------------

    def read_for_append(self, key: SessionKey, recent: int) -> SessionSnapshot:
        deadline = Deadline(None, _READ_BUDGET_S)
        with translated():
            return until_deadline(lambda _: self._read_for_append(key, recent, deadline), deadline)

    def _read_for_append(self, key: SessionKey, recent: int, deadline: Deadline) -> SessionSnapshot:
        """One batched get of the session and its window; a query only when the window
        cannot answer (see `_window`)."""
        ref = self._session_ref(key.tenant_id, key.session_id)
        window_ref = self._window_ref(key.tenant_id, key.session_id)
        found = {
            s.reference.path: s
            for s in self._db.get_all([ref, window_ref], retry=None, timeout=deadline.rpc_timeout())
        }
        snapshot = found.get(ref.path)
        if snapshot is None:
            raise session_not_found()
        session = self._owned(snapshot, key)
        messages: list[Message] = []
        if recent > 0 and session.message_count:
            held = found.get(window_ref.path)
            from_window = window.window_messages(
                held.to_dict() if held is not None and held.exists else None,
                tenant_id=key.tenant_id,
                user_id=key.user_id,
                message_count=session.message_count,
                limit=recent,
                cutoff=self._retention.cutoff(),
            )
            messages = (
                from_window if from_window is not None else self._recent(key, recent, deadline)
            )
        return SessionSnapshot(session, messages, snapshot.update_time)

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
        limit = Deadline(deadline)
        write_id = uuid.uuid4().hex  # tells our own commit from another's after a lost reply
        done: list[tuple[Session, list[Message]]] = []  # the last attempt's result
        unsure = [False]  # whether that attempt failed without saying if it committed

        def attempt(n: int) -> tuple[Session, list[Message]]:
            if unsure[0] and self._committed(done[-1][1], write_id, limit):
                return done[-1]  # the reply was lost, not the commit
            unsure[0] = False
            if new_session is not None:
                base, recent, version = new_session, [], None
            else:
                read = snapshot if n == 0 and snapshot is not None else None
                read = read or self._read_for_append(key, self._window.messages, limit)
                base, recent, version = read.session, read.recent, read.version
                base.check_writable()
            batch, result = self._append_batch(
                key, base, recent, version, messages, now, outbox, idempotency, write_id
            )
            done.append(result)
            try:
                batch.commit(retry=None, timeout=limit.rpc_timeout())
            except AMBIGUOUS:
                unsure[0] = True
                raise
            return result

        with self._writers.hold(f"{key.tenant_id}/{key.session_id}", limit), translated():
            return until_deadline(attempt, limit)

    def _append_batch(
        self,
        key: SessionKey,
        base: Session,
        recent: list[Message],
        version: Any,
        messages: Sequence[NewMessage],
        now: datetime,
        outbox: Sequence[OutboxItem],
        idempotency: IdempotencyResult | None,
        write_id: str,
    ) -> tuple[Any, tuple[Session, list[Message]]]:
        """One commit: the session (created, or updated if unchanged since `version`), the
        messages (created, so a seq is never written twice), the window, outbox, result."""
        first = base.message_count
        stored = [_message(key, first + i, m) for i, m in enumerate(messages)]
        session = base.model_copy(update={"message_count": first + len(stored), "updated_at": now})
        ref = self._session_ref(key.tenant_id, key.session_id)
        batch = self._db.batch()
        # The session's expiry moves with every append (an active session never expires);
        # its messages are never younger than `now`, so none outlives it.
        if version is None:
            batch.create(ref, self._session_doc(session))
        else:
            fields = {"message_count": session.message_count, "updated_at": now}
            batch.update(
                ref,
                self._session_stamp(fields, now),
                option=self._db.write_option(last_update_time=version),
            )
        collection = self._messages(key.tenant_id, key.session_id)
        for message in stored:
            doc = {**self._message_doc(message), "write_id": write_id}
            batch.create(collection.document(message.message_id), doc)
        cutoff = self._retention.cutoff()
        newest = [*reversed(stored), *(m for m in recent if alive(m.created_at, cutoff))]
        doc = window.window_doc(
            newest, self._window, user_id=key.user_id, through_seq=session.message_count
        )
        batch.set(self._window_ref(key.tenant_id, key.session_id), self._session_stamp(doc, now))
        for item in outbox:
            batch.set(self._outbox_ref(item.event_id), convert.outbox_to_doc(item))
        if idempotency is not None:
            claim, response = idempotency.claim, idempotency.render(session, stored)
            batch.set(
                self._idempotency_ref(claim),
                {
                    **_claim_doc(claim, "done"),
                    "response_status": response.status,
                    "response_json": convert.dumps(response.body),
                },
            )
        return batch, (session, stored)

    def _committed(self, attempted: list[Message], write_id: str, deadline: Deadline) -> bool:
        refs = [self._message_ref(m) for m in attempted]
        found = self._db.get_all(refs[:1], retry=None, timeout=deadline.rpc_timeout())
        return any(s.exists and s.get("write_id") == write_id for s in found)

    def list_messages(
        self, key: SessionKey, *, order: Order, page_size: int, page_token: str | None
    ) -> Page[Message]:
        kind = f"messages:{order}"
        cursor = page_tokens.decode(page_token, kind)
        self.get_session(key)  # ownership; also: a deleted session lists nothing
        query = self._live_messages(key).order_by(
            "seq", direction=_ASC if order == "asc" else _DESC
        )
        if cursor is not None:
            query = query.start_after({"seq": page_tokens.require(cursor, "seq", int)})
        with translated():
            docs = [s.to_dict() for s in query.limit(page_size + 1).stream()]
        items = [convert.message_from_doc(d) for d in docs[:page_size]]
        token = None
        if len(docs) > page_size:
            token = page_tokens.encode(kind, {"seq": items[-1].seq})
        return Page(items, token)

    def recent_messages(self, key: SessionKey, limit: int) -> list[Message]:
        with translated():
            return self._recent(key, limit, Deadline(None))

    def _recent(self, key: SessionKey, limit: int, deadline: Deadline) -> list[Message]:
        query = self._live_messages(key).order_by("seq", direction=_DESC).limit(limit)
        stream = query.stream(retry=None, timeout=deadline.rpc_timeout())
        return [convert.message_from_doc(s.to_dict()) for s in stream]

    def _live_messages(self, key: SessionKey) -> Any:
        """The session's messages, less those past retention (a range on `created_at`)."""
        query = self._messages(key.tenant_id, key.session_id)
        if (cutoff := self._retention.cutoff()) is not None:
            query = query.where(filter=FieldFilter("created_at", ">", cutoff))
        return query

    def get_messages(
        self, tenant_id: str, user_id: str, message_ids: Sequence[str]
    ) -> list[Message]:
        wanted = list(dict.fromkeys(message_ids))
        if not wanted:
            return []
        session_ids = {ids.session_of(mid) for mid in wanted}
        refs = [self._session_ref(tenant_id, sid) for sid in session_ids]
        refs += [self._messages(tenant_id, ids.session_of(mid)).document(mid) for mid in wanted]
        with translated():
            snapshots = [s for s in self._db.get_all(refs) if s.exists]
        cutoff = self._retention.cutoff()
        live: set[str] = set()
        messages: dict[str, dict[str, Any]] = {}
        for snapshot in snapshots:
            doc = convert.fields(snapshot)
            if doc.get("user_id") != user_id:
                continue
            if snapshot.reference.parent.id == "messages":
                if alive(doc["created_at"], cutoff):
                    messages[snapshot.id] = doc
            elif alive(doc["updated_at"], cutoff):
                live.add(snapshot.id)
        # A message counts only while its session document exists: a deleted session's
        # messages may outlive it until the purge.
        return [
            convert.message_from_doc(messages[mid])
            for mid in wanted
            if mid in messages and ids.session_of(mid) in live
        ]

    def get_sessions(
        self, tenant_id: str, user_id: str, session_ids: Sequence[str]
    ) -> list[Session]:
        wanted = list(dict.fromkeys(session_ids))
        if not wanted:
            return []
        refs = [self._session_ref(tenant_id, sid) for sid in wanted]
        with translated():
            docs = [convert.fields(s) for s in self._db.get_all(refs) if s.exists]
        cutoff = self._retention.cutoff()
        found = {
            d["session_id"]: convert.session_from_doc(d)
            for d in docs
            if d.get("user_id") == user_id and alive(d["updated_at"], cutoff)
        }
        return [found[sid] for sid in wanted if sid in found]

    def expired_messages(self, created_until: datetime, limit: int) -> list[Message]:
        # Single-field collection-group index on created_at (infra/firestore.indexes.json).
        query = (
            self._db.collection_group("messages")
            .where(filter=FieldFilter("created_at", "<=", created_until))
            .order_by("created_at")
            .limit(limit)
        )
        with translated():
            return [convert.message_from_doc(convert.fields(s)) for s in query.stream()]

    def delete_messages(self, messages: Sequence[Message]) -> None:
        # Their sessions' windows may hold copies: they go too (the next append rebuilds one
        # from the messages that remain, leaving out expired ones).
        sessions = {(m.tenant_id, m.session_id) for m in messages}
        refs = [self._window_ref(t, s) for t, s in sorted(sessions)]
        with translated():
            self._delete_all(refs + [self._message_ref(m) for m in messages])

    # --- idempotency ----------------------------------------------------------------------------

    def claim_idempotency(self, claim: IdempotencyClaim) -> StoredResponse | None:
        """Optimistic: a new key is one create (no read); a key seen before is read, and taken
        over (when its record expired or its lease ran out) only if unchanged since."""
        ref = self._idempotency_ref(claim)
        deadline = Deadline(None, _CLAIM_BUDGET_S)

        def attempt(_: int) -> StoredResponse | None:
            try:
                ref.create(_claim_doc(claim, "pending"), retry=None, timeout=deadline.rpc_timeout())
                return None
            except gexc.AlreadyExists:
                pass
            snapshot = ref.get(retry=None, timeout=deadline.rpc_timeout())
            if not snapshot.exists:
                raise gexc.Aborted("the record went away; claim again")
            record = snapshot.to_dict()
            if record["expires_at"] > claim.now:
                if record["fingerprint"] != claim.fingerprint:
                    raise Conflict(
                        "Idempotency-Key was used for a different request",
                        code="idempotency_key_reused",
                    )
                if record.get("state") == "done":
                    return StoredResponse(
                        record["response_status"], json.loads(record["response_json"])
                    )
                if record["claimed_at"] + timedelta(seconds=claim.lease_s) > claim.now:
                    raise Conflict(
                        "a request with this Idempotency-Key is in progress",
                        code="idempotency_key_in_progress",
                    )
            ref.update(
                {**_claim_doc(claim, "pending"), "response_status": None, "response_json": None},
                option=self._db.write_option(last_update_time=snapshot.update_time),
                retry=None,
                timeout=deadline.rpc_timeout(),
            )
            return None

        with translated():
            return until_deadline(attempt, deadline)

    def release_idempotency(self, claim: IdempotencyClaim) -> None:
        """Only our own pending claim (same claim time), and only if unchanged since read."""
        ref = self._idempotency_ref(claim)
        with translated():
            snapshot = ref.get()
            if not snapshot.exists:
                return
            record = snapshot.to_dict()
            if record.get("state") != "pending" or record.get("claimed_at") != claim.now:
                return
            with contextlib.suppress(gexc.FailedPrecondition, gexc.NotFound):
                ref.delete(option=self._db.write_option(last_update_time=snapshot.update_time))

    def delete_user_records(self, tenant_id: str, user_id: str) -> None:
        query = (
            self._db.collection("tenants")
            .document(tenant_id)
            .collection("idempotency")
            .where(filter=FieldFilter("user_id", "==", user_id))
            .limit(_DELETE_BATCH)
        )
        with translated():
            while refs := [s.reference for s in query.stream()]:
                self._delete_all(refs)

    # --- event delivery -------------------------------------------------------------------------

    def unpublished_messages(self, older_than: datetime, limit: int) -> list[Message]:
        query = (
            self._db.collection_group("messages")
            .where(filter=FieldFilter("published", "==", False))
            .where(filter=FieldFilter("created_at", "<", older_than))
            .order_by("created_at")
            .limit(limit)
        )
        with translated():
            return [convert.message_from_doc(convert.fields(s)) for s in query.stream()]

    def mark_published(self, messages: Sequence[Message]) -> None:
        self.mark_delivered((), messages)

    def mark_delivered(self, outbox_ids: Sequence[str], messages: Sequence[Message]) -> None:
        """One commit per 400 writes: `update` requires the message to exist, so a message
        deleted meanwhile (its session purged) is never recreated as a stub."""
        writes: list[str | Message] = [*outbox_ids, *messages]  # outbox ids, then messages
        with translated():
            for chunk in _chunks(writes, _DELETE_BATCH):
                batch = self._db.batch()
                for item in chunk:
                    if isinstance(item, str):
                        batch.delete(self._outbox_ref(item))
                    else:
                        batch.update(self._message_ref(item), {"published": True})
                try:
                    batch.commit()
                except gexc.NotFound:
                    # A purge got there first: write the rest one by one.
                    for item in chunk:
                        with contextlib.suppress(gexc.NotFound):
                            if isinstance(item, str):
                                self._outbox_ref(item).delete()
                            else:
                                self._message_ref(item).update({"published": True})

    def add_outbox(self, items: Sequence[OutboxItem]) -> None:
        with translated():
            batch = self._db.batch()
            for item in items:
                batch.set(self._outbox_ref(item.event_id), convert.outbox_to_doc(item))
            batch.commit()

    def pending_outbox(self, older_than: datetime, limit: int) -> list[OutboxItem]:
        query = (
            self._db.collection("outbox")
            .where(filter=FieldFilter("created_at", "<", older_than))
            .order_by("created_at")
            .limit(limit)
        )
        with translated():
            return [convert.outbox_from_doc(convert.fields(s)) for s in query.stream()]

    def delete_outbox(self, event_ids: Sequence[str]) -> None:
        with translated():
            self._delete_all([self._outbox_ref(event_id) for event_id in event_ids])

    def _delete_all(self, refs: Sequence[Any]) -> None:
        for chunk in _chunks(refs, _DELETE_BATCH):
            batch = self._db.batch()
            for ref in chunk:
                batch.delete(ref)
            batch.commit()


def _claim_doc(claim: IdempotencyClaim, state: str) -> dict[str, Any]:
    return {
        "user_id": claim.user_id,
        "fingerprint": claim.fingerprint,
        "state": state,
        "claimed_at": claim.now,
        # TTL field (infra/firestore.indexes.json): Firestore deletes expired ones.
        "expires_at": claim.now + timedelta(seconds=claim.ttl_s),
    }


def _message(key: SessionKey, seq: int, new: NewMessage) -> Message:
    return new.stored(key.tenant_id, key.user_id, key.session_id, seq)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
