"""Client features whose answers must equal Google's: recursive queries and `recursive_delete`,
aggregations over the first N documents and over nothing, vectors kept in documents, deletes
with preconditions. Each test runs on our emulator and on Google's (marked `official`)."""

from __future__ import annotations

import datetime

import pytest
from google.api_core import exceptions
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.vector import Vector

from tests.conformance.firestore.firestore_helpers import root, unique

BACKENDS = ["ours", pytest.param("official", marks=pytest.mark.official)]


@pytest.fixture(scope="module", params=BACKENDS)
def client(request: pytest.FixtureRequest) -> firestore.Client:
    # the lenient emulator: aggregations over ordered queries need no declared index here
    return request.getfixturevalue("lenient_db" if request.param == "ours" else "official_db")


def _tree(client: firestore.Client) -> firestore.CollectionReference:
    coll = client.collection(unique("tree"))
    for d in ("a", "b"):
        coll.document(d).set({"n": 1})
        coll.document(d).collection("sub").document("x").set({"n": 2})
        coll.document(d).collection("sub").document("x").collection("deep").document("y").set({})
    coll.document("ghost").collection("sub").document("z").set({})  # a missing parent
    client.collection(unique("other")).document("o").set({})
    return coll


def test_recursive_query_returns_every_descendant_in_name_order(client) -> None:
    coll = _tree(client)
    paths = [s.reference.path for s in coll.recursive().stream()]
    rel = [p.split("/", 1)[1] for p in paths]
    assert rel == [
        "a",
        "a/sub/x",
        "a/sub/x/deep/y",
        "b",
        "b/sub/x",
        "b/sub/x/deep/y",
        "ghost/sub/z",
    ]


def test_recursive_delete_removes_subcollections_and_nothing_else(client) -> None:
    coll = _tree(client)
    keep = client.collection(unique("keep"))
    keep.document("k").set({"n": 1})
    assert client.recursive_delete(coll) == 7
    assert list(coll.recursive().stream()) == []
    assert (
        list(client.collection_group("deep").where(filter=FieldFilter("n", "==", 0)).stream()) == []
    )
    assert keep.document("k").get().exists
    # a document reference: the document and everything below it
    doc = keep.document("k")
    doc.collection("c").document("d").set({})
    assert client.recursive_delete(doc) == 2
    assert not doc.get().exists and list(doc.collection("c").stream()) == []


def _aggregate(client: firestore.Client, query: firestore.Query) -> dict[str, tuple[str, object]]:
    """count, sum and avg of `n` and sum of `f` through RunAggregationQuery, with value types."""
    request = {
        "parent": f"{root(client)}/documents",
        "structured_aggregation_query": {
            "structured_query": query._to_protobuf(),
            "aggregations": [
                {"alias": "count", "count": {}},
                {"alias": "sum", "sum": {"field": {"field_path": "n"}}},
                {"alias": "avg", "avg": {"field": {"field_path": "n"}}},
                {"alias": "sum_f", "sum": {"field": {"field_path": "f"}}},
            ],
        },
    }
    (resp,) = client._firestore_api.run_aggregation_query(
        request=request, metadata=client._rpc_metadata
    )
    out = {}
    for alias, value in resp.result.aggregate_fields.items():
        kind = value._pb.WhichOneof("value_type")
        out[alias] = (kind, getattr(value._pb, kind))
    return out


@pytest.fixture(scope="module")
def numbers(client) -> firestore.CollectionReference:
    coll = client.collection(unique("numbers"))
    for i in range(5):
        coll.document(f"d{i}").set({"n": i, "f": i + 0.5})
    coll.document("other").set({"m": 1})  # no n, no f
    return coll


def test_aggregations_count_only_the_first_n_documents(client, numbers) -> None:
    assert _aggregate(client, numbers.order_by("n").limit(2)) == {
        "count": ("integer_value", 2),
        "sum": ("integer_value", 1),
        "avg": ("double_value", 0.5),
        "sum_f": ("double_value", 2.0),
    }
    assert _aggregate(client, numbers.order_by("n").offset(3)) == {
        "count": ("integer_value", 2),
        "sum": ("integer_value", 7),
        "avg": ("double_value", 3.5),
        "sum_f": ("double_value", 8.0),
    }
    # the limit applies before the documents without the aggregated fields drop out
    assert _aggregate(client, numbers.limit(3))["count"] == ("integer_value", 3)
    (result,) = numbers.order_by("n").limit(3).sum("n", alias="s").get()
    assert result[0].value == 3


def test_aggregations_over_no_documents(client, numbers) -> None:
    nothing = numbers.where(filter=FieldFilter("n", ">", 100))
    assert _aggregate(client, nothing) == {
        "count": ("integer_value", 0),
        "sum": ("integer_value", 0),
        "avg": ("null_value", 0),
        "sum_f": ("integer_value", 0),
    }
    (result,) = nothing.avg("n", alias="a").get()
    assert result[0].value == 0.0  # the Python client reads the null average as 0.0


def test_vectors_round_trip_in_documents(client) -> None:
    ref = client.collection(unique("vectors")).document("v")
    data = {
        "embedding": Vector([0.25, -1.0, 3.5]),
        "nested": {"inner": Vector([1.0])},
        "list": [1, "a"],
    }
    ref.set(data)
    got = ref.get().to_dict()
    assert got == data and isinstance(got["embedding"], Vector)
    assert ref.get(field_paths=["nested.inner"]).to_dict() == {"nested": {"inner": Vector([1.0])}}
    (same,) = ref.parent.where(
        filter=FieldFilter("embedding", "==", Vector([0.25, -1.0, 3.5]))
    ).get()
    assert same.id == "v"
    ref.update({"embedding": Vector([2.0, 2.0, 2.0])})
    assert ref.get().get("embedding") == Vector([2.0, 2.0, 2.0])


def test_delete_with_preconditions(client) -> None:
    coll = client.collection(unique("preconditions"))
    ref = coll.document("d")
    ref.set({"n": 1})
    snapshot = ref.get()
    stale = snapshot.update_time - datetime.timedelta(seconds=1)
    with pytest.raises(exceptions.FailedPrecondition):
        ref.delete(option=client.write_option(last_update_time=stale))
    assert ref.get().exists
    ref.delete(option=client.write_option(last_update_time=snapshot.update_time))
    assert not ref.get().exists
    with pytest.raises(exceptions.NotFound):
        coll.document("missing").delete(option=client.write_option(exists=True))
    coll.document("missing").delete()  # without a precondition: fine
    batch = client.batch()
    batch.set(coll.document("kept"), {"n": 1})
    batch.delete(coll.document("absent"), option=client.write_option(exists=True))
    with pytest.raises(exceptions.NotFound):
        batch.commit()
    assert not coll.document("kept").get().exists  # the batch is atomic
