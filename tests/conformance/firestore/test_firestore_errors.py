"""Bad input gets Firestore's error codes and never brings the emulator down."""

from __future__ import annotations

import grpc
import pytest
from google.api_core import exceptions
from google.cloud import firestore

from tests.conformance.firestore.firestore_helpers import (
    expect_code,
    field_filter,
    root,
    run_query,
    unique,
)


@pytest.fixture
def coll(db: firestore.Client) -> firestore.CollectionReference:
    c = db.collection(unique("err"))
    c.document("ok").set({"a": 1})
    return c


def commit(db: firestore.Client, *writes: dict) -> object:
    return db._firestore_api.commit(request={"database": root(db), "writes": list(writes)})


@pytest.mark.parametrize(
    "name",
    [
        "{root}/documents/onlycollection",
        "{root}/documents/a//b",
        "{root}/documents/a/__reserved__",
        "{root}/nodocuments/a/b",
        pytest.param(  # another project than the request's
            "projects/p/databases/(default)/documents/a/b",
            marks=pytest.mark.ours_only("Google's writes into the other project"),
        ),
    ],
)
def test_invalid_document_names(db, coll, name):
    name = name.format(root=root(db))
    with expect_code(grpc.StatusCode.INVALID_ARGUMENT):
        commit(db, {"update": {"name": name, "fields": {}}})
    assert coll.document("ok").get().exists  # still serving


def test_get_missing_document_is_not_found(db, coll):
    with expect_code(grpc.StatusCode.NOT_FOUND):
        db._firestore_api.get_document(request={"name": f"{root(db)}/documents/{coll.id}/none"})
    with expect_code(grpc.StatusCode.INVALID_ARGUMENT):
        db._firestore_api.get_document(request={"name": f"{root(db)}/documents/{coll.id}"})


@pytest.mark.parametrize(
    "fields",
    [
        {"a": {"array_value": {"values": [{"array_value": {}}]}}},  # arrays cannot nest
        {"a": {}},  # no value type
        {"a": {"geo_point_value": {"latitude": 91, "longitude": 0}}},
        {"a": {"timestamp_value": {"seconds": -62135596801}}},  # before year 1
        {"a": {"reference_value": "not/a/reference"}},
    ],
)
def test_invalid_values(db, coll, fields):
    with expect_code(grpc.StatusCode.INVALID_ARGUMENT):
        commit(db, {"update": {"name": f"{root(db)}/documents/{coll.id}/bad", "fields": fields}})
    assert not coll.document("bad").get().exists


def test_invalid_field_paths_and_transforms(db, coll):
    name = f"{root(db)}/documents/{coll.id}/ok"
    with expect_code(grpc.StatusCode.INVALID_ARGUMENT):
        commit(
            db, {"update": {"name": name, "fields": {}}, "update_mask": {"field_paths": ["a-b"]}}
        )
    with expect_code(grpc.StatusCode.INVALID_ARGUMENT):
        commit(db, {"update": {"name": name, "fields": {}}, "update_mask": {"field_paths": ["a."]}})
    with expect_code(grpc.StatusCode.INVALID_ARGUMENT):
        commit(
            db,
            {
                "update": {"name": name, "fields": {}},
                "update_transforms": [{"field_path": "n", "increment": {"string_value": "x"}}],
            },
        )
    with pytest.raises(exceptions.InvalidArgument):
        commit(db, {"update": {"name": name, "fields": {"x": {"integer_value": 1}}}}, {})
    assert coll.document("ok").get().to_dict() == {"a": 1}  # nothing of that was applied


def test_too_large_document(db, coll):
    with pytest.raises(exceptions.InvalidArgument):
        coll.document("big").set({"blob": "x" * (1024 * 1024)})
    coll.document("big").set({"blob": "x" * (1024 * 1024 - 200)})  # just under the limit


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (field_filter("a", "IN", {"array_value": {"values": [{"integer_value": 1}] * 31}}), "30"),
        (field_filter("a", "IN", {"integer_value": 1}), "ArrayValue"),
        (field_filter("a", "OPERATOR_UNSPECIFIED", {"integer_value": 1}), "operator"),
        pytest.param(
            field_filter("__name__", "EQUAL", {"string_value": "x"}),
            "__name__",
            marks=pytest.mark.ours_only("Google's calls the field __key__ in its message"),
        ),
        (field_filter("a b", "EQUAL", {"integer_value": 1}), "path"),
    ],
)
def test_invalid_queries(db, coll, where, message):
    with expect_code(grpc.StatusCode.INVALID_ARGUMENT) as info:
        run_query(db, {"from_": [{"collection_id": coll.id}], "where": where})
    assert message in info.value.message
    assert [d.id for d in coll.stream()] == ["ok"]


def test_invalid_query_shapes(db, coll):
    frm = [{"collection_id": coll.id}]
    bad = [
        {"from_": frm, "limit": {"value": -1}},
        {"from_": frm, "offset": -1},
        {"from_": frm, "start_at": {"values": [{"integer_value": 1}] * 2}},
        {"from_": frm, "order_by": [{"field": {"field_path": "a"}}] * 2},
        {"from_": [*frm, *frm]},
    ]
    for sq in bad:
        with expect_code(grpc.StatusCode.INVALID_ARGUMENT):
            run_query(db, sq)
    with expect_code(grpc.StatusCode.INVALID_ARGUMENT):  # a collection is no parent
        run_query(db, {"from_": frm}, parent=f"{root(db)}/documents/{coll.id}")


def test_bad_database_name(db):
    with expect_code(grpc.StatusCode.INVALID_ARGUMENT):
        db._firestore_api.begin_transaction(request={"database": "projects/x"})


@pytest.mark.ours_only("Google's implements the Write stream")
def test_write_stream_is_unimplemented(db, coll):
    requests = iter([{"database": root(db)}])
    with pytest.raises(exceptions.MethodNotImplemented):
        list(db._firestore_api.write(requests=requests))
    assert coll.document("ok").get().exists
