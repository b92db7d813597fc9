"""Real-time listeners (`Listen`) through the official client's `on_snapshot`: on a document, a
collection and a query, with ordering, changes and removals, and a stream resumed with its
resume token. Each test runs on our emulator and on Google's (marked `official`)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.watch import Watch

from tests.conformance.firestore.firestore_helpers import root, unique

BACKENDS = ["ours", pytest.param("official", marks=pytest.mark.official)]
WAIT_S = 20.0


@pytest.fixture(scope="module", params=BACKENDS)
def client(request: pytest.FixtureRequest) -> firestore.Client:
    return request.getfixturevalue("db" if request.param == "ours" else "official_db")


class Snapshots:
    """What an `on_snapshot` callback received, one (ids in order, sorted changes) per snapshot.
    (The changes' old and new indexes are left out: the Python client computes them itself.)"""

    def __init__(self) -> None:
        self._q: queue.Queue[tuple[list[str], list[tuple[str, str]]]] = queue.Queue()

    def __call__(self, docs: list[Any], changes: list[Any], read_time: Any) -> None:
        self._q.put(([d.id for d in docs], sorted((c.type.name, c.document.id) for c in changes)))

    def next(self) -> tuple[list[str], list[tuple[str, str]]]:
        return self._q.get(timeout=WAIT_S)

    def none_within(self, seconds: float) -> bool:
        try:
            self._q.get(timeout=seconds)
        except queue.Empty:
            return True
        return False


@pytest.fixture
def watch() -> Iterator[Any]:
    watches: list[Watch] = []

    def start(target: Any) -> Snapshots:
        seen = Snapshots()
        watches.append(target.on_snapshot(seen))
        return seen

    yield start
    for w in watches:
        w.unsubscribe()


def test_document_listener_sees_create_update_and_delete(client, watch) -> None:
    ref = client.collection(unique()).document("d")
    got: queue.Queue[dict | None] = queue.Queue()
    w = ref.on_snapshot(lambda docs, changes, at: got.put(docs[0].to_dict() if docs else None))
    try:
        assert got.get(timeout=WAIT_S) is None  # missing: a first snapshot all the same
        ref.set({"n": 1})
        assert got.get(timeout=WAIT_S) == {"n": 1}
        ref.update({"n": 2})
        assert got.get(timeout=WAIT_S) == {"n": 2}
        ref.delete()
        assert got.get(timeout=WAIT_S) is None
    finally:
        w.unsubscribe()


def test_collection_listener_reports_adds_changes_and_removals(client, watch) -> None:
    coll = client.collection(unique())
    coll.document("b").set({"n": 2})
    coll.document("a").set({"n": 1})
    seen = watch(coll)
    assert seen.next() == (["a", "b"], [("ADDED", "a"), ("ADDED", "b")])
    coll.document("c").set({"n": 3})
    assert seen.next() == (["a", "b", "c"], [("ADDED", "c")])
    coll.document("a").update({"n": 10})
    assert seen.next() == (["a", "b", "c"], [("MODIFIED", "a")])
    coll.document("b").delete()
    assert seen.next() == (["a", "c"], [("REMOVED", "b")])
    coll.document("a").collection("sub").document("x").set({"n": 0})  # not in the collection
    coll.document("c").set({"n": 3})  # no change: no snapshot
    assert seen.none_within(1.0)


def test_query_listener_keeps_order_and_drops_documents_that_stop_matching(client, watch):
    coll = client.collection(unique())
    for doc_id, n in {"a": 3, "b": 1, "c": 2, "d": -1}.items():
        coll.document(doc_id).set({"n": n})
    seen = watch(coll.where(filter=FieldFilter("n", ">", 0)).order_by("n"))
    assert seen.next() == (["b", "c", "a"], [("ADDED", "a"), ("ADDED", "b"), ("ADDED", "c")])
    coll.document("d").update({"n": 5})  # starts matching, last in order
    assert seen.next() == (["b", "c", "a", "d"], [("ADDED", "d")])
    coll.document("a").update({"n": 0})  # stops matching: removed although it still exists
    assert seen.next() == (["b", "c", "d"], [("REMOVED", "a")])
    coll.document("b").update({"n": 4})  # moves
    assert seen.next() == (["c", "b", "d"], [("MODIFIED", "b")])


def test_query_listener_with_a_limit_follows_the_first_documents(client, watch) -> None:
    coll = client.collection(unique())
    for i in range(4):
        coll.document(f"d{i}").set({"n": i})
    seen = watch(coll.order_by("n").limit(2))
    assert seen.next()[0] == ["d0", "d1"]
    coll.document("e").set({"n": -1})  # pushes d1 out of the limit
    ids, changes = seen.next()
    assert ids == ["e", "d0"]
    assert changes == [("ADDED", "e"), ("REMOVED", "d1")]


def test_batched_writes_arrive_as_one_snapshot(client, watch) -> None:
    coll = client.collection(unique())
    seen = watch(coll)
    assert seen.next() == ([], [])
    batch = client.batch()
    for doc_id in ("x", "y", "z"):
        batch.set(coll.document(doc_id), {"n": 1})
    batch.commit()
    assert seen.next()[0] == ["x", "y", "z"]


def _listen(client: firestore.Client, target: dict) -> tuple[Iterator[Any], threading.Event]:
    """A raw Listen stream with one target; the event ends its request side. (Google's
    emulator finds the documents through the client's resource-prefix header.)"""
    done = threading.Event()

    def requests() -> Iterator[dict]:
        yield {"database": root(client), "add_target": target}
        done.wait(WAIT_S)

    stream = client._firestore_api.listen(
        requests=requests(), timeout=WAIT_S, metadata=client._rpc_metadata
    )
    return iter(stream), done


def _until_global_no_change(stream: Iterator[Any]) -> list[Any]:
    """Responses up to and including the NO_CHANGE without target ids (a consistent state)."""
    out = []
    for r in stream:
        out.append(r)
        tc = r.target_change
        if "target_change" in r and tc.target_change_type.name == "NO_CHANGE" and not tc.target_ids:
            return out
    raise AssertionError(f"the stream ended before a consistent state: {out}")


def test_resume_token_replays_only_what_changed_since(client) -> None:
    coll = client.collection(unique())
    coll.document("keep").set({"n": 1})
    coll.document("gone").set({"n": 1})
    target = {
        "query": {
            "parent": f"{root(client)}/documents",
            "structured_query": {"from_": [{"collection_id": coll.id}]},
        },
        "target_id": 0x5079,
    }
    stream, done = _listen(client, target)
    first = _until_global_no_change(stream)
    done.set()
    kinds = [r._pb.WhichOneof("response_type") for r in first]
    assert kinds == ["target_change", *["document_change"] * 2, *["target_change"] * 2]
    assert [
        first[0].target_change.target_change_type.name,
        list(first[0].target_change.target_ids),
    ] == [
        "ADD",
        [0x5079],
    ]
    current = first[3].target_change
    assert current.target_change_type.name == "CURRENT" and list(current.target_ids) == [0x5079]
    token = first[-1].target_change.resume_token or current.resume_token
    assert token

    coll.document("gone").delete()
    coll.document("new").set({"n": 2})
    stream, done = _listen(client, {**target, "resume_token": token})
    resumed = _until_global_no_change(stream)
    done.set()
    # Applied to what the client held, the answer gives the current results: Google's emulator
    # starts over (RESET, then every document), ours sends only the differences.
    held = {"keep", "gone"}
    for r in resumed:
        kind = r._pb.WhichOneof("response_type")
        if kind == "target_change" and r.target_change.target_change_type.name == "RESET":
            held = set()
        elif kind == "document_change":
            held.add(r.document_change.document.name.rsplit("/", 1)[1])
        elif kind in ("document_delete", "document_remove"):
            held.discard(getattr(r, kind).document.rsplit("/", 1)[1])
    assert held == {"keep", "new"}
    assert resumed[0].target_change.target_change_type.name == "ADD"
