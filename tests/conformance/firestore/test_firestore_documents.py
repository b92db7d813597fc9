"""Documents: create/set/update/delete, preconditions, transforms, merges and masks, times."""

from __future__ import annotations

import datetime

import grpc
import pytest
from google.api_core import exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.field_path import FieldPath

from tests.conformance.firestore.firestore_helpers import expect_code, root, unique


@pytest.fixture
def coll(db: firestore.Client) -> firestore.CollectionReference:
    return db.collection(unique("docs"))


def test_set_get_roundtrip_every_value_type(db, coll):
    ts = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=datetime.UTC)
    data = {
        "null": None,
        "bool": True,
        "int": 2**62,
        "float": 1.5,
        "ts": ts,
        "str": "héllo",
        "bytes": b"\x00\x01",
        "ref": db.document("a/b"),
        "geo": firestore.GeoPoint(1.5, -2.5),
        "arr": [1, "x", {"m": [2]}],
        "map": {"nested": {"deep": 1}},
    }
    coll.document("all").set(data)
    got = coll.document("all").get().to_dict()
    assert got["ref"].path == "a/b"
    got["ref"] = data["ref"] = None
    assert got == data


def test_subcollections_are_independent_of_their_parent(coll):
    parent = coll.document("p")
    parent.collection("kids").document("k1").set({"n": 1})
    assert not parent.get().exists
    assert parent.collection("kids").document("k1").get().to_dict() == {"n": 1}
    assert [c.id for c in parent.collections()] == ["kids"]


def test_create_on_existing_document_is_already_exists(coll):
    coll.document("x").create({"a": 1})
    with pytest.raises(exceptions.AlreadyExists):
        coll.document("x").create({"a": 2})
    assert coll.document("x").get().to_dict() == {"a": 1}


def test_update_of_missing_document_is_not_found(coll):
    with pytest.raises(exceptions.NotFound):
        coll.document("missing").update({"a": 1})
    assert not coll.document("missing").get().exists


def test_update_time_precondition(coll):
    ref = coll.document("u")
    first = ref.set({"a": 1})
    second = ref.update({"a": 2})
    with pytest.raises(exceptions.FailedPrecondition):
        ref.update({"a": 3}, option=coll._client.write_option(last_update_time=first.update_time))
    ref.update({"a": 4}, option=coll._client.write_option(last_update_time=second.update_time))
    assert ref.get().get("a") == 4


def test_delete_with_exists_precondition(coll):
    with pytest.raises(exceptions.NotFound):
        coll.document("nope").delete(option=coll._client.write_option(exists=True))
    coll.document("nope").delete()  # without a precondition deleting nothing succeeds


def test_delete_with_update_time_precondition(coll):
    ref = coll.document("d")
    old = ref.set({"a": 1})
    ref.update({"a": 2})
    with pytest.raises(exceptions.FailedPrecondition):
        ref.delete(option=coll._client.write_option(last_update_time=old.update_time))
    assert ref.get().exists


@pytest.mark.ours_only("Google's emulator truncates server timestamps to milliseconds")
def test_server_timestamp_is_the_commit_time(coll):
    ref = coll.document("t")
    result = ref.set(
        {"at": firestore.SERVER_TIMESTAMP, "nested": {"at": firestore.SERVER_TIMESTAMP}}
    )
    snap = ref.get()
    assert snap.get("at") == result.update_time
    assert snap.get("nested.at") == result.update_time


def test_increment_integer_and_float_semantics(coll):
    ref = coll.document("i")
    ref.set({"int": 1, "float": 1.5, "text": "x", "big": 2**63 - 2})
    ref.update(
        {
            "int": firestore.Increment(2),
            "float": firestore.Increment(1),
            "text": firestore.Increment(3),
            "missing": firestore.Increment(5),
            "big": firestore.Increment(10),
            "mixed": firestore.Increment(0.5),
        }
    )
    got = ref.get().to_dict()
    assert got["int"] == 3 and isinstance(got["int"], int)
    assert got["float"] == 2.5
    assert got["text"] == 3  # a non-numeric field is replaced by the operand
    assert got["missing"] == 5
    assert got["big"] == 2**63 - 1  # integer overflow saturates
    assert got["mixed"] == 0.5
    ref.update({"int": firestore.Increment(0.5)})
    assert ref.get().get("int") == 3.5


def test_maximum_and_minimum(coll):
    ref = coll.document("m")
    ref.set({"a": 3, "b": 3, "c": 3.0, "d": "x"})
    ref.update(
        {
            "a": firestore.Maximum(5),
            "b": firestore.Minimum(1.5),
            "c": firestore.Maximum(3),
            "d": firestore.Minimum(7),
        }
    )
    got = ref.get().to_dict()
    assert got == {"a": 5, "b": 1.5, "c": 3.0, "d": 7}
    assert isinstance(got["c"], float)  # equivalent operands leave the field unchanged


def test_array_union_and_remove(coll):
    ref = coll.document("arr")
    ref.set({"a": [1, 2.0, None, "x"], "s": "not an array"})
    ref.update(
        {"a": firestore.ArrayUnion([1.0, 2, 3, 3, None, "y"]), "s": firestore.ArrayUnion([1])}
    )
    assert ref.get().to_dict() == {"a": [1, 2.0, None, "x", 3, "y"], "s": [1]}
    ref.update({"a": firestore.ArrayRemove([2, "x", "absent"]), "new": firestore.ArrayRemove([1])})
    assert ref.get().to_dict() == {"a": [1, None, 3, "y"], "s": [1], "new": []}


def test_set_merge_and_merge_fields(coll):
    ref = coll.document("mg")
    ref.set({"a": 1, "m": {"x": 1, "y": 2}, "keep": True})
    ref.set({"m": {"x": 10}, "b": 2}, merge=True)
    assert ref.get().to_dict() == {"a": 1, "m": {"x": 10, "y": 2}, "keep": True, "b": 2}
    ref.set({"a": 5, "m": {"y": 20}, "ignored": 1}, merge=["a", "m.y"])
    assert ref.get().to_dict() == {"a": 5, "m": {"x": 10, "y": 20}, "keep": True, "b": 2}
    ref.set({"only": 1})  # no merge: replaces the document
    assert ref.get().to_dict() == {"only": 1}


def test_update_nested_and_quoted_field_paths(coll):
    ref = coll.document("fp")
    ref.set({"m": {"x": 1, "y": 2}, "a.b": 1, "odd key": {"in": 1}})
    ref.update(
        {
            "m.x": 10,
            FieldPath("a.b").to_api_repr(): 2,  # "`a.b`": one field whose name has a dot
            FieldPath("odd key", "in").to_api_repr(): 3,  # "`odd key`.in"
            "m.y": firestore.DELETE_FIELD,
            "new.deep.er": "x",
        }
    )
    assert ref.get().to_dict() == {
        "m": {"x": 10},
        "a.b": 2,
        "odd key": {"in": 3},
        "new": {"deep": {"er": "x"}},
    }


def test_field_mask_on_reads(coll):
    ref = coll.document("mask")
    ref.set({"a": 1, "b": {"c": 2, "d": 3}, "e": 4})
    assert ref.get(field_paths=["a", "b.c"]).to_dict() == {"a": 1, "b": {"c": 2}}


def test_delete_document_and_field(coll):
    ref = coll.document("del")
    ref.set({"a": 1, "b": 2})
    ref.update({"b": firestore.DELETE_FIELD})
    assert ref.get().to_dict() == {"a": 1}
    ref.delete()
    snap = ref.get()
    assert not snap.exists and snap.create_time is None


def test_create_and_update_times(coll):
    ref = coll.document("times")
    created = ref.create({"a": 1})
    snap1 = ref.get()
    assert snap1.create_time == snap1.update_time == created.update_time
    ref.update({"a": 2})
    snap2 = ref.get()
    assert snap2.create_time == snap1.create_time
    assert snap2.update_time > snap1.update_time
    # a write that changes nothing keeps the update time (WriteResult reports the old one)
    same = ref.set({"a": 2})
    assert same.update_time == snap2.update_time == ref.get().update_time
    ref.delete()
    recreated = ref.set({"a": 3})
    assert ref.get().create_time == recreated.update_time > snap1.create_time


def test_add_generates_twenty_character_ids(coll):
    _, ref = coll.add({"a": 1})
    assert len(ref.id) == 20 and ref.get().to_dict() == {"a": 1}


def test_update_document_rpc_with_mask_creates_or_merges(db, coll):
    name = f"{root(db)}/documents/{coll.id}/raw"
    db._firestore_api.update_document(
        request={"document": {"name": name, "fields": {"a": {"integer_value": 1}}}}
    )
    db._firestore_api.update_document(
        request={
            "document": {"name": name, "fields": {"b": {"string_value": "x"}}},
            "update_mask": {"field_paths": ["b"]},
        }
    )
    assert coll.document("raw").get().to_dict() == {"a": 1, "b": "x"}
    with expect_code(grpc.StatusCode.NOT_FOUND):
        db._firestore_api.update_document(
            request={
                "document": {"name": name + "2", "fields": {}},
                "current_document": {"exists": True},
            }
        )
