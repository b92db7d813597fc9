"""Batched writes (atomic Commit), BatchWrite (BulkWriter), BatchGetDocuments, listing,
collection ids and collection-group queries."""

from __future__ import annotations

import datetime

import pytest
from google.api_core import exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.bulk_writer import BulkWriterOptions, SendMode

from tests.conformance.firestore.firestore_helpers import ids, root, unique


@pytest.fixture
def coll(db: firestore.Client) -> firestore.CollectionReference:
    return db.collection(unique("batch"))


@pytest.mark.ours_only("Google's refuses update-then-create of a document in one request")
def test_batch_commit_is_atomic(db, coll):
    coll.document("exists").set({"v": 0})
    batch = db.batch()
    batch.set(coll.document("a"), {"v": 1})
    batch.update(coll.document("exists"), {"v": 1})
    batch.create(coll.document("exists"), {"v": 2})  # fails: ALREADY_EXISTS
    with pytest.raises(exceptions.AlreadyExists):
        batch.commit()
    assert not coll.document("a").get().exists
    assert coll.document("exists").get().get("v") == 0


@pytest.mark.ours_only("Google's truncates server timestamps to milliseconds")
def test_batch_commit_applies_every_write_at_one_time(db, coll):
    batch = db.batch()
    for i in range(5):
        batch.set(coll.document(f"d{i}"), {"i": i, "at": firestore.SERVER_TIMESTAMP})
    batch.delete(coll.document("never"))
    results = batch.commit()
    assert len(results) == 6
    times = {r.update_time for r in results[:5]}
    assert len(times) == 1 and results[5].update_time is None
    assert {s.get("at") for s in coll.stream()} == times


def test_bulk_writer_reports_each_write_on_its_own(db, coll):
    coll.document("there").set({"v": 1})
    failures: list[str] = []

    def on_error(error, _writer) -> bool:
        failures.append(error.operation.reference.id)
        assert error.code == 5  # NOT_FOUND
        return False  # do not retry

    writer = db.bulk_writer(options=BulkWriterOptions(mode=SendMode.parallel))
    writer.on_write_error(on_error)
    for i in range(30):
        writer.set(coll.document(f"w{i}"), {"i": i})
    writer.update(coll.document("missing"), {"v": 2})  # fails alone
    writer.update(coll.document("there"), {"v": 2})
    writer.close()
    assert failures == ["missing"]
    assert len(list(coll.stream())) == 31
    assert coll.document("there").get().get("v") == 2


@pytest.mark.ours_only("Google's answers BatchWrite with PERMISSION_DENIED")
def test_batch_write_rpc_statuses(db, coll):
    name = f"{root(db)}/documents/{coll.id}"
    resp = db._firestore_api.batch_write(
        request={
            "database": root(db),
            "writes": [
                {"update": {"name": f"{name}/ok", "fields": {}}},
                {
                    "update": {"name": f"{name}/nope", "fields": {}},
                    "current_document": {"exists": True},
                },
            ],
        }
    )
    assert [s.code for s in resp.status] == [0, 5]
    assert resp.write_results[0].update_time
    assert coll.document("ok").get().exists


def test_get_all_found_and_missing_in_request_order(db, coll):
    coll.document("a").set({"v": 1})
    coll.document("c").set({"v": 3})
    refs = [coll.document("c"), coll.document("b"), coll.document("a")]
    snaps = list(db.get_all(refs))
    assert [(s.id, s.exists) for s in snaps] == [("c", True), ("b", False), ("a", True)]
    masked = list(db.get_all([coll.document("a")], field_paths=["v"]))
    assert masked[0].to_dict() == {"v": 1}


def test_get_all_at_read_time_sees_the_past(db, coll):
    ref = coll.document("rt")
    first = ref.set({"v": 1})
    ref.set({"v": 2})
    (old,) = db.get_all([ref], read_time=first.update_time)
    assert old.get("v") == 1
    before = first.update_time - datetime.timedelta(microseconds=1)
    (none,) = db.get_all([ref], read_time=before)
    assert not none.exists
    assert ref.get().get("v") == 2


def test_list_documents_pages_and_shows_missing_parents(db, coll):
    for i in range(7):
        coll.document(f"d{i}").set({"i": i})
    coll.document("ghost").collection("sub").document("x").set({})
    listed = list(coll.list_documents(page_size=3))
    assert [r.id for r in listed] == [f"d{i}" for i in range(7)] + ["ghost"]
    assert [s.id for s in coll.stream()] == [f"d{i}" for i in range(7)]  # ghost does not exist
    resp = db._firestore_api.list_documents(
        request={
            "parent": f"{root(db)}/documents",
            "collection_id": coll.id,
            "page_size": 5,
            "mask": {"field_paths": ["i"]},
        }
    )
    assert [d.fields["i"].integer_value for d in resp.documents][:5] == [0, 1, 2, 3, 4]


def test_collection_ids_at_root_and_under_documents(db, coll):
    parent = coll.document("p")
    for name in ("zeta", "alpha", "mid"):
        parent.collection(name).document("x").set({})
    parent.collection("deep").document("y").collection("deeper").document("z").set({})
    assert [c.id for c in parent.collections()] == ["alpha", "deep", "mid", "zeta"]
    assert coll.id in [c.id for c in db.collections()]
    parent.collection("alpha").document("x").delete()
    assert [c.id for c in parent.collections()] == ["deep", "mid", "zeta"]


def test_collection_group_query_spans_parents(db, coll):
    group = unique("grp")
    coll.document("a").collection(group).document("1").set({"n": 1})
    coll.document("b").collection(group).document("2").set({"n": 2})
    coll.document("b").collection(group).document("3").collection(group).document("4").set({"n": 4})
    db.collection(group).document("top").set({"n": 0})
    docs = db.collection_group(group).order_by("__name__").stream()
    got = [d.reference.path for d in docs]
    assert got == sorted(got) and len(got) == 4
    only_b = coll.document("b").collection(group).document("2")
    narrowed = db.collection_group(group).where(filter=FieldFilter("__name__", "==", only_b))
    assert ids(narrowed.stream()) == ["2"]


@pytest.mark.ours_only("Google's emulator does not implement PartitionQuery")
def test_collection_group_partitions(db, coll):
    group = unique("part")
    for p in range(4):
        for i in range(5):
            coll.document(f"p{p}").collection(group).document(f"d{i}").set({"i": i})
    parts = list(db.collection_group(group).get_partitions(3))
    seen = [d.reference.path for part in parts for d in part.query().stream()]
    assert len(seen) == 20 and len(set(seen)) == 20


def test_recursive_delete(db, coll):
    coll.document("r").set({})
    coll.document("r").collection("sub").document("s").set({})
    assert db.recursive_delete(coll) == 2
    assert list(coll.list_documents()) == []
