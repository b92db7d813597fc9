"""Erasure tombstones over the in-memory fakes: after a session's deletion (or its user's
erasure) is ingested, its `MessageCreated` delivered again writes no row and no vector; the
user's later messages are theirs again; a deletion that races a write still wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.adapters.in_memory.analytics_sink import InMemoryAnalyticsSink
from shared.adapters.in_memory.embedder import InMemoryEmbedder
from shared.adapters.in_memory.tombstones import InMemoryTombstones
from shared.adapters.in_memory.vector_index import InMemoryVectorIndex
from shared.domain.events import (
    MessageCreated,
    MessageData,
    SessionChanged,
    SessionData,
    UserErased,
)
from shared.domain.ids import message_id
from shared.services.erasure_guard import ErasureGuard, tombstone_lifetime
from shared.services.ingest_service import IngestService

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)


class World:
    def __init__(self) -> None:
        self.sink = InMemoryAnalyticsSink()
        self.vectors = InMemoryVectorIndex()
        self.tombstones = InMemoryTombstones()
        guard = ErasureGuard(self.tombstones, lifetime=tombstone_lifetime(7))
        self.ingest = IngestService(
            analytics=self.sink, embedder=InMemoryEmbedder(), vectors=self.vectors, guard=guard
        )

    def rows(self) -> set[str]:
        return {r.message.message_id for r in self.sink.message_rows}

    def vector_ids(self) -> set[str]:
        return set(self.vectors.points)


def created(sid: str, seq: int, at: datetime, user: str = "ann") -> MessageCreated:
    mid = message_id(sid, seq)
    return MessageCreated(
        event_id=mid,
        tenant_id="t1",
        user_id=user,
        occurred_at=at,
        message=MessageData(
            message_id=mid, session_id=sid, seq=seq, role="user", content=f"hello {seq}",
            created_at=at, metadata={},
        ),
    )  # fmt: skip


def deleted(sid: str, count: int, at: datetime) -> SessionChanged:
    return SessionChanged(
        event_id=f"{sid}.deleted.1",
        tenant_id="t1",
        user_id="ann",
        occurred_at=at,
        change="deleted",
        session=SessionData(
            session_id=sid, title=None, status="active", metadata={}, message_count=count,
            created_at=T0, updated_at=at,
        ),
    )  # fmt: skip


def test_a_redelivered_message_of_a_deleted_session_writes_nothing() -> None:
    w = World()
    events = [created("s1", seq, T0) for seq in range(2)]
    for e in events:
        w.ingest.handle(e)
    assert w.vector_ids() == {message_id("s1", 0), message_id("s1", 1)}

    w.ingest.handle(deleted("s1", 2, T0 + timedelta(minutes=5)))
    assert w.vector_ids() == set()
    rows_after_delete = len(w.sink.message_rows)
    for e in events:  # redelivered, or replayed from the dead letters
        w.ingest.handle(e)
    assert w.vector_ids() == set() and len(w.sink.message_rows) == rows_after_delete


def test_an_erased_user_stays_erased_but_may_come_back() -> None:
    w = World()
    old = created("s1", 0, T0)
    w.ingest.handle(old)
    erased_at = T0 + timedelta(hours=1)
    w.ingest.handle(UserErased(event_id="e1", tenant_id="t1", user_id="ann", occurred_at=erased_at))
    before = len(w.sink.message_rows)
    w.ingest.handle(old)
    assert message_id("s1", 0) not in w.vector_ids() and len(w.sink.message_rows) == before
    again = created("s2", 0, erased_at + timedelta(minutes=1))
    w.ingest.handle(again)
    assert message_id("s2", 0) in w.vector_ids() and message_id("s2", 0) in w.rows()
    other = created("s3", 0, T0, user="bo")  # another user of the tenant is untouched
    w.ingest.handle(other)
    assert message_id("s3", 0) in w.vector_ids()


def test_a_deletion_ingested_during_a_write_still_wins() -> None:
    w = World()
    real_upsert = w.vectors.upsert

    def upsert_then_deleted(records):  # the deletion lands while this write is in flight
        real_upsert(records)
        w.ingest.handle(deleted("s1", 1, T0 + timedelta(seconds=1)))
        real_upsert(records)  # the in-flight write lands after the deletion's removal

    w.vectors.upsert = upsert_then_deleted  # type: ignore[method-assign]  # the test swaps one method of its fake
    w.ingest.handle(created("s1", 0, T0))
    assert w.vector_ids() == set()


def test_tombstones_outlive_pubsub_retention_and_the_replay_window() -> None:
    w = World()
    at = T0 + timedelta(minutes=5)
    w.ingest.handle(deleted("s1", 0, at))
    (stone,) = w.tombstones.stones.values()
    assert stone.expires_at - at == timedelta(days=31 + 7)
