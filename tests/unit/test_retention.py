"""Retention: the setting, its wiring, and search by meaning never reaching past it (Vector
Search has no TTL, so expired vectors may still be in the index). The Firestore store's side
runs against the emulator in tests/integration/test_retention_store.py."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from pydantic import ValidationError

from shared.adapters.firestore._retention import Retention
from shared.adapters.memory.embedder import MemoryEmbedder
from shared.adapters.memory.session_store import MemorySessionStore
from shared.adapters.memory.vector_index import MemoryVectorIndex
from shared.bootstrap import Services
from shared.config import Settings
from shared.domain.models import Caller, NewMessage, Session
from shared.domain.search import SearchQuery, SearchRequest
from shared.ports.analytics_sink import MessageRecord
from shared.ports.session_store import SessionKey
from shared.services.ingest_service import IngestService

ALICE = Caller(tenant_id="t1", user_id="alice", auth_method="dev")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_retention_is_unset_by_default_and_must_be_positive() -> None:
    assert Settings().session_retention_days is None
    with mock.patch.dict(os.environ, {"HS_SESSION_RETENTION_DAYS": "30"}):
        assert Settings().session_retention_days == 30
    for bad in ("0", "-1", "soon"):
        with (
            mock.patch.dict(os.environ, {"HS_SESSION_RETENTION_DAYS": bad}),
            pytest.raises(ValidationError),
        ):
            Settings()


def test_the_store_gets_the_retention_and_the_services_clock() -> None:
    clock = lambda: NOW  # noqa: E731
    with mock.patch.dict(os.environ, {"FIRESTORE_EMULATOR_HOST": "127.0.0.1:1"}):
        services = Services(Settings(session_retention_days=7), clock=clock)
        store = services.store
    assert store._retention == Retention(7, clock)  # type: ignore[attr-defined]
    assert store._retention.cutoff() == NOW - timedelta(days=7)  # type: ignore[attr-defined]


def conversation(
    store: MemorySessionStore, embedder: MemoryEmbedder, vectors: MemoryVectorIndex, **at: datetime
) -> dict[str, str]:
    """One session per entry (name -> when its only message was written), indexed as ingest
    would; returns name -> session id."""
    made = {}
    ingest = IngestService(analytics=None, embedder=embedder, vectors=vectors)  # type: ignore[arg-type]
    for n, (name, when) in enumerate(at.items()):
        sid = f"s{n}"
        session = Session(
            session_id=sid, tenant_id="t1", user_id="alice", created_at=when, updated_at=when
        )
        new = [NewMessage(role="user", content="flight to lisbon", created_at=when, metadata={})]
        _, stored = store.append_messages(
            SessionKey("t1", "alice", sid), new, now=when, new_session=session
        )
        ingest.index_messages(
            [MessageRecord("t1", "alice", m.message_id, m.data()) for m in stored]
        )
        made[name] = sid
    return made


def search_ids(services: Services, **request: object) -> set[str]:
    query = SearchQuery.from_request(SearchRequest(query="flight to lisbon", **request))  # type: ignore[arg-type]
    answer = services.memory_search.search(ALICE, query)
    assert not answer.degraded
    return {hit.session_id for hit in answer.results}


@pytest.fixture
def parts() -> tuple[MemorySessionStore, MemoryEmbedder, MemoryVectorIndex]:
    return MemorySessionStore(), MemoryEmbedder(), MemoryVectorIndex()


def test_search_by_meaning_asks_only_for_vectors_within_retention(
    parts: tuple[MemorySessionStore, MemoryEmbedder, MemoryVectorIndex],
) -> None:
    store, embedder, vectors = parts
    # The memory store keeps everything, as Firestore does until its TTL sweep: only the
    # vector query's time bound keeps the old message out.
    made = conversation(
        store, embedder, vectors, old=NOW - timedelta(days=31), recent=NOW - timedelta(days=29)
    )
    settings = Settings(session_retention_days=30)
    services = Services(
        settings, store=store, embedder=embedder, vectors=vectors, clock=lambda: NOW
    )
    assert search_ids(services) == {made["recent"]}
    # A later lower bound of the caller's own is kept; an earlier one is raised to the cutoff.
    since = (NOW - timedelta(days=10)).isoformat()
    assert search_ids(services, since=since) == set()
    assert search_ids(services, since=(NOW - timedelta(days=60)).isoformat()) == {made["recent"]}

    forever = Services(Settings(), store=store, embedder=embedder, vectors=vectors)
    assert search_ids(forever) == {made["old"], made["recent"]}
