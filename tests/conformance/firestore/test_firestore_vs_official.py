"""Answers that must equal Google's: cross-type value ordering, filters across types, and
aggregation results. Each test runs against our emulator and, when gcloud is installed, against
Google's official emulator too (marked `official`)."""

from __future__ import annotations

import datetime
import math

import pytest
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.vector import Vector

from tests.conformance.firestore.firestore_helpers import fill, ids, root, unique

BACKENDS = ["ours", pytest.param("official", marks=pytest.mark.official)]


@pytest.fixture(scope="module", params=BACKENDS)
def client(request: pytest.FixtureRequest) -> firestore.Client:
    return request.getfixturevalue("db" if request.param == "ours" else "official_db")


def values(client: firestore.Client) -> dict[str, object]:
    return {
        "null": None,
        "f": False,
        "t": True,
        "nan": math.nan,
        "ninf": -math.inf,
        "m1": -1,
        "nzd": -0.0,
        "z": 0,
        "zd": 0.0,
        "one": 1,
        "oned": 1.0,
        "onehalf": 1.5,
        "bigd": float(2**53),
        "big": 2**53 + 1,
        "inf": math.inf,
        "ts": datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
        "es": "",
        "sA": "A",
        "sa": "a",
        "sb": "b",
        "uni": "é",
        "by0": b"",
        "bya": b"a",
        "ref": client.document("mixed/one"),
        "geo0": firestore.GeoPoint(0, 0),
        "geo1": firestore.GeoPoint(1, -1),
        "arr0": [],
        "arr1": [1],
        "arr12": [1, 2],
        "arr2": [2],
        "arrmix": ["a", 1, None],
        "vec0": Vector([0.0]),
        "vec12": Vector([1.0, 2.0]),
        "vec3": Vector([1.0, 1.0, 1.0]),
        "map0": {},
        "mapa": {"a": 1},
        "mapab": {"a": 1, "b": 0},
        "mapb": {"b": 0},
    }


# null < booleans < NaN < numbers < timestamps < strings < bytes < references < geo points <
# arrays < vectors < maps; equal values (0, -0.0, 0.0; 1, 1.0) tie and sort by name
CROSS_TYPE_ORDER = [
    "null", "f", "t", "nan", "ninf", "m1", "nzd", "z", "zd", "one", "oned", "onehalf", "bigd",
    "big", "inf", "ts", "es", "sA", "sa", "sb", "uni", "by0", "bya", "ref", "geo0", "geo1",
    "arr0", "arr1", "arr12", "arr2", "arrmix", "vec0", "vec12", "vec3", "map0", "mapa", "mapab",
    "mapb",
]  # fmt: skip


@pytest.fixture(scope="module")
def mixed(client: firestore.Client) -> firestore.CollectionReference:
    coll = client.collection(unique("mixed"))
    fill(coll, {k: {"v": v} for k, v in values(client).items()} | {"absent": {"other": 1}})
    return coll


def test_cross_type_order(mixed):
    assert ids(mixed.order_by("v").stream()) == CROSS_TYPE_ORDER
    assert ids(mixed.order_by("v", direction="DESCENDING").stream()) == CROSS_TYPE_ORDER[::-1]


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        ("<", 1, ["ninf", "m1", "nzd", "z", "zd"]),
        (">=", "a", ["sa", "sb", "uni"]),
        ("==", 1, ["one", "oned"]),
        ("==", [1], ["arr1"]),
        ("==", {"a": 1}, ["mapa"]),
        ("in", [0, "a"], ["nzd", "z", "zd", "sa"]),
        ("in", [None, True], ["t"]),  # null in an `in` list matches nothing
        ("array_contains", "a", ["arrmix"]),
        (">", Vector([0.0]), ["vec12", "vec3"]),
        ("<", [1, 5], ["arr0", "arr1", "arr12"]),
    ],
)
def test_filters_across_types(mixed, op, value, expected):
    assert ids(mixed.where(filter=FieldFilter("v", op, value)).order_by("v").stream()) == expected


def test_not_equal_excludes_null_and_missing(mixed):
    got = ids(mixed.where(filter=FieldFilter("v", "!=", 1)).stream())
    assert "null" not in got and "absent" not in got and "one" not in got
    assert got == [x for x in CROSS_TYPE_ORDER if x not in ("null", "one", "oned")]
    got = ids(mixed.where(filter=FieldFilter("v", "not-in", [False, "a"])).stream())
    assert got == [x for x in CROSS_TYPE_ORDER if x not in ("null", "f", "sa")]


def test_aggregations(client):
    coll = client.collection(unique("agg"))
    fill(
        coll,
        {
            "i1": {"k": "int", "v": 1},
            "i2": {"k": "int", "v": 2},
            "i3": {"k": "int", "v": 3},
            "d": {"k": "double", "v": 1.5},
            "s": {"k": "text", "v": "x"},
            "n": {"k": "text", "v": None},
            "none": {"k": "text"},
            "max": {"k": "big", "v": 2**63 - 1},
            "one": {"k": "big", "v": 1},
        },
    )

    def agg(where: dict, aggregations: list[dict]) -> dict:
        request = {
            "parent": f"{root(client)}/documents",
            "structured_aggregation_query": {
                "structured_query": {"from_": [{"collection_id": coll.id}], "where": where},
                "aggregations": aggregations,
            },
        }
        (resp,) = list(client._firestore_api.run_aggregation_query(request=request))
        out = {}
        for alias, value in resp.result.aggregate_fields.items():
            kind = value._pb.WhichOneof("value_type")
            out[alias] = None if kind == "null_value" else getattr(value, kind)
        return out

    count = {"alias": "c", "count": {}}
    total = {"alias": "s", "sum": {"field": {"field_path": "v"}}}
    mean = {"alias": "a", "avg": {"field": {"field_path": "v"}}}

    def kind(op: str, value: dict) -> dict:
        return {"field_filter": {"field": {"field_path": "k"}, "op": op, "value": value}}

    ints = kind("EQUAL", {"string_value": "int"})
    text = kind("EQUAL", {"string_value": "text"})
    big = kind("EQUAL", {"string_value": "big"})
    some = [{"string_value": x} for x in ("int", "double", "text")]
    numbers = kind("IN", {"array_value": {"values": some}})

    got = agg(ints, [count, total, mean])
    assert got == {"c": 3, "s": 6, "a": 2.0}
    assert isinstance(got["s"], int) and isinstance(got["a"], float)
    # documents without an aggregated field drop out of every aggregation of the request
    # (also the count); non-numeric values are ignored by sum and avg
    assert agg(numbers, [count, total, mean]) == {"c": 6, "s": 7.5, "a": 1.875}
    assert agg(numbers, [count]) == {"c": 7}
    got = agg(text, [count, total, mean])
    assert got == {"c": 2, "s": 0, "a": None} and isinstance(got["s"], int)
    got = agg(big, [total])
    assert got == {"s": float(2**63)} and isinstance(got["s"], float)  # int64 overflow: double
    # the client's helpers agree
    (result,) = coll.where(filter=FieldFilter("k", "==", "int")).sum("v", alias="x").get()
    assert result[0].value == 6

    request = {
        "parent": f"{root(client)}/documents",
        "structured_aggregation_query": {
            "structured_query": {"from_": [{"collection_id": coll.id}]},
            "aggregations": [{"alias": "upto", "count": {"up_to": {"value": 4}}}, {"count": {}}],
        },
    }
    (resp,) = list(client._firestore_api.run_aggregation_query(request=request))
    fields = resp.result.aggregate_fields
    assert fields["upto"].integer_value == 4 and fields["field_1"].integer_value == 9
