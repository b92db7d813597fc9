"""Transactions: optimistic concurrency (the loser is ABORTED and retried by the client),
read-only transactions, rollback, unknown ids, reads inside transactions."""

from __future__ import annotations

import threading

import grpc
import pytest
from google.api_core import exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from tests.conformance.firestore.firestore_helpers import expect_code, root, unique


@pytest.fixture
def coll(db: firestore.Client) -> firestore.CollectionReference:
    return db.collection(unique("tx"))


def test_two_concurrent_read_modify_write_transactions(db, coll, aborted_commits, emulator_flavour):
    ref = coll.document("counter")
    ref.set({"n": 0})
    both_read = threading.Barrier(2)
    attempts: list[str] = []

    @firestore.transactional
    def increment(transaction: firestore.Transaction, who: str) -> None:
        snap = ref.get(transaction=transaction)
        attempts.append(who)
        if len(attempts) <= 2:  # first attempts: make sure both have read before either writes
            both_read.wait(timeout=5)
        transaction.update(ref, {"n": snap.get("n") + 1})

    errors: list[BaseException] = []

    def run(who: str) -> None:
        try:
            increment(db.transaction(), who)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in ("t1", "t2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    assert ref.get().get("n") == 2
    if emulator_flavour == "official":
        # Google's emulator locks what each transaction read, so how often the commits abort
        # depends on lock timing: the loser is aborted at least once and retried.
        assert len(aborted_commits) >= 1
        assert len(attempts) >= 3
        return
    assert len(aborted_commits) == 1  # the loser really got ABORTED once ...
    assert len(attempts) == 3  # ... and the client retried it


def test_many_concurrent_increments_all_land(db, coll):
    ref = coll.document("many")
    ref.set({"n": 0})

    @firestore.transactional
    def increment(transaction: firestore.Transaction) -> None:
        snap = ref.get(transaction=transaction)
        transaction.update(ref, {"n": snap.get("n") + 1})

    def worker() -> None:
        for _ in range(5):
            increment(db.transaction(max_attempts=50))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert ref.get().get("n") == 20


@pytest.mark.ours_only("optimistic; Google's locks (test_firestore_locks.py checks both)")
def test_write_after_a_transactional_read_aborts_the_transaction(db, coll, aborted_commits):
    ref = coll.document("x")
    ref.set({"n": 1})

    @firestore.transactional
    def stale(tx: firestore.Transaction) -> None:
        snap = ref.get(transaction=tx)
        ref.update({"n": 100})  # someone else writes in between
        tx.update(ref, {"n": snap.get("n") + 1})

    with pytest.raises(ValueError, match="Failed to commit transaction"):
        stale(db.transaction(max_attempts=1))
    assert len(aborted_commits) == 1
    assert ref.get().get("n") == 100


@pytest.mark.ours_only("optimistic; Google's locks (test_firestore_locks.py checks both)")
def test_query_read_in_a_transaction_detects_phantoms(db, coll, aborted_commits):
    coll.document("a").set({"open": True})

    @firestore.transactional
    def count_open(tx: firestore.Transaction) -> None:
        docs = list(tx.get(coll.where(filter=FieldFilter("open", "==", True))))
        coll.document("b").set({"open": True})  # a new match appears before the commit
        tx.set(coll.document("summary"), {"open": len(docs)})

    with pytest.raises(ValueError, match="Failed to commit transaction"):
        count_open(db.transaction(max_attempts=1))
    assert len(aborted_commits) == 1 and not coll.document("summary").get().exists


def test_blind_writes_do_not_conflict(db, coll):
    t1, t2 = db.transaction(), db.transaction()
    t1._begin()
    t2._begin()
    t1.set(coll.document("blind"), {"by": 1})
    t2.set(coll.document("blind"), {"by": 2})
    t1._commit()
    t2._commit()
    assert coll.document("blind").get().get("by") == 2


def test_read_only_transaction_reads_a_snapshot_and_rejects_writes(db, coll):
    ref = coll.document("ro")
    ref.set({"n": 1})
    transaction = db.transaction(read_only=True)
    transaction._begin()
    ref.set({"n": 2})  # after the snapshot
    (snap,) = list(transaction.get(ref))
    assert snap.get("n") == 1
    with pytest.raises(ValueError):  # the client refuses to write; so does the server:
        transaction.set(ref, {"n": 3})
    with expect_code(grpc.StatusCode.INVALID_ARGUMENT):
        db._firestore_api.commit(
            request={
                "database": root(db),
                "transaction": transaction.id,
                "writes": [{"update": {"name": ref._document_path, "fields": {}}}],
            }
        )
    assert ref.get().get("n") == 2


def test_read_only_transactional_function(db, coll):
    coll.document("a").set({"v": 1})
    coll.document("b").set({"v": 2})

    @firestore.transactional
    def total(tx: firestore.Transaction) -> int:
        return sum(s.get("v") for s in tx.get(coll.order_by("v")))

    assert total(db.transaction(read_only=True)) == 3


def test_rollback_discards_writes_and_ends_the_transaction(db, coll):
    transaction = db.transaction()
    transaction._begin()
    tid = transaction.id
    transaction.set(coll.document("rb"), {"n": 1})
    transaction._rollback()
    assert not coll.document("rb").get().exists
    with expect_code(grpc.StatusCode.INVALID_ARGUMENT):
        db._firestore_api.commit(request={"database": root(db), "transaction": tid})


def test_exception_in_transactional_function_rolls_back(db, coll):
    @firestore.transactional
    def failing(tx: firestore.Transaction) -> None:
        tx.set(coll.document("never"), {"n": 1})
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing(db.transaction())
    assert not coll.document("never").get().exists


def test_unknown_transaction_ids_are_invalid_argument(db, coll):
    name = f"{root(db)}/documents/{coll.id}/x"
    with expect_code(grpc.StatusCode.INVALID_ARGUMENT):
        db._firestore_api.get_document(request={"name": name, "transaction": b"nope"})
    with expect_code(grpc.StatusCode.INVALID_ARGUMENT):
        db._firestore_api.rollback(request={"database": root(db), "transaction": b"nope"})
    with pytest.raises(exceptions.InvalidArgument):
        db._firestore_api.commit(request={"database": root(db), "transaction": b"nope"})


@pytest.mark.ours_only("optimistic; Google's locks (test_firestore_locks.py checks both)")
def test_new_transaction_on_a_read_then_commit(db, coll):
    ref = coll.document("nt")
    ref.set({"n": 1})
    stream = db._firestore_api.batch_get_documents(
        request={
            "database": root(db),
            "documents": [ref._document_path],
            "new_transaction": {"read_write": {}},
        }
    )
    responses = list(stream)
    tid = responses[0].transaction
    assert tid and responses[0].found.fields["n"].integer_value == 1
    ref.update({"n": 5})
    with pytest.raises(exceptions.Aborted):
        db._firestore_api.commit(
            request={
                "database": root(db),
                "transaction": tid,
                "writes": [{"update": {"name": ref._document_path, "fields": {}}}],
            }
        )
    assert ref.get().get("n") == 5
