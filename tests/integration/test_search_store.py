"""The batched read-backs search relies on, on the Firestore emulator and the memory fake alike:
`get_messages` and `get_sessions` keep the order asked and leave out what is missing, another
user's, or (for messages) in a deleted session whose messages are not purged yet."""

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
from shared.domain.events import SessionChanged
from shared.domain.models import NewMessage, Session
from shared.ports.session_store import OutboxItem, SessionKey, SessionStore
from tests.conftest import unique_id

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(params=["memory", "firestore"])
def store(request: pytest.FixtureRequest) -> Iterator[SessionStore]:
    if request.param == "memory":
        yield InMemorySessionStore()
        return
    emulator: ManagedProcess = request.getfixturevalue("firestore_emulator")
    project = request.getfixturevalue("project_id")
    with mock.patch.dict(os.environ, {"FIRESTORE_EMULATOR_HOST": emulator.address}):
        yield FirestoreSessionStore(build_client(Settings(GOOGLE_CLOUD_PROJECT=project)))


def conversation(store: SessionStore, tenant: str, user: str, title: str) -> list[str]:
    sid = unique_id("s")
    session = Session(
        session_id=sid, tenant_id=tenant, user_id=user, title=title, created_at=T0, updated_at=T0
    )
    turns = [
        NewMessage(role="user", content=f"{title} {i}", created_at=T0 + timedelta(seconds=i),
                   metadata={})
        for i in range(2)
    ]  # fmt: skip
    _, stored = store.append_messages(
        SessionKey(tenant, user, sid), turns, now=T0, new_session=session
    )
    return [m.message_id for m in stored]


def deleted(store: SessionStore, tenant: str, user: str, session_id: str) -> None:
    """Delete the session document only, as a crash before the purge would leave it."""

    def outbox(session: Session) -> OutboxItem:
        event = SessionChanged(
            event_id=f"{session_id}.deleted.1",
            tenant_id=tenant,
            user_id=user,
            occurred_at=T0,
            change="deleted",
            session=session.data(),
        )
        return OutboxItem(event=event, created_at=T0)

    store.delete_session(SessionKey(tenant, user, session_id), outbox_for=outbox)


def test_read_backs_keep_order_and_leave_out_foreign_missing_and_deleted(
    store: SessionStore,
) -> None:
    tenant = unique_id("t")
    a1 = conversation(store, tenant, "alice", "trip")
    a2 = conversation(store, tenant, "alice", "bread")
    gone = conversation(store, tenant, "alice", "gone")
    bobs = conversation(store, tenant, "bob", "bob's")
    other_tenant = conversation(store, unique_id("t"), "alice", "elsewhere")
    deleted(store, tenant, "alice", gone[0].rpartition("-")[0])

    asked = [a2[1], bobs[0], a1[0], gone[0], f"{a1[0][:-1]}9", other_tenant[0], a2[1]]
    found = store.get_messages(tenant, "alice", asked)

    assert [m.message_id for m in found] == [a2[1], a1[0]]
    assert found[0].content == "bread 1" and found[0].user_id == "alice"

    sessions = [mid.rpartition("-")[0] for mid in (a2[0], bobs[0], gone[0], a1[0])]
    assert [s.title for s in store.get_sessions(tenant, "alice", sessions)] == ["bread", "trip"]
    assert store.get_messages(tenant, "alice", []) == []
    assert store.get_sessions(tenant, "alice", []) == []
