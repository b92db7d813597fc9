"""The backfill command against the stack's emulators: Firestore (written through the session
store) -> BigQuery and the vector index. Fills empty copies, re-runs without duplicates, and
resumes after a BigQuery outage from its state file."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from emulators.provision import bigquery_client
from emulators.stack import Stack
from shared.adapters.firestore.session_store import FirestoreSessionStore
from shared.bootstrap import Services
from shared.config import Settings
from shared.domain.ids import message_id
from shared.domain.models import NewMessage, Session
from shared.ports.analytics_sink import AnalyticsSink
from shared.ports.session_store import SessionKey
from shared.tools.backfill import EX_TEMPFAIL, main
from tests.conftest import unique_id
from tests.integration.ingest_support import stored_rows, vector_ids, visible_messages

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SESSIONS, TURNS = 5, 4


class Env:
    """The stack's Firestore, BigQuery and Vertex emulators, for an in-process backfill."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.env = stack.env
        self.dataset = stack.config.settings.bigquery_dataset
        self.client = bigquery_client(stack.url("bigquery"), stack.config.settings.project)

    def services(self) -> Services:
        """Fresh services from the environment, as a new `python -m` process would build."""
        os.environ.update(self.env)
        os.environ["HS_BIGQUERY_TIMEOUT_S"] = "2"  # an outage ends a batch in seconds
        return Services(Settings())


@pytest.fixture(scope="module")
def env(stack: Stack) -> Env:
    if not all(stack.has(name) for name in ("firestore", "bigquery", "vertex")):
        pytest.skip(f"stack incomplete: {stack.skipped}")
    return Env(stack)


def fill_firestore(env: Env, tenant: str) -> list[str]:
    """SESSIONS sessions of TURNS messages each, written and flagged published as the chat
    function leaves them, so the stack's scheduled reconciler has nothing to republish: only the
    backfill writes the copies these tests count."""
    store = FirestoreSessionStore(env.services()._firestore())
    expected = []
    for n in range(SESSIONS):
        sid = unique_id("s")
        user = f"u{n % 2}"
        session = Session(
            session_id=sid, tenant_id=tenant, user_id=user, created_at=T0, updated_at=T0
        )
        store.create_session(session)
        turns = [
            NewMessage(
                role="user" if seq % 2 == 0 else "assistant",
                content=f"session {n} turn {seq}: tides, moon and the sea",
                created_at=T0 + timedelta(seconds=seq),
                metadata={"n": n},
            )
            for seq in range(TURNS)
        ]
        _, stored = store.append_messages(SessionKey(tenant, user, sid), turns, now=T0)
        store.mark_published(stored)
        expected += [message_id(sid, seq) for seq in range(TURNS)]
    return sorted(expected)


def run(env: Env, *args: str) -> int:
    return main(list(args), services=env.services())


def test_backfill_fills_empty_copies_and_a_rerun_duplicates_nothing(
    env: Env, tmp_path: Path
) -> None:
    tenant = unique_id("t")
    expected = fill_firestore(env, tenant)

    assert run(env, "--tenant", tenant, "--batch-size", "6") == 0
    first = visible_messages(env.client, env.dataset, tenant), vector_ids(env.env, tenant)
    assert run(env, "--tenant", tenant, "--batch-size", "6") == 0

    assert first == (expected, expected)
    assert visible_messages(env.client, env.dataset, tenant) == expected
    assert vector_ids(env.env, tenant) == expected
    assert stored_rows(env.client, env.dataset, tenant) == 2 * len(expected)  # the view dedups


class OutageAfter:
    """The real BigQuery sink, but the stack's BigQuery is stopped before write number `n`:
    a real outage, at a known point in the run. `end()` restarts it."""

    def __init__(self, env: Env, sink: AnalyticsSink, n: int) -> None:
        self._sink, self._left = sink, n
        self._outage = env.stack.down("bigquery")
        self._started = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sink, name)

    def write_messages(self, records: Any) -> None:
        self._left -= 1
        if self._left == 0:
            self._outage.__enter__()
            self._started = True
        self._sink.write_messages(records)

    def end(self) -> None:
        if self._started:
            self._outage.__exit__(None, None, None)


def test_backfill_resumes_after_an_outage_from_its_state_file(env: Env, tmp_path: Path) -> None:
    tenant = unique_id("t")
    expected = fill_firestore(env, tenant)
    state = tmp_path / "backfill.json"
    # Pages of 2 sessions (8 messages, 4 writes): the outage hits the second page.
    args = ["--tenant", tenant, "--batch-size", "2", "--state-file", str(state), "--retries", "0"]
    services = env.services()
    outage = OutageAfter(env, services.analytics, 5)

    try:
        # OutageAfter hands every other method to the real sink through __getattr__.
        with_outage = Services(services.settings, analytics=outage)  # type: ignore[arg-type]  # see above
        assert main(args, services=with_outage) == EX_TEMPFAIL
    finally:
        outage.end()
    assert state.exists()
    assert run(env, *args) == 0

    assert not state.exists()
    assert visible_messages(env.client, env.dataset, tenant) == expected
    assert vector_ids(env.env, tenant) == expected
    # The first page was not written again: every message row exists exactly once.
    assert stored_rows(env.client, env.dataset, tenant) == len(expected)
