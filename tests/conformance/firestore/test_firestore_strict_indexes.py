"""Strict-index mode: queries that need an undeclared composite index fail with
FAILED_PRECONDITION, as in production, and run once the index file declares the index."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from google.api_core import exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter, Or
from google.cloud.firestore_v1.base_vector_query import DistanceMeasure
from google.cloud.firestore_v1.vector import Vector

from emulators.launcher import ManagedProcess
from tests.conformance.firestore.firestore_helpers import (
    emulator_process,
    ids,
    make_client,
    unique,
)


class IndexFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict = {"indexes": [], "fieldOverrides": []}
        self.write()

    def write(self) -> None:
        self.path.write_text(json.dumps(self.data, indent=2))
        later = time.time_ns() + 1_000_000_000  # the emulator re-reads on a new mtime
        os.utime(self.path, ns=(later, later))

    def add_index(self, group: str, *fields: dict, scope: str = "COLLECTION") -> None:
        self.data["indexes"].append(
            {"collectionGroup": group, "queryScope": scope, "fields": list(fields)}
        )
        self.write()

    def add_override(self, group: str, field: str, indexes: list[dict]) -> None:
        self.data["fieldOverrides"].append(
            {"collectionGroup": group, "fieldPath": field, "indexes": indexes}
        )
        self.write()


@pytest.fixture(scope="module")
def index_file(tmp_path_factory: pytest.TempPathFactory) -> IndexFile:
    return IndexFile(tmp_path_factory.mktemp("indexes") / "firestore.indexes.json")


@pytest.fixture(scope="module")
def strict_emulator(index_file: IndexFile) -> Iterator[ManagedProcess]:
    proc = emulator_process("--strict-indexes", "--indexes", str(index_file.path), name="strict")
    with proc:
        yield proc


@pytest.fixture(scope="module")
def sdb(strict_emulator: ManagedProcess, project_id: str) -> firestore.Client:
    return make_client(strict_emulator.address, project_id)


@pytest.fixture
def coll(sdb: firestore.Client) -> firestore.CollectionReference:
    c = sdb.collection(unique("ix"))
    for i in range(4):
        c.document(f"d{i}").set(
            {"a": i % 2, "b": i, "tags": ["t", f"t{i}"], "e": Vector([1.0, float(i)])}
        )
    return c


def needs_index(query) -> str:
    with pytest.raises(exceptions.FailedPrecondition) as info:
        list(query.stream()) if hasattr(query, "stream") else query.get()
    assert "requires an index" in info.value.message or "vector index" in info.value.message
    return info.value.message


def where(q, field, op, value):
    return q.where(filter=FieldFilter(field, op, value))


def test_single_field_and_merged_equality_queries_need_no_declaration(coll):
    assert ids(where(coll, "a", "==", 1).stream()) == ["d1", "d3"]
    assert ids(coll.order_by("b", direction="DESCENDING").limit(2).stream()) == ["d3", "d2"]
    assert ids(where(coll, "b", ">", 1).stream()) == ["d2", "d3"]
    assert ids(where(coll, "tags", "array_contains", "t2").stream()) == ["d2"]
    assert ids(where(where(coll, "a", "==", 1), "b", "==", 3).stream()) == ["d3"]  # merging
    assert ids(where(where(coll, "a", "==", 0), "tags", "array_contains", "t").stream()) == [
        "d0",
        "d2",
    ]
    assert ids(coll.order_by("__name__", direction="DESCENDING").limit(1).stream()) == ["d3"]


def test_equality_plus_order_on_another_field_needs_a_composite(coll, index_file):
    query = where(coll, "a", "==", 1).order_by("b", direction="DESCENDING")
    message = needs_index(query)
    wanted = json.loads(message[message.index("{") :])
    assert wanted == {
        "collectionGroup": coll.id,
        "queryScope": "COLLECTION",
        "fields": [
            {"fieldPath": "a", "order": "ASCENDING"},
            {"fieldPath": "b", "order": "DESCENDING"},
        ],
    }
    index_file.add_index(coll.id, *wanted["fields"])
    assert ids(query.stream()) == ["d3", "d1"]
    # the direction is part of the index: ascending b is still undeclared
    needs_index(where(coll, "a", "==", 1).order_by("b"))


def test_inequality_plus_equality_and_several_orders(coll, index_file):
    needs_index(where(where(coll, "a", "==", 0), "b", ">=", 1))
    needs_index(coll.order_by("a").order_by("b"))
    index_file.add_index(
        coll.id,
        {"fieldPath": "a", "order": "ASCENDING"},
        {"fieldPath": "b", "order": "ASCENDING"},
        {"fieldPath": "__name__", "order": "ASCENDING"},
    )
    assert ids(where(where(coll, "a", "==", 0), "b", ">=", 1).stream()) == ["d2"]
    assert ids(coll.order_by("a").order_by("b").stream()) == ["d0", "d2", "d1", "d3"]


def test_array_contains_plus_order_needs_a_contains_composite(coll, index_file):
    query = where(coll, "tags", "array_contains", "t").order_by("b")
    needs_index(query)
    tags = {"fieldPath": "tags", "arrayConfig": "CONTAINS"}
    index_file.add_index(coll.id, tags, {"fieldPath": "b", "order": "ASCENDING"})
    assert ids(query.stream()) == ["d0", "d1", "d2", "d3"]


def test_or_queries_need_an_index_per_disjunction(coll, index_file):
    query = coll.where(filter=Or([FieldFilter("a", "==", 1), FieldFilter("b", "==", 0)]))
    assert sorted(ids(query.stream())) == ["d0", "d1", "d3"]  # single fields: fine
    ordered = query.order_by("b", direction="DESCENDING")
    needs_index(ordered)  # a == 1 ordered by b desc needs (a, b desc)
    a, b_desc = {"fieldPath": "a", "order": "ASCENDING"}, {"fieldPath": "b", "order": "DESCENDING"}
    index_file.add_index(coll.id, a, b_desc)
    assert ids(ordered.stream()) == ["d3", "d1", "d0"]


def test_collection_group_scope_has_no_automatic_single_field_indexes(sdb, index_file):
    group = unique("cg")
    sdb.collection("p").document("1").collection(group).document("x").set({"v": 1})
    assert ids(sdb.collection_group(group).stream()) == ["x"]
    query = sdb.collection_group(group).where(filter=FieldFilter("v", "==", 1))
    message = needs_index(query)
    assert '"queryScope": "COLLECTION_GROUP"' in message
    index_file.add_override(group, "v", [{"order": "ASCENDING", "queryScope": "COLLECTION_GROUP"}])
    assert ids(query.stream()) == ["x"]


def test_field_override_can_exempt_a_field(sdb, index_file):
    c = sdb.collection(unique("exempt"))
    c.document("x").set({"blob": "long text", "k": 1})
    index_file.add_override(c.id, "blob", [])
    needs_index(where(c, "blob", "==", "long text"))
    assert ids(where(c, "k", "==", 1).stream()) == ["x"]


def test_find_nearest_needs_a_vector_index_of_the_right_dimension(coll, index_file):
    def nearest(q, dims=2):
        return q.find_nearest(
            "e", Vector([1.0] * dims), limit=2, distance_measure=DistanceMeasure.EUCLIDEAN
        )

    message = needs_index(nearest(coll))
    assert '"vectorConfig": {"dimension": 2, "flat": {}}' in message
    index_file.add_index(coll.id, {"fieldPath": "e", "vectorConfig": {"dimension": 3, "flat": {}}})
    needs_index(nearest(coll))  # wrong dimension
    index_file.add_index(coll.id, {"fieldPath": "e", "vectorConfig": {"dimension": 2, "flat": {}}})
    assert ids(nearest(coll).get()) == ["d1", "d0"]
    prefiltered = nearest(where(coll, "a", "==", 0))
    needs_index(prefiltered)
    index_file.add_index(
        coll.id,
        {"fieldPath": "a", "order": "ASCENDING"},
        {"fieldPath": "e", "vectorConfig": {"dimension": 2, "flat": {}}},
    )
    assert ids(prefiltered.get()) == ["d0", "d2"]


def test_the_session_emulator_is_strict_with_the_infra_declarations(db, emulator_flavour):
    c = db.collection(unique("undeclared"))
    c.document("x").set({"a": 1, "b": 2})
    assert ids(where(c, "a", "==", 1).stream()) == ["x"]
    undeclared = where(c, "a", "==", 1).order_by("b")
    if emulator_flavour == "official":  # intended difference: Google's checks no index
        assert ids(undeclared.stream()) == ["x"]
    else:  # as production: FAILED_PRECONDITION with the index to declare
        needs_index(undeclared)
    assert ids(c.stream()) == ["x"]  # and it keeps serving
