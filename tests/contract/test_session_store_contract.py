"""One body of tests for every `SessionStore`: the Firestore adapter through the official client
against our Firestore emulator, and the in-memory fake the unit tests run on. A behaviour the
fake gets wrong fails here beside the real adapter, so the fake cannot drift.

Each Firestore case gets a project of its own: the store's cross-tenant scans (unpublished
messages, the outbox, idle sessions, expired messages) then see only that case's data.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from emulators.launcher import ManagedProcess
from shared.adapters.firestore.client import build_client
from shared.adapters.firestore.session_store import FirestoreSessionStore
from shared.adapters.in_memory.session_store import InMemorySessionStore
from shared.config import Settings
from shared.domain import ids
from shared.domain.errors import Conflict, InvalidInput, NotFound
from shared.domain.models import Message, NewMessage, Order, Session
from shared.ports.session_store import (
    IdempotencyClaim,
    IdempotencyResult,
    SessionKey,
    SessionStore,
    StoredResponse,
)
from shared.services.events import session_changed
from tests.conftest import unique_id

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TENANT, USER, OTHER = "acme", "ann", "bob"


@pytest.fixture(params=["in_memory", "firestore"])
def store(request: pytest.FixtureRequest) -> Iterator[SessionStore]:
    if request.param == "in_memory":
        yield InMemorySessionStore()
        return
    emulator: ManagedProcess = request.getfixturevalue("firestore_emulator")
    with mock.patch.dict(os.environ, {"FIRESTORE_EMULATOR_HOST": emulator.address}):
        client = build_client(Settings(GOOGLE_CLOUD_PROJECT=unique_id("contract")))
    yield FirestoreSessionStore(client)
    client.close()


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def new_session(user: str = USER, minute: float = 0, **fields: object) -> Session:
    return Session.model_validate(
        {
            "session_id": ids.new_session_id(),
            "tenant_id": TENANT,
            "user_id": user,
            "created_at": at(minute),
            "updated_at": at(minute),
            **fields,
        }
    )


def key_of(session: Session, user: str | None = None) -> SessionKey:
    return SessionKey(session.tenant_id, user or session.user_id, session.session_id)


def says(*texts: str, minute: float = 0) -> list[NewMessage]:
    return [NewMessage(role="user", content=t, created_at=at(minute), metadata={}) for t in texts]


def started(store: SessionStore, *texts: str, user: str = USER, minute: float = 0) -> Session:
    session = new_session(user, minute)
    stored, _ = store.append_messages(
        key_of(session), says(*texts, minute=minute), now=at(minute), new_session=session
    )
    return stored


def contents(messages: list[Message]) -> list[str]:
    return [m.content for m in messages]


# --- sessions -------------------------------------------------------------------------------


def test_a_created_session_reads_back_and_only_for_its_user(store: SessionStore) -> None:
    session = new_session(title="Lisbon", metadata={"k": [1, "x"]})
    assert store.create_session(session) == session
    assert store.get_session(key_of(session)) == session
    with pytest.raises(NotFound) as foreign:
        store.get_session(key_of(session, OTHER))
    with pytest.raises(NotFound) as missing:
        store.get_session(SessionKey(TENANT, USER, ids.new_session_id()))
    assert foreign.value.code == missing.value.code == "session_not_found"


def test_creating_an_existing_session_conflicts(store: SessionStore) -> None:
    session = new_session()
    store.create_session(session)
    with pytest.raises(Conflict):
        store.create_session(session)


def test_sessions_list_newest_first_in_pages_by_status_and_user(store: SessionStore) -> None:
    made = [started(store, "hi", minute=m) for m in range(5)]
    started(store, "not ann's", user=OTHER, minute=9)
    archived = made[1]
    store.update_session(
        key_of(archived),
        {"status": "archived"},
        now=at(20),
        outbox_for=lambda s: session_changed(s, "archived", at(20)),
    )
    seen: list[str] = []
    token: str | None = None
    while True:
        page = store.list_sessions(TENANT, USER, status=None, page_size=2, page_token=token)
        assert len(page.items) <= 2
        seen += [s.session_id for s in page.items]
        if not (token := page.next_page_token):
            break
    # Newest first by creation; changing a session does not move it.
    assert seen == [s.session_id for s in reversed(made)]
    only = store.list_sessions(TENANT, USER, status="archived", page_size=10, page_token=None)
    assert [s.session_id for s in only.items] == [archived.session_id]
    active = store.list_sessions(TENANT, USER, status="active", page_size=10, page_token=None)
    assert len(active.items) == 4 and active.next_page_token is None


def test_a_page_token_that_no_query_issued_is_refused(store: SessionStore) -> None:
    started(store, "hi")
    with pytest.raises(InvalidInput) as bad:
        store.list_sessions(TENANT, USER, status=None, page_size=1, page_token="bm90LWEtdG9rZW4")
    assert bad.value.code == "invalid_page_token"


def test_an_update_changes_fields_bumps_the_version_and_writes_its_event(
    store: SessionStore,
) -> None:
    session = started(store, "hi")
    updated = store.update_session(
        key_of(session),
        {"title": "Trip", "metadata": {"a": 1}},
        now=at(5),
        outbox_for=lambda s: session_changed(s, "updated", at(5)),
    )
    assert (updated.title, updated.metadata, updated.updated_at) == ("Trip", {"a": 1}, at(5))
    assert updated.version == session.version + 1
    assert store.get_session(key_of(session)) == updated
    pending = store.pending_outbox(at(60), 10)
    assert [i.event_id for i in pending] == [
        ids.session_event_id(session.session_id, "updated", updated.version)
    ]
    with pytest.raises(NotFound):
        store.update_session(
            key_of(session, OTHER),
            {"title": "x"},
            now=at(6),
            outbox_for=lambda s: session_changed(s, "updated", at(6)),
        )


def test_a_deleted_session_is_gone_its_event_written_and_its_messages_purged(
    store: SessionStore,
) -> None:
    session = started(store, "a", "b", "c")
    deleted = store.delete_session(
        key_of(session), outbox_for=lambda s: session_changed(s, "deleted", at(1))
    )
    assert deleted.session_id == session.session_id
    with pytest.raises(NotFound):
        store.get_session(key_of(session))
    (item,) = store.pending_outbox(at(60), 10)
    assert item.purge == key_of(session)
    assert store.purge_messages(TENANT, session.session_id) == 3
    assert store.purge_messages(TENANT, session.session_id) == 0
    with pytest.raises(NotFound):
        store.delete_session(
            key_of(session), outbox_for=lambda s: session_changed(s, "deleted", at(2))
        )


def test_idle_sessions_are_deleted_oldest_first_up_to_the_limit(store: SessionStore) -> None:
    old, older, fresh = (started(store, "hi", minute=m) for m in (10, 5, 50))
    gone = store.delete_idle_sessions(
        at(20), 1, outbox_for=lambda s: session_changed(s, "deleted", at(60))
    )
    assert [s.session_id for s in gone] == [older.session_id]
    gone = store.delete_idle_sessions(
        at(20), 10, outbox_for=lambda s: session_changed(s, "deleted", at(60))
    )
    assert [s.session_id for s in gone] == [old.session_id]
    assert store.get_session(key_of(fresh)) == fresh
    assert {i.purge for i in store.pending_outbox(at(120), 10)} == {key_of(old), key_of(older)}


# --- messages -------------------------------------------------------------------------------


def test_appends_take_gap_free_seqs_and_deterministic_ids(store: SessionStore) -> None:
    session = started(store, "one", "two")
    updated, stored = store.append_messages(key_of(session), says("three"), now=at(3))
    assert (updated.message_count, updated.updated_at) == (3, at(3))
    (message,) = stored
    assert (message.seq, message.message_id) == (2, ids.message_id(session.session_id, 2))
    assert (message.tenant_id, message.user_id, message.published) == (TENANT, USER, False)
    page = store.list_messages(key_of(session), order="asc", page_size=10, page_token=None)
    assert [m.seq for m in page.items] == [0, 1, 2]
    assert contents(page.items) == ["one", "two", "three"]


def test_a_new_session_is_created_by_its_first_append(store: SessionStore) -> None:
    session = new_session()
    created, stored = store.append_messages(
        key_of(session), says("hello"), now=at(1), new_session=session
    )
    assert (created.session_id, created.message_count) == (session.session_id, 1)
    assert store.get_session(key_of(session)).message_count == 1
    assert [m.seq for m in stored] == [0]


def test_an_archived_session_takes_no_messages(store: SessionStore) -> None:
    session = started(store, "hi")
    store.update_session(
        key_of(session),
        {"status": "archived"},
        now=at(1),
        outbox_for=lambda s: session_changed(s, "archived", at(1)),
    )
    with pytest.raises(Conflict) as refused:
        store.append_messages(key_of(session), says("more"), now=at(2))
    assert refused.value.code == "session_archived"
    assert store.get_session(key_of(session)).message_count == 1


def test_appending_to_a_missing_or_foreign_session_is_not_found(store: SessionStore) -> None:
    session = started(store, "hi")
    for key in (key_of(session, OTHER), SessionKey(TENANT, USER, ids.new_session_id())):
        with pytest.raises(NotFound):
            store.append_messages(key, says("x"), now=at(1))


def test_messages_page_in_either_order_and_the_recent_ones_come_newest_first(
    store: SessionStore,
) -> None:
    session = started(store, *[f"m{i}" for i in range(5)])
    orders: list[tuple[Order, list[int]]] = [("asc", [0, 1, 2, 3, 4]), ("desc", [4, 3, 2, 1, 0])]
    for order, expected in orders:
        seqs: list[int] = []
        token: str | None = None
        while True:
            page = store.list_messages(key_of(session), order=order, page_size=2, page_token=token)
            seqs += [m.seq for m in page.items]
            if not (token := page.next_page_token):
                break
        assert seqs == expected
    assert contents(store.recent_messages(key_of(session), 2)) == ["m4", "m3"]
    snapshot = store.read_for_append(key_of(session), 3)
    assert snapshot.session.message_count == 5
    assert contents(snapshot.recent) == ["m4", "m3", "m2"]
    with pytest.raises(NotFound):
        store.list_messages(key_of(session, OTHER), order="asc", page_size=2, page_token=None)


def test_batched_reads_keep_the_order_asked_and_leave_out_the_missing_and_foreign(
    store: SessionStore,
) -> None:
    mine, deleted = started(store, "a", "b"), started(store, "gone")
    theirs = started(store, "secret", user=OTHER)
    store.delete_session(key_of(deleted), outbox_for=lambda s: session_changed(s, "deleted", at(1)))
    wanted = [
        ids.message_id(mine.session_id, 1),
        ids.message_id(theirs.session_id, 0),
        ids.message_id(deleted.session_id, 0),
        ids.message_id(mine.session_id, 7),
        ids.message_id(mine.session_id, 0),
    ]
    assert contents(store.get_messages(TENANT, USER, wanted)) == ["b", "a"]
    asked = [theirs.session_id, mine.session_id, deleted.session_id, ids.new_session_id()]
    assert [s.session_id for s in store.get_sessions(TENANT, USER, asked)] == [mine.session_id]


def test_expired_messages_come_oldest_first_and_can_be_deleted(store: SessionStore) -> None:
    session = started(store, "old", minute=1)
    store.append_messages(key_of(session), says("older?", minute=2), now=at(2))
    store.append_messages(key_of(session), says("new", minute=30), now=at(30))
    expired = store.expired_messages(at(10), 10)
    assert contents(expired) == ["old", "older?"]
    assert contents(store.expired_messages(at(10), 1)) == ["old"]
    store.delete_messages(expired)
    store.delete_messages(expired)  # already gone is fine
    page = store.list_messages(key_of(session), order="asc", page_size=10, page_token=None)
    assert contents(page.items) == ["new"]


# --- event delivery -------------------------------------------------------------------------


def test_stored_messages_wait_unpublished_until_flagged(store: SessionStore) -> None:
    first = started(store, "a", "b", minute=1)
    second = started(store, "c", minute=5)
    assert contents(store.unpublished_messages(at(10), 10)) == ["a", "b", "c"]
    assert contents(store.unpublished_messages(at(3), 10)) == ["a", "b"]
    assert contents(store.unpublished_messages(at(10), 1)) == ["a"]
    page = store.list_messages(key_of(first), order="asc", page_size=10, page_token=None)
    store.mark_published(page.items[:1])
    assert contents(store.unpublished_messages(at(10), 10)) == ["b", "c"]
    outbox = session_changed(second, "updated", at(6))
    store.add_outbox([outbox])
    rest = store.unpublished_messages(at(10), 10)
    store.mark_delivered([outbox.event_id], rest)
    assert store.unpublished_messages(at(10), 10) == []
    assert store.pending_outbox(at(10), 10) == []


def test_the_outbox_hands_out_items_oldest_first_until_deleted(store: SessionStore) -> None:
    sessions = [started(store, "hi", minute=m) for m in range(3)]
    items = [session_changed(s, "updated", at(10 - i)) for i, s in enumerate(sessions)]
    store.add_outbox(items)
    assert store.pending_outbox(at(9.5), 10) == [items[2], items[1]]
    assert store.pending_outbox(at(60), 1) == [items[2]]
    store.delete_outbox([items[2].event_id, "never-written"])
    assert store.pending_outbox(at(60), 10) == [items[1], items[0]]


# --- idempotency ----------------------------------------------------------------------------


def claim(key: str = "k1", fingerprint: str = "f1", minute: float = 0) -> IdempotencyClaim:
    return IdempotencyClaim(TENANT, USER, key, fingerprint, at(minute), lease_s=60, ttl_s=3600)


def test_an_idempotency_key_is_claimed_once_then_replays_its_response(
    store: SessionStore,
) -> None:
    first = claim()
    assert store.claim_idempotency(first) is None
    with pytest.raises(Conflict) as running:
        store.claim_idempotency(claim(minute=0.5))
    assert running.value.code == "idempotency_key_in_progress"
    with pytest.raises(Conflict) as reused:
        store.claim_idempotency(claim(fingerprint="other", minute=0.5))
    assert reused.value.code == "idempotency_key_reused"
    session = new_session()
    store.append_messages(
        key_of(session),
        says("hi"),
        now=at(1),
        new_session=session,
        idempotency=IdempotencyResult(
            first, lambda s, stored: StoredResponse(201, {"seqs": [m.seq for m in stored]})
        ),
    )
    assert store.claim_idempotency(claim(minute=2)) == StoredResponse(201, {"seqs": [0]})


def test_a_released_or_erased_claim_can_be_taken_again(store: SessionStore) -> None:
    assert store.claim_idempotency(claim()) is None
    store.release_idempotency(claim())
    assert store.claim_idempotency(claim(fingerprint="f2", minute=1)) is None
    store.delete_user_records(TENANT, USER)
    assert store.claim_idempotency(claim(fingerprint="f3", minute=2)) is None
