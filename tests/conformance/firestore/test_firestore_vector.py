"""Vector search: find_nearest with COSINE, EUCLIDEAN and DOT_PRODUCT, a distance result field,
a distance threshold and pre-filters; Vector values round-trip."""

from __future__ import annotations

import math

import pytest
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.base_vector_query import DistanceMeasure
from google.cloud.firestore_v1.vector import Vector

from tests.conformance.firestore.firestore_helpers import fill, ids, unique

DOCS = {
    "x": {"e": Vector([1.0, 0.0]), "kind": "axis"},
    "y": {"e": Vector([0.0, 2.0]), "kind": "axis"},
    "xy": {"e": Vector([1.0, 1.0]), "kind": "diag"},
    "far": {"e": Vector([10.0, 10.0]), "kind": "diag"},
    "neg": {"e": Vector([-1.0, 0.0]), "kind": "axis"},
    "dim3": {"e": Vector([1.0, 0.0, 0.0]), "kind": "axis"},  # other dimension: never returned
    "plain": {"e": [1.0, 0.0], "kind": "axis"},  # an array, not a vector: never returned
}


@pytest.fixture(scope="module")
def coll(lenient_db: firestore.Client) -> firestore.CollectionReference:
    c = lenient_db.collection(unique("vec"))
    fill(c, DOCS)
    return c


def nearest(coll, measure, limit=10, **kw):
    q = coll.find_nearest(
        "e",
        Vector([1.0, 0.0]),
        limit=limit,
        distance_measure=measure,
        distance_result_field="d",
        **kw,
    )
    return [(s.id, s.get("d")) for s in q.get()]


def test_vector_values_round_trip(coll):
    assert coll.document("x").get().get("e") == Vector([1.0, 0.0])


def test_euclidean(coll):
    got = nearest(coll, DistanceMeasure.EUCLIDEAN)
    assert [i for i, _ in got] == ["x", "xy", "neg", "y", "far"]
    assert [d for _, d in got] == pytest.approx([0.0, 1.0, 2.0, math.sqrt(5), math.sqrt(181)])


def test_cosine(coll):
    got = nearest(coll, DistanceMeasure.COSINE)
    distances = dict(got)
    order = [i for i, _ in got]
    assert order[0] == "x" and order[-2:] == ["y", "neg"]
    assert distances == pytest.approx(
        {"x": 0.0, "xy": 1 - 1 / math.sqrt(2), "far": 1 - 1 / math.sqrt(2), "y": 1.0, "neg": 2.0}
    )
    assert [d for _, d in got] == sorted(d for _, d in got)


def test_dot_product_orders_by_largest_similarity(coll):
    got = nearest(coll, DistanceMeasure.DOT_PRODUCT)
    assert got == [("far", 10.0), ("x", 1.0), ("xy", 1.0), ("y", 0.0), ("neg", -1.0)]


def test_limit_threshold_and_prefilter(coll):
    got = nearest(coll, DistanceMeasure.EUCLIDEAN, limit=2)
    assert [i for i, _ in got] == ["x", "xy"]
    got = nearest(coll, DistanceMeasure.EUCLIDEAN, distance_threshold=2.0)
    assert [i for i, _ in got] == ["x", "xy", "neg"]
    got = nearest(coll, DistanceMeasure.DOT_PRODUCT, distance_threshold=1.0)
    assert [i for i, _ in got] == ["far", "x", "xy"]
    filtered = coll.where(filter=FieldFilter("kind", "==", "diag"))
    q = filtered.find_nearest(
        "e", Vector([1.0, 0.0]), limit=5, distance_measure=DistanceMeasure.EUCLIDEAN
    )
    assert ids(q.get()) == ["xy", "far"]
