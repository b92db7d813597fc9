"""Pessimistic transactions: our emulator with `--transaction-locks pessimistic` locks as Google's
emulator does (the same tests run on both; Google's is marked `official`). Reads take shared
locks, writers wait for them for at most the lock timeout (2 s on both) and then fail with
ABORTED "Transaction lock timeout.", so lock contention can be tested without Java."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import firestore

from emulators.launcher import ManagedProcess
from tests.conformance.firestore.firestore_helpers import (
    emulator_process,
    make_client,
    root,
    unique,
)

BACKENDS = [
    pytest.param("pessimistic", marks=pytest.mark.ours_only("our emulator's pessimistic mode")),
    pytest.param("official", marks=pytest.mark.official),
]
LOCK_TIMEOUT_S = 2.0


@pytest.fixture(scope="session")
def pessimistic_emulator() -> Iterator[ManagedProcess]:
    with emulator_process("--transaction-locks", "pessimistic", name="firestore-locks") as proc:
        yield proc


@pytest.fixture(scope="module", params=BACKENDS)
def client(request: pytest.FixtureRequest, project_id: str) -> firestore.Client:
    if request.param == "official":
        return request.getfixturevalue("official_db")
    return make_client(request.getfixturevalue("pessimistic_emulator").address, project_id)


class Raw:
    """Transactions through the generated client, one RPC at a time."""

    def __init__(self, client: firestore.Client) -> None:
        self.api = client._firestore_api
        self.database = root(client)

    def begin(self) -> bytes:
        return self.api.begin_transaction(request={"database": self.database}).transaction

    def read(self, txn: bytes, ref: firestore.DocumentReference) -> None:
        self.api.get_document(request={"name": ref._document_path, "transaction": txn})

    def query(self, txn: bytes, coll: firestore.CollectionReference) -> None:
        structured = {"from_": [{"collection_id": coll.id}]}
        parent = f"{self.database}/documents"
        request = {"parent": parent, "structured_query": structured, "transaction": txn}
        list(self.api.run_query(request=request))

    def write(self, ref: firestore.DocumentReference, n: int, txn: bytes | None = None) -> Any:
        request: dict[str, Any] = {
            "database": self.database,
            "writes": [
                {"update": {"name": ref._document_path, "fields": {"n": {"integer_value": n}}}}
            ],
        }
        if txn:
            request["transaction"] = txn
        return self.api.commit(request=request, timeout=30)


def _in_thread(fn: Any) -> tuple[threading.Thread, dict[str, Any]]:
    out: dict[str, Any] = {}

    def run() -> None:
        started = time.monotonic()
        try:
            out["result"] = fn()
        except Exception as exc:
            out["error"] = exc
        out["after"] = time.monotonic() - started

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def test_a_write_waits_for_the_transaction_that_read_the_document(client) -> None:
    raw, ref = Raw(client), client.collection(unique()).document("d")
    ref.set({"n": 0})
    txn = raw.begin()
    raw.read(txn, ref)
    thread, out = _in_thread(lambda: raw.write(ref, 5))
    time.sleep(0.5)
    assert thread.is_alive()  # waiting for the lock
    raw.write(ref, 1, txn)
    thread.join(10)
    assert "error" not in out and out["after"] < LOCK_TIMEOUT_S
    assert ref.get().get("n") == 5  # the waiting write went last


def test_a_lock_held_too_long_aborts_the_waiting_write(client) -> None:
    raw, ref = Raw(client), client.collection(unique()).document("d")
    ref.set({"n": 0})
    txn = raw.begin()
    raw.read(txn, ref)
    started = time.monotonic()
    with pytest.raises(exceptions.Aborted, match="Transaction lock timeout"):
        raw.write(ref, 5)
    assert time.monotonic() - started >= LOCK_TIMEOUT_S * 0.9
    raw.write(ref, 1, txn)  # the transaction was not disturbed
    assert ref.get().get("n") == 1


def test_reads_share_and_two_writers_deadlock_until_one_times_out(client) -> None:
    raw, ref = Raw(client), client.collection(unique()).document("d")
    ref.set({"n": 0})
    first, second = raw.begin(), raw.begin()
    raw.read(first, ref)
    raw.read(second, ref)  # shared: does not wait
    thread, out = _in_thread(lambda: raw.write(ref, 1, first))
    time.sleep(0.3)
    results = {}
    try:
        raw.write(ref, 2, second)
        results["second"] = "committed"
    except exceptions.Aborted as exc:
        results["second"] = exc.message
    thread.join(10)
    results["first"] = "committed" if "result" in out else out["error"].message
    assert sorted(results.values()) == ["Transaction lock timeout.", "committed"]
    assert ref.get().get("n") == (1 if results["first"] == "committed" else 2)


def test_an_insert_into_a_queried_collection_waits_for_the_transaction(client) -> None:
    raw, coll = Raw(client), client.collection(unique())
    coll.document("a").set({"n": 0})
    txn = raw.begin()
    raw.query(txn, coll)
    with pytest.raises(exceptions.Aborted, match="Transaction lock timeout"):
        raw.write(coll.document("new"), 1)
    client.collection(unique()).document("elsewhere").set({"n": 1})  # other collections: free
    raw.api.rollback(request={"database": raw.database, "transaction": txn})
    raw.write(coll.document("new"), 1)  # released
    assert coll.document("new").get().exists


def test_the_client_retries_a_transaction_that_lost_a_lock(client) -> None:
    ref = client.collection(unique()).document("counter")
    ref.set({"n": 0})

    @firestore.transactional
    def increment(transaction: firestore.Transaction) -> None:
        n = ref.get(transaction=transaction).get("n")
        transaction.update(ref, {"n": n + 1})

    threads = [threading.Thread(target=increment, args=(client.transaction(),)) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert ref.get().get("n") == 3
