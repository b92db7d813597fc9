"""Ingest: turn one event of the messages topic into its analytics rows and vectors.

The two copies are independent sinks. Each event runs every sink it concerns, side by side in
threads (an outage of one neither stops nor delays the other), then raises `Unavailable` if
any failed, so Pub/Sub redelivers it. A redelivered event is simply done again rather than
skipped by a "done" marker: the BigQuery rows carry the same insert id (and the views
deduplicate), the datapoint has the same id (an upsert replaces it), so re-doing is harmless,
and it costs an embedding call only on the rare redelivery, whereas a marker would cost a read
and a write on every message.

What is indexed: only `user` and `assistant` messages with non-blank text. `system` prompts are
configuration rather than memory and `tool` output is machine data that would crowd semantic
search; both still go to BigQuery, which keeps every message.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from shared.domain.errors import HybridSessionsError, Unavailable
from shared.domain.events import (
    Event,
    MessageCreated,
    MessagesExpired,
    SessionChanged,
    UserErased,
)
from shared.domain.ids import message_id
from shared.ports.analytics_sink import AnalyticsSink, Erasure, MessageRecord, SessionRecord
from shared.ports.embedder import Embedder
from shared.ports.vector_index import VectorIndex, VectorRecord
from shared.services.erasure_guard import ErasureGuard
from shared.services.index_text import IndexTextBuilder

log = logging.getLogger(__name__)

INDEXED_ROLES = frozenset({"user", "assistant"})
# Two sinks for each event an instance handles at once (Terraform allows 4 per instance), with
# room for the local functions-framework server, which takes more.
SINK_THREADS = 16


class IngestService:
    def __init__(
        self,
        *,
        analytics: AnalyticsSink,
        embedder: Embedder,
        vectors: VectorIndex,
        indexed_roles: Iterable[str] = INDEXED_ROLES,
        index_text: IndexTextBuilder | None = None,
        guard: ErasureGuard | None = None,
    ) -> None:
        """`guard`: the erasure tombstones (shared.services.erasure_guard) every event path
        checks; None only where no deletion can be redelivered (the backfill reads Firestore)."""
        self._guard = guard
        self._analytics = analytics
        self._embedder = embedder
        self._vectors = vectors
        self._indexed_roles = frozenset(indexed_roles)
        self._index_text = index_text or IndexTextBuilder()
        self._pool = ThreadPoolExecutor(max_workers=SINK_THREADS, thread_name_prefix="ingest-sink")

    # --- the event path ------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        """Apply one event to every sink; `Unavailable` if any sink should be retried."""
        if isinstance(event, MessageCreated):
            record = MessageRecord(
                tenant_id=event.tenant_id,
                user_id=event.user_id,
                event_id=event.event_id,
                message=event.message,
            )
            records = self._guard.live([record]) if self._guard else [record]
            if records:
                self.ingest_messages(records)
                if self._guard:
                    self._guard.recheck(records, self._vectors)
        elif isinstance(event, SessionChanged):
            self._session_changed(event)
        elif isinstance(event, UserErased):
            self._user_erased(event)
        elif isinstance(event, MessagesExpired):
            self._messages_expired(event)
        else:  # pragma: no cover - the Event union is exhaustive
            raise TypeError(f"unknown event {type(event).__name__}")

    # --- shared with the backfill --------------------------------------------------------

    def ingest_messages(
        self, records: Sequence[MessageRecord], *, analytics: bool = True, vectors: bool = True
    ) -> None:
        """Rows and vectors of a batch of messages, each sink attempted independently."""
        steps: dict[str, Callable[[], object]] = {}
        if analytics:
            rows = [
                dataclasses.replace(r, embedding_model=self._embedder.model_id)
                if self.indexable(r)
                else r
                for r in records
            ]
            steps["bigquery"] = lambda: self._analytics.write_messages(rows)
        if vectors:
            steps["vectors"] = lambda: self.index_messages(records)
        self._run_independently(steps)

    def index_messages(self, records: Sequence[MessageRecord]) -> int:
        """Embed and upsert the indexable messages of `records`; returns how many."""
        indexable = [r for r in records if self.indexable(r)]
        if not indexable:
            return 0
        texts = self._index_text.build(indexable)
        embeddings = self._embedder.embed_documents([t.text for t in texts])
        self._vectors.upsert(
            [
                VectorRecord(
                    id=r.message.message_id,
                    vector=vector,
                    tenant_id=r.tenant_id,
                    user_id=r.user_id,
                    session_id=r.message.session_id,
                    role=r.message.role,
                    created_at=r.message.created_at,
                    model_id=self._embedder.model_id,
                    terms=t.terms,
                )
                for r, t, vector in zip(indexable, texts, embeddings, strict=True)
            ]
        )
        return len(indexable)

    def indexable(self, record: MessageRecord) -> bool:
        return record.message.role in self._indexed_roles and bool(record.message.content.strip())

    # --- sessions and erasure ------------------------------------------------------------

    def _session_changed(self, event: SessionChanged) -> None:
        if event.change != "deleted":
            record = SessionRecord(
                tenant_id=event.tenant_id,
                user_id=event.user_id,
                event_id=event.event_id,
                change=event.change,
                occurred_at=event.occurred_at,
                session=event.session,
            )
            self._analytics.write_sessions([record])
            return
        if self._guard:
            self._guard.bury_session(event)
        # A deleted session gets no "deleted" row: it would itself sit in BigQuery's streaming
        # buffer and block the DML delete below for half an hour. The erasure ledger is the
        # record of the deletion.
        session = event.session
        erasure = Erasure(
            event_id=event.event_id,
            tenant_id=event.tenant_id,
            user_id=event.user_id,
            erased_at=event.occurred_at,
            session_id=session.session_id,
        )
        # Message ids are deterministic, so the vectors are known without a lookup.
        ids = [message_id(session.session_id, seq) for seq in range(session.message_count)]
        self._run_independently(
            {
                "bigquery": lambda: self._erase_rows(erasure),
                "vectors": lambda: self._vectors.remove(ids) if ids else None,
            }
        )

    def _user_erased(self, event: UserErased) -> None:
        """The sessions function first publishes one `SessionChanged(deleted)` per session,
        which removes the vectors. This sweep also removes every vector whose message row is
        still in BigQuery, so a lost or dead-lettered session event cannot leave one behind;
        that needs BigQuery up, hence the fixed order: ledger, vectors, then the rows."""
        erasure = Erasure(
            event_id=event.event_id,
            tenant_id=event.tenant_id,
            user_id=event.user_id,
            erased_at=event.occurred_at,
        )
        if self._guard:
            self._guard.bury_user(event)
        self._analytics.record_erasure(erasure)
        ids = self._analytics.message_ids(erasure)
        if ids:
            self._vectors.remove(ids)
        self._analytics.purge(erasure)

    def _messages_expired(self, event: MessagesExpired) -> None:
        """Only the vectors: the BigQuery rows go with their partitions, which expire a day
        after the retention (Terraform). Deleting them here would be a DML statement per event
        against BigQuery's per-table DML limits, and the erasure ledger records deletions
        people asked for, not ageing."""
        self._run_independently({"vectors": lambda: self._vectors.remove(event.message_ids)})

    def _erase_rows(self, erasure: Erasure) -> None:
        self._analytics.record_erasure(erasure)
        self._analytics.purge(erasure)

    def _run_independently(self, steps: dict[str, Callable[[], object]]) -> None:
        """Run every step at once; afterwards raise `Unavailable` if any step should be
        retried, else the first permanent error. Anything else is a bug and propagates."""
        futures = {name: self._pool.submit(step) for name, step in steps.items()}
        outcomes = {name: future.exception() for name, future in futures.items()}
        retry: dict[str, Unavailable] = {}
        permanent: list[HybridSessionsError] = []
        for name, error in outcomes.items():
            if isinstance(error, Unavailable):
                log.warning("ingest: %s unavailable: %s", name, error.message)
                retry[name] = error
            elif isinstance(error, HybridSessionsError):
                log.error("ingest: %s rejected the data (%s): %s", name, error.code, error.message)
                permanent.append(error)
            elif error is not None:
                raise error
        if retry:
            message = "; ".join(f"{name}: {exc.message}" for name, exc in retry.items())
            raise Unavailable(message, sinks=list(retry))
        if permanent:
            raise permanent[0]
