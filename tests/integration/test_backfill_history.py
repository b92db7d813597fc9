"""FirestoreHistorySource against the Firestore emulator (strict indexes): every session of one
tenant or of all tenants, in pages whose cursors resume exactly, and messages in seq order."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from google.cloud import firestore

from emulators.launcher import ManagedProcess
from shared.adapters.firestore.client import build_client
from shared.adapters.firestore.history_source import FirestoreHistorySource
from shared.adapters.firestore.session_store import FirestoreSessionStore
from shared.config import Settings
from shared.domain.models import NewMessage, Session
from shared.ports.session_store import SessionKey

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def client(firestore_emulator: ManagedProcess, project_id: str) -> firestore.Client:
    """A client of this module's own project; the variable is read only at construction."""
    with mock.patch.dict(os.environ, {"FIRESTORE_EMULATOR_HOST": firestore_emulator.address}):
        return build_client(Settings(GOOGLE_CLOUD_PROJECT=project_id))


@pytest.fixture(scope="module")
def stored(firestore_emulator: ManagedProcess, project_id: str) -> dict[str, list[str]]:
    """Sessions of two tenants in this module's own project; tenant -> session ids."""
    store = FirestoreSessionStore(client(firestore_emulator, project_id))
    sessions: dict[str, list[str]] = {"ta": [], "tb": []}
    for n in range(7):
        tenant, sid = ("ta", "tb")[n % 2], f"s{n:02d}"
        store.create_session(
            Session(session_id=sid, tenant_id=tenant, user_id="u", created_at=T0, updated_at=T0)
        )
        turns = [
            NewMessage(
                role="user",
                content=f"{sid} {seq}",
                created_at=T0 + timedelta(seconds=seq),
                metadata={},
            )
            for seq in range(n)
        ]
        if turns:
            store.append_messages(SessionKey(tenant, "u", sid), turns, now=T0)
        sessions[tenant].append(sid)
    return sessions


@pytest.fixture
def source(
    stored: dict[str, list[str]], firestore_emulator: ManagedProcess, project_id: str
) -> FirestoreHistorySource:
    return FirestoreHistorySource(client(firestore_emulator, project_id))


def scan_all(
    source: FirestoreHistorySource, tenant: str | None, limit: int
) -> list[tuple[str, str]]:
    seen, cursor = [], None
    while page := source.scan_sessions(tenant_id=tenant, after=cursor, limit=limit):
        seen += [(s.session.tenant_id, s.session.session_id) for s in page]
        cursor = page[-1].cursor
    return seen


def test_scan_of_all_tenants_pages_through_every_session_once(source, stored) -> None:
    seen = scan_all(source, None, limit=3)

    expected = sorted((t, s) for t, ids in stored.items() for s in ids)
    assert seen == expected  # document-path order: tenant, then session id


def test_scan_of_one_tenant_sees_only_it(source, stored) -> None:
    assert scan_all(source, "tb", limit=2) == [("tb", s) for s in stored["tb"]]


def test_cursor_resumes_right_after_its_session(source) -> None:
    first = source.scan_sessions(tenant_id=None, after=None, limit=2)

    rest = source.scan_sessions(tenant_id=None, after=first[-1].cursor, limit=100)

    assert first[-1].session.session_id not in [s.session.session_id for s in rest]
    assert len(first) + len(rest) == 7


def test_messages_come_in_seq_order_in_pages(source) -> None:
    session = next(
        s.session
        for s in source.scan_sessions(tenant_id="ta", after=None, limit=10)
        if s.session.session_id == "s06"
    )

    pages = list(source.messages(session, page_size=4))

    assert [len(p) for p in pages] == [4, 2]
    assert [m.seq for p in pages for m in p] == list(range(6))
