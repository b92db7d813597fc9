"""The turn's storage in FirestoreSessionStore, through the official client against our
Firestore emulator: the recent window beside the session (used, bounded, never trusted when it
does not match, cleared with its session and with expired messages), and the optimistic commit
(a stale read is retried from a fresh one, an idempotency claim costs one write)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from google.cloud import firestore

from emulators.launcher import ManagedProcess
from shared.adapters.firestore._window import WINDOW_COLLECTION, WINDOW_DOCUMENT
from shared.adapters.firestore.client import build_client
from shared.adapters.firestore.session_store import FirestoreSessionStore
from shared.config import Settings
from shared.domain.errors import Conflict, NotFound
from shared.domain.models import NewMessage, Session
from shared.ports.session_store import IdempotencyClaim, SessionKey
from shared.services.events import session_changed
from tests.conftest import unique_id

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def db(firestore_emulator: ManagedProcess, project_id: str) -> firestore.Client:
    with mock.patch.dict(os.environ, {"FIRESTORE_EMULATOR_HOST": firestore_emulator.address}):
        return build_client(Settings(GOOGLE_CLOUD_PROJECT=project_id))


@pytest.fixture
def store(db: firestore.Client) -> FirestoreSessionStore:
    return FirestoreSessionStore(db, window_messages=5)


def started(store: FirestoreSessionStore, *texts: str) -> SessionKey:
    tenant, sid = unique_id("t"), unique_id("s")
    session = Session(session_id=sid, tenant_id=tenant, user_id="u", created_at=T0, updated_at=T0)
    key = SessionKey(tenant, "u", sid)
    store.append_messages(key, says(*texts), now=T0, new_session=session)
    return key


def says(*texts: str) -> list[NewMessage]:
    return [NewMessage(role="user", content=t, created_at=T0, metadata={}) for t in texts]


def window_ref(db: firestore.Client, key: SessionKey):
    return (
        db.collection("tenants")
        .document(key.tenant_id)
        .collection("sessions")
        .document(key.session_id)
        .collection(WINDOW_COLLECTION)
        .document(WINDOW_DOCUMENT)
    )


def no_queries(store: FirestoreSessionStore):
    return mock.patch.object(store, "_recent", side_effect=AssertionError("queried"))


def test_the_window_answers_the_context_without_a_query(store: FirestoreSessionStore) -> None:
    key = started(store, *[f"m{i}" for i in range(8)])
    with no_queries(store):
        read = store.read_for_append(key, 4)
    assert read.session.message_count == 8
    assert [m.content for m in read.recent] == ["m7", "m6", "m5", "m4"]
    store.append_messages(key, says("m8"), now=T0, snapshot=read)
    with no_queries(store):
        assert [m.seq for m in store.read_for_append(key, 5).recent] == [8, 7, 6, 5, 4]


def test_a_window_that_cannot_answer_falls_back_to_the_query(
    store: FirestoreSessionStore, db: firestore.Client
) -> None:
    key = started(store, *[f"m{i}" for i in range(8)])
    # More than the window holds: the query answers.
    assert [m.seq for m in store.read_for_append(key, 7).recent] == [7, 6, 5, 4, 3, 2, 1]
    # A window that missed a write (here: written for another count) is not trusted.
    window_ref(db, key).update({"through_seq": 3})
    with mock.patch.object(store, "_recent", wraps=store._recent) as query:
        assert [m.seq for m in store.read_for_append(key, 3).recent] == [7, 6, 5]
    assert query.call_count == 1
    # The next append writes a matching window again.
    store.append_messages(key, says("m8"), now=T0)
    with no_queries(store):
        assert [m.seq for m in store.read_for_append(key, 3).recent] == [8, 7, 6]


def test_the_window_is_bounded_in_bytes(db: firestore.Client) -> None:
    store = FirestoreSessionStore(db, window_messages=20)
    big = "x" * 32_000
    key = started(store, *[f"{i}{big}" for i in range(20)])
    doc = window_ref(db, key).get().to_dict()
    assert doc["count"] < 20 and len(doc["messages"].encode()) <= 512 * 1024
    # Cut short by bytes, so it cannot tell what older messages would fit: the query does.
    assert [m.seq for m in store.read_for_append(key, 19).recent] == list(range(19, 0, -1))


def test_a_stale_snapshot_is_read_again_and_seqs_stay_gap_free(
    store: FirestoreSessionStore,
) -> None:
    key = started(store, "a")
    stale = store.read_for_append(key, 5)
    store.append_messages(key, says("b"), now=T0)  # another writer, after our read
    session, stored = store.append_messages(key, says("c"), now=T0, snapshot=stale)
    assert [m.seq for m in stored] == [2] and session.message_count == 3
    assert [m.content for m in store.read_for_append(key, 5).recent] == ["c", "b", "a"]


def test_archived_or_deleted_meanwhile_is_refused(store: FirestoreSessionStore) -> None:
    key = started(store, "a")
    stale = store.read_for_append(key, 5)
    store.update_session(
        key,
        {"status": "archived"},
        now=T0,
        outbox_for=lambda s: session_changed(s, "archived", T0),
    )
    with pytest.raises(Conflict):
        store.append_messages(key, says("b"), now=T0, snapshot=stale)
    other = started(store, "a")
    stale = store.read_for_append(other, 5)
    store.delete_session(other, outbox_for=lambda s: session_changed(s, "deleted", T0))
    with pytest.raises(NotFound):
        store.append_messages(other, says("b"), now=T0, snapshot=stale)


def test_the_window_goes_with_its_session_and_with_expired_messages(
    store: FirestoreSessionStore, db: firestore.Client
) -> None:
    key = started(store, "a", "b")
    assert window_ref(db, key).get().exists
    store.delete_session(key, outbox_for=lambda s: session_changed(s, "deleted", T0))
    assert not window_ref(db, key).get().exists
    kept = started(store, "old", "new")
    old = store.list_messages(kept, order="asc", page_size=1, page_token=None).items
    store.delete_messages(old)
    assert not window_ref(db, kept).get().exists  # its copy of "old" is gone too
    assert [m.content for m in store.read_for_append(kept, 5).recent] == ["new"]


def test_a_new_key_is_claimed_with_one_write_and_replays_after(
    store: FirestoreSessionStore,
) -> None:
    claim = IdempotencyClaim(
        tenant_id=unique_id("t"),
        user_id="u",
        key="k1",
        fingerprint="f",
        now=T0,
        lease_s=60,
        ttl_s=3600,
    )
    assert store.claim_idempotency(claim) is None
    with pytest.raises(Conflict) as running:
        store.claim_idempotency(claim)
    assert running.value.code == "idempotency_key_in_progress"
    store.release_idempotency(claim)
    assert store.claim_idempotency(claim) is None  # released: free again
    later = IdempotencyClaim(**{**claim.__dict__, "now": T0 + timedelta(seconds=61)})
    assert store.claim_idempotency(later) is None  # the lease ran out: taken over
    with pytest.raises(Conflict) as reused:
        store.claim_idempotency(IdempotencyClaim(**{**later.__dict__, "fingerprint": "g"}))
    assert reused.value.code == "idempotency_key_reused"
