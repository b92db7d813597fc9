"""Retention in FirestoreSessionStore, through the official client against the Firestore emulator
in strict-index mode: `expires_at` written and moved by every change, and expired sessions and
messages left out of every read before the TTL sweep deletes them (the queries that do it must
have their indexes in infra/firestore.indexes.json, or the emulator refuses them)."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from google.cloud import firestore

from emulators.launcher import ManagedProcess
from shared.adapters.firestore.client import build_client
from shared.adapters.firestore.session_store import FirestoreSessionStore
from shared.config import Settings
from shared.domain import ids
from shared.domain.errors import NotFound
from shared.domain.models import NewMessage, Order, Session
from shared.ports.session_store import SessionKey
from shared.services.events import session_changed
from tests.conftest import unique_id

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 30


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def db(firestore_emulator: ManagedProcess, project_id: str) -> firestore.Client:
    with mock.patch.dict(os.environ, {"FIRESTORE_EMULATOR_HOST": firestore_emulator.address}):
        return build_client(Settings(GOOGLE_CLOUD_PROJECT=project_id))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db: firestore.Client, clock: Clock) -> FirestoreSessionStore:
    return FirestoreSessionStore(db, retention_days=DAYS, clock=clock)


@pytest.fixture
def tenant() -> str:
    return unique_id("t")


def new_session(tenant: str, at: datetime, user: str = "u") -> Session:
    return Session(
        session_id=unique_id("s"), tenant_id=tenant, user_id=user, created_at=at, updated_at=at
    )


def says(*texts_at: tuple[str, datetime]) -> list[NewMessage]:
    return [NewMessage(role="user", content=t, created_at=at, metadata={}) for t, at in texts_at]


def doc(db: firestore.Client, key: SessionKey, message_id: str | None = None) -> dict:
    ref = db.collection("tenants").document(key.tenant_id).collection("sessions")
    ref = ref.document(key.session_id)
    if message_id is not None:
        ref = ref.collection("messages").document(message_id)
    return ref.get().to_dict()


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def seqs(page_items: list) -> list[int]:
    return [m.seq for m in page_items]


def all_pages(read: Callable[[str | None], tuple[list, str | None]]) -> list:
    items, token = read(None)
    while token is not None:
        more, token = read(token)
        items += more
    return items


def test_expires_at_is_written_and_moves_with_every_change(
    store: FirestoreSessionStore, db: firestore.Client, tenant: str, clock: Clock
) -> None:
    session = store.create_session(new_session(tenant, T0))
    key = SessionKey(tenant, "u", session.session_id)
    # A session's TTL comes a day after its expiry: the reconciler deletes it first, with events.
    assert doc(db, key)["expires_at"] == day(DAYS + 1)

    clock.now = day(10)
    _, stored = store.append_messages(
        key, says(("hi", day(10) - timedelta(seconds=5))), now=day(10)
    )
    assert doc(db, key)["expires_at"] == day(10 + DAYS + 1)
    message = doc(db, key, stored[0].message_id)
    assert message["expires_at"] == day(10 + DAYS + 1) - timedelta(seconds=5)

    clock.now = day(20)
    store.update_session(
        key,
        {"title": "renamed"},
        now=day(20),
        outbox_for=lambda s: session_changed(s, "updated", day(20)),
    )
    assert doc(db, key)["expires_at"] == day(20 + DAYS + 1)
    # A message's expiry is its own: renaming the session does not keep it longer.
    assert doc(db, key, stored[0].message_id)["expires_at"] == message["expires_at"]


def test_a_session_appended_to_does_not_expire(
    store: FirestoreSessionStore, tenant: str, clock: Clock
) -> None:
    session = store.create_session(new_session(tenant, T0))
    key = SessionKey(tenant, "u", session.session_id)
    clock.now = day(DAYS - 1)
    store.append_messages(key, says(("still here", clock.now)), now=clock.now)
    clock.now = day(DAYS + 5)
    assert store.get_session(key).message_count == 1


def test_an_expired_session_is_gone_from_every_read(
    store: FirestoreSessionStore, tenant: str, clock: Clock
) -> None:
    idle = store.create_session(new_session(tenant, T0))
    active = store.create_session(new_session(tenant, day(1)))
    idle_key = SessionKey(tenant, "u", idle.session_id)
    active_key = SessionKey(tenant, "u", active.session_id)
    _, stored = store.append_messages(idle_key, says(("old", T0)), now=T0)

    clock.now = day(DAYS) + timedelta(hours=1)
    with pytest.raises(NotFound):
        store.get_session(idle_key)
    with pytest.raises(NotFound):
        store.list_messages(idle_key, order="asc", page_size=10, page_token=None)
    with pytest.raises(NotFound):
        store.append_messages(idle_key, says(("revive", clock.now)), now=clock.now)
    with pytest.raises(NotFound):
        store.update_session(
            idle_key,
            {"title": "x"},
            now=clock.now,
            outbox_for=lambda s: session_changed(s, "updated", clock.now),
        )
    for status in (None, "active"):
        listed = store.list_sessions(tenant, "u", status=status, page_size=10, page_token=None)
        assert [s.session_id for s in listed.items] == [active.session_id], status
    assert store.get_sessions(tenant, "u", [idle.session_id, active.session_id]) == [
        store.get_session(active_key)
    ]
    assert store.get_messages(tenant, "u", [stored[0].message_id]) == []


def test_expired_messages_are_not_listed_in_either_order_or_across_pages(
    store: FirestoreSessionStore, tenant: str, clock: Clock
) -> None:
    session = store.create_session(new_session(tenant, T0))
    key = SessionKey(tenant, "u", session.session_id)
    for n in range(6):
        store.append_messages(key, says((f"m{n}", day(n * 10))), now=day(n * 10))
    # At day 65 the messages of days 0, 10, 20 and 30 have expired; 40 and 50 have not.
    clock.now = day(65)

    def page(order: Order) -> Callable[[str | None], tuple[list, str | None]]:
        def read(token: str | None) -> tuple[list, str | None]:
            p = store.list_messages(key, order=order, page_size=1, page_token=token)
            return p.items, p.next_page_token

        return read

    assert seqs(all_pages(page("asc"))) == [4, 5]
    assert seqs(all_pages(page("desc"))) == [5, 4]
    assert seqs(store.recent_messages(key, 10)) == [5, 4]
    wanted = [ids.message_id(session.session_id, seq) for seq in range(6)]
    assert [m.seq for m in store.get_messages(tenant, "u", wanted)] == [4, 5]
    # The count is of messages ever appended; seqs go on from it.
    assert store.get_session(key).message_count == 6
    _, stored = store.append_messages(key, says(("next", clock.now)), now=clock.now)
    assert stored[0].seq == 6


def test_sessions_list_in_full_pages_past_expired_ones(
    store: FirestoreSessionStore, tenant: str, clock: Clock
) -> None:
    made = [store.create_session(new_session(tenant, day(n))) for n in range(6)]
    # Sessions of days 0, 2 and 4 stay active; 1, 3 and 5 are left idle and expire.
    clock.now = day(DAYS - 1)
    for s in made[0::2]:
        store.append_messages(
            SessionKey(tenant, "u", s.session_id), says(("ping", clock.now)), now=clock.now
        )
    clock.now = day(DAYS + 5.5)

    def read(token: str | None) -> tuple[list, str | None]:
        p = store.list_sessions(tenant, "u", status=None, page_size=2, page_token=token)
        assert token is None or p.items, "a page of a listing that goes on is never empty"
        return p.items, p.next_page_token

    listed = [s.session_id for s in all_pages(read)]
    assert listed == [s.session_id for s in reversed(made[0::2])]


def test_without_retention_nothing_expires_and_no_ttl_field_is_written(
    db: firestore.Client, tenant: str
) -> None:
    store = FirestoreSessionStore(db, clock=lambda: day(10_000))
    session = store.create_session(new_session(tenant, T0))
    key = SessionKey(tenant, "u", session.session_id)
    _, stored = store.append_messages(key, says(("kept", T0)), now=T0)
    assert "expires_at" not in doc(db, key)
    assert "expires_at" not in doc(db, key, stored[0].message_id)
    assert seqs(store.list_messages(key, order="asc", page_size=5, page_token=None).items) == [0]
    assert store.get_session(key).session_id == session.session_id


def test_idle_sessions_of_every_tenant_are_deleted_oldest_first_with_their_outbox_item(
    db: firestore.Client,
) -> None:
    # Times of their own, years before the other tests' sessions: the query spans all tenants.
    long_ago = datetime(2020, 1, 1, tzinfo=UTC)
    store = FirestoreSessionStore(db, retention_days=DAYS, clock=lambda: long_ago)
    tenants = [unique_id("t"), unique_id("t")]
    made = [
        store.create_session(new_session(tenants[n % 2], long_ago + timedelta(days=n)))
        for n in range(4)
    ]
    idle_since = long_ago + timedelta(days=2)  # the sessions of days 0, 1 and 2

    first = store.delete_idle_sessions(
        idle_since, 2, outbox_for=lambda s: session_changed(s, "deleted", idle_since)
    )
    rest = store.delete_idle_sessions(
        idle_since, 10, outbox_for=lambda s: session_changed(s, "deleted", idle_since)
    )

    assert [s.session_id for s in first + rest] == [s.session_id for s in made[:3]]
    for session in made[:3]:
        assert doc(db, SessionKey(session.tenant_id, "u", session.session_id)) is None
    kept = made[3]
    assert doc(db, SessionKey(kept.tenant_id, "u", kept.session_id))["session_id"]
    pending = store.pending_outbox(idle_since + timedelta(seconds=1), 10)
    deletions = [i.purge for i in pending if i.purge is not None]
    assert sorted(purge.session_id for purge in deletions) == sorted(s.session_id for s in made[:3])
    store.delete_outbox([i.event_id for i in pending])
