"""The concurrency tests of the sessions and chat APIs again, with our Firestore emulator locking
like Google's (`--transaction-locks pessimistic`: a transaction's reads lock, writers wait at
most 2 s and then fail with ABORTED "Transaction lock timeout."), so the product's behaviour
under lock contention is tested on every `make test`, without Java. The test bodies are the
ones of `test_sessions_api.py` and `test_chat_api.py`, run on this module's deployment."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulators.launcher import REPO_ROOT, ManagedProcess
from tests.conftest import start_emulator
from tests.integration import test_chat_api as chat_tests
from tests.integration import test_sessions_api as sessions_tests
from tests.integration.session_api_support import Api, Deployment, deploy, pubsub_host

pytestmark = pytest.mark.ours_only("our Firestore emulator's pessimistic mode")


@pytest.fixture(scope="module")
def locking_firestore() -> Iterator[ManagedProcess]:
    indexes = Path(REPO_ROOT, "infra", "firestore.indexes.json")
    proc = start_emulator(
        "firestore-pessimistic",
        "emulators.firestore",
        "--strict-indexes",
        "--indexes",
        str(indexes),
        "--transaction-locks",
        "pessimistic",
    )
    try:
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def deployment(request, locking_firestore, project_id) -> Iterator[Deployment]:
    with deploy(locking_firestore.address, pubsub_host(request), project_id) as running:
        yield running


@pytest.fixture
def api(deployment: Deployment) -> Api:
    return deployment.api.as_user("alice", tenant=f"t{uuid.uuid4().hex[:10]}")


def test_50_concurrent_appends_get_gap_free_seqs_under_locks(api: Api) -> None:
    sessions_tests.test_50_concurrent_appends_get_gap_free_seqs(api)


def test_concurrent_duplicates_write_once_under_locks(api: Api, deployment: Deployment) -> None:
    chat_tests.test_concurrent_duplicates_write_once(api, deployment)
