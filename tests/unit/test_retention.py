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
from shared.adapters.in_memory.embedder import InMemoryEmbedder
from shared.adapters.in_memory.session_store import InMemorySessionStore
from shared.adapters.in_memory.vector_index import InMemoryVectorIndex
from shared.bootstrap import Services
from shared.config import Settings
from shared.domain.errors import NotFound
from shared.domain.models import AppendMessages, Caller, CreateSession, NewMessage, Session
from shared.domain.search import SearchQuery, SearchRequest
from shared.ports.analytics_sink import MessageRecord
from shared.ports.session_store import SessionKey
from shared.services.ingest_service import IngestService
from tests.unit.session_fakes import build

ALICE = Caller(tenant_id="t1", user_id="alice", auth_method="dev")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = 86_400


def hello() -> AppendMessages:
    return AppendMessages.model_validate(
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hey"}]}
    )


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
    assert store._retention == Retention(7, clock)  # type: ignore[attr-defined]  # the Firestore store's private retention policy, checked directly
    assert store._retention.cutoff() == NOW - timedelta(days=7)  # type: ignore[attr-defined]  # the Firestore store's private retention policy, checked directly


def conversation(
    store: InMemorySessionStore,
    embedder: InMemoryEmbedder,
    vectors: InMemoryVectorIndex,
    **at: datetime,
) -> dict[str, str]:
    """One session per entry (name -> when its only message was written), indexed as ingest
    would; returns name -> session id."""
    made = {}
    ingest = IngestService(analytics=None, embedder=embedder, vectors=vectors)  # type: ignore[arg-type]  # no analytics sink: these events never reach it
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
    query = SearchQuery.from_request(SearchRequest(query="flight to lisbon", **request))  # type: ignore[arg-type]  # request fields passed by name
    answer = services.message_search.search(ALICE, query)
    assert not answer.degraded
    return {hit.session_id for hit in answer.results}


@pytest.fixture
def parts() -> tuple[InMemorySessionStore, InMemoryEmbedder, InMemoryVectorIndex]:
    return InMemorySessionStore(), InMemoryEmbedder(), InMemoryVectorIndex()


def test_search_by_meaning_asks_only_for_vectors_within_retention(
    parts: tuple[InMemorySessionStore, InMemoryEmbedder, InMemoryVectorIndex],
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


# --- the reconciler deletes idle sessions, so every copy goes too --------------------------


def test_reconciler_deletes_sessions_idle_past_retention_and_announces_it() -> None:
    fx = build(session_retention_days=30, reconcile_min_age_s=0)
    sessions = fx.services.sessions
    idle = sessions.create(ALICE, CreateSession(title="idle"))
    sessions.append(ALICE, idle.session_id, hello(), None)
    fx.clock.advance(20 * DAY)
    active = sessions.create(ALICE, CreateSession(title="active"))
    fx.clock.advance(11 * DAY)  # idle: 31 days; active: 11 days

    report = fx.services.reconciler.run()

    assert report.session_events == 1 and report.done
    with pytest.raises(NotFound):
        sessions.get(ALICE, idle.session_id)
    assert fx.store.messages.get(("t1", idle.session_id), {}) == {}  # purged
    assert sessions.get(ALICE, active.session_id).title == "active"
    deleted = [e for e in fx.bus.of_type("session.changed") if e.change == "deleted"]
    assert [(e.session.session_id, e.session.message_count) for e in deleted] == [
        (idle.session_id, 2)
    ]
    assert fx.services.reconciler.run().session_events == 0  # nothing twice


def test_an_append_keeps_a_session_from_expiring() -> None:
    fx = build(session_retention_days=30, reconcile_min_age_s=0)
    session = fx.services.sessions.create(ALICE, CreateSession())
    fx.clock.advance(29 * DAY)
    fx.services.sessions.append(ALICE, session.session_id, hello(), None)
    fx.clock.advance(29 * DAY)
    assert fx.services.reconciler.run().session_events == 0
    assert fx.services.sessions.get(ALICE, session.session_id).message_count == 2


def test_without_retention_the_reconciler_deletes_nothing() -> None:
    fx = build(reconcile_min_age_s=0)
    session = fx.services.sessions.create(ALICE, CreateSession())
    fx.bus.events.clear()
    fx.clock.advance(10_000 * DAY)
    assert fx.services.reconciler.run().session_events == 0
    assert fx.services.sessions.get(ALICE, session.session_id).session_id == session.session_id


def test_expiry_counts_toward_the_run_bound() -> None:
    fx = build(
        session_retention_days=1,
        reconcile_min_age_s=0,
        reconcile_batch_size=2,
        reconcile_max_items=3,
    )
    for _ in range(5):
        fx.services.sessions.create(ALICE, CreateSession())
    fx.services.reconciler.run()  # publishes the five "created" events
    fx.clock.advance(2 * DAY)
    first = fx.services.reconciler.run()
    assert (first.session_events, first.done) == (3, False)
    assert fx.services.reconciler.run().session_events == 2
    assert fx.store.sessions == {}
