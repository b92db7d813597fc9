"""Vector Search through aiplatform_v1's REST IndexServiceClient and MatchServiceClient."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
import requests
from google.api_core import exceptions
from google.cloud.aiplatform_v1 import types

Restrict = types.IndexDatapoint.Restriction
Numeric = types.IndexDatapoint.NumericRestriction
Op = Numeric.Operator


def point(
    datapoint_id: str,
    vector: Sequence[float],
    allow: dict[str, list[str]] | None = None,
    deny: dict[str, list[str]] | None = None,
    numeric: dict[str, Any] | None = None,
    crowding: str | None = None,
) -> types.IndexDatapoint:
    namespaces = sorted(set(allow or {}) | set(deny or {}))
    return types.IndexDatapoint(
        datapoint_id=datapoint_id,
        feature_vector=list(vector),
        restricts=[
            Restrict(
                namespace=ns,
                allow_list=(allow or {}).get(ns, []),
                deny_list=(deny or {}).get(ns, []),
            )
            for ns in namespaces
        ],
        numeric_restricts=[_numeric(ns, value) for ns, value in (numeric or {}).items()],
        crowding_tag=types.IndexDatapoint.CrowdingTag(crowding_attribute=crowding)
        if crowding
        else None,
    )


def _numeric(namespace: str, value: Any, op: Any = None) -> Numeric:
    kind = {int: "value_int", float: "value_double"}[type(value)]
    return Numeric(namespace=namespace, op=op, **{kind: value})


class Index:
    """One declared index, and the calls the tests make on it."""

    def __init__(self, clients: tuple[Any, Any], names: tuple[str, str, str]) -> None:
        self.index_client, self.match_client = clients
        self.index, self.endpoint, self.deployed = names

    def upsert(self, *points: types.IndexDatapoint, mask: list[str] | None = None) -> None:
        self.index_client.upsert_datapoints(
            types.UpsertDatapointsRequest(
                index=self.index, datapoints=list(points), update_mask={"paths": mask or []}
            )
        )

    def remove(self, *ids: str) -> None:
        self.index_client.remove_datapoints(
            types.RemoveDatapointsRequest(index=self.index, datapoint_ids=list(ids))
        )

    def find(
        self,
        vector: Sequence[float],
        k: int = 10,
        allow: dict[str, list[str]] | None = None,
        deny: dict[str, list[str]] | None = None,
        numeric: list[tuple[str, Any, Any]] | None = None,
        per_crowd: int = 0,
        full: bool = False,
    ) -> list[Any]:
        query_point = point("", vector, allow, deny)
        query_point.numeric_restricts = [_numeric(ns, v, op) for ns, v, op in numeric or []]
        response = self.match_client.find_neighbors(
            types.FindNeighborsRequest(
                index_endpoint=self.endpoint,
                deployed_index_id=self.deployed,
                queries=[
                    types.FindNeighborsRequest.Query(
                        datapoint=query_point,
                        neighbor_count=k,
                        per_crowding_attribute_neighbor_count=per_crowd,
                    )
                ],
                return_full_datapoint=full,
            )
        )
        return list(response.nearest_neighbors[0].neighbors)

    def ids(self, *args: Any, **kwargs: Any) -> list[str]:
        return [n.datapoint.datapoint_id for n in self.find(*args, **kwargs)]


@pytest.fixture
def make_index(
    vs_clients: tuple[Any, Any], declare: Callable[..., tuple[str, str, str]]
) -> Callable[..., Index]:
    return lambda **kwargs: Index(vs_clients, declare(**kwargs))


@pytest.fixture
def index(make_index: Callable[..., Index]) -> Index:
    return make_index()


def test_get_index_reports_config_and_vector_count(index: Index) -> None:
    index.upsert(point("a", [1, 0, 0, 0]), point("b", [0, 1, 0, 0]))

    got = index.index_client.get_index(name=index.index)

    assert got.index_update_method == types.Index.IndexUpdateMethod.STREAM_UPDATE
    assert got.metadata["config"]["dimensions"] == 4
    assert got.metadata["config"]["distanceMeasureType"] == "DOT_PRODUCT_DISTANCE"
    assert got.index_stats.vectors_count == 2
    assert got.deployed_indexes[0].deployed_index_id == index.deployed


def test_dot_product_neighbors_are_sorted_by_descending_similarity(index: Index) -> None:
    index.upsert(
        point("far", [0, 0, 1, 0]), point("near", [0.9, 0.1, 0, 0]), point("mid", [0.5, 0.5, 0, 0])
    )

    neighbors = index.find([1, 0, 0, 0], k=2)

    assert [n.datapoint.datapoint_id for n in neighbors] == ["near", "mid"]
    assert neighbors[0].distance == pytest.approx(0.9)
    assert neighbors[1].distance == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("distance", "expected"),
    [
        ("COSINE_DISTANCE", [("a", 1.0), ("b", 0.6)]),
        ("SQUARED_L2_DISTANCE", [("b", 0.8), ("a", 9.0)]),
        ("L1_DISTANCE", [("b", 1.2), ("a", 3.0)]),
    ],
)
def test_other_distance_measures(
    make_index: Callable[..., Index], distance: str, expected: list[tuple[str, float]]
) -> None:
    index = make_index(distance=distance)
    index.upsert(point("a", [4, 0, 0, 0]), point("b", [0.6, 0.8, 0, 0]))

    neighbors = index.find([1, 0, 0, 0], k=2)

    assert [(n.datapoint.datapoint_id, n.distance) for n in neighbors] == [
        (i, pytest.approx(d)) for i, d in expected
    ]


def test_unit_l2_norm_normalises_vectors(make_index: Callable[..., Index]) -> None:
    index = make_index(norm="UNIT_L2_NORM")
    index.upsert(point("long", [10, 0, 0, 0]), point("short", [0.6, 0.8, 0, 0]))

    neighbors = index.find([2, 0, 0, 0], k=2)

    assert [(n.datapoint.datapoint_id, round(n.distance, 4)) for n in neighbors] == [
        ("long", 1.0),
        ("short", 0.6),
    ]


def test_allow_lists_and_across_namespaces_or_within(index: Index) -> None:
    index.upsert(
        point("red-square", [1, 0, 0, 0], {"color": ["red"], "shape": ["square"]}),
        point("blue-square", [1, 0, 0, 0], {"color": ["blue"], "shape": ["square"]}),
        point("red-circle", [1, 0, 0, 0], {"color": ["red"], "shape": ["circle"]}),
        point("green-square", [1, 0, 0, 0], {"color": ["green"], "shape": ["square"]}),
        point("no-color", [1, 0, 0, 0], {"shape": ["square"]}),
    )

    either_color_square = index.ids(
        [1, 0, 0, 0], allow={"color": ["red", "blue"], "shape": ["square"]}
    )
    red_anything = index.ids([1, 0, 0, 0], allow={"color": ["red"]})

    assert sorted(either_color_square) == ["blue-square", "red-square"]
    assert sorted(red_anything) == ["red-circle", "red-square"]


def test_query_deny_lists_exclude_and_deny_only_matches_the_rest(index: Index) -> None:
    index.upsert(
        point("red", [1, 0, 0, 0], {"color": ["red"]}),
        point("red-blue", [1, 0, 0, 0], {"color": ["red", "blue"]}),
        point("blue", [1, 0, 0, 0], {"color": ["blue"]}),
        point("none", [1, 0, 0, 0]),
    )

    red_not_blue = index.ids([1, 0, 0, 0], allow={"color": ["red"]}, deny={"color": ["blue"]})
    not_blue = index.ids([1, 0, 0, 0], deny={"color": ["blue"]})

    assert red_not_blue == ["red"]
    assert sorted(not_blue) == ["none", "red"]


def test_datapoint_deny_lists_exclude_queries_that_ask_for_the_token(index: Index) -> None:
    index.upsert(point("red-not-blue", [1, 0, 0, 0], {"color": ["red"]}, deny={"color": ["blue"]}))

    assert index.ids([1, 0, 0, 0], allow={"color": ["red"]}) == ["red-not-blue"]
    assert index.ids([1, 0, 0, 0], allow={"color": ["blue", "red"]}) == []


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (Op.LESS, ["t1"]),
        (Op.LESS_EQUAL, ["t1", "t2"]),
        (Op.EQUAL, ["t2"]),
        (Op.GREATER_EQUAL, ["t2", "t3"]),
        (Op.GREATER, ["t3"]),
        (Op.NOT_EQUAL, ["t1", "t3"]),
    ],
)
def test_numeric_restricts_compare_datapoint_value_to_query_value(
    index: Index, op: Any, expected: list[str]
) -> None:
    index.upsert(
        point("t1", [1, 0, 0, 0], numeric={"created_at": 100}),
        point("t2", [1, 0, 0, 0], numeric={"created_at": 200}),
        point("t3", [1, 0, 0, 0], numeric={"created_at": 300}),
        point("untimed", [1, 0, 0, 0]),
    )

    assert sorted(index.ids([1, 0, 0, 0], numeric=[("created_at", 200, op)])) == expected


def test_numeric_restricts_need_the_same_value_type(index: Index) -> None:
    index.upsert(point("double", [1, 0, 0, 0], numeric={"score": 0.5}))

    assert index.ids([1, 0, 0, 0], numeric=[("score", 0.25, Op.GREATER)]) == ["double"]
    assert index.ids([1, 0, 0, 0], numeric=[("score", 0, Op.GREATER)]) == []


def test_restricts_and_numeric_restricts_combine(index: Index) -> None:
    index.upsert(
        point("mine-old", [1, 0, 0, 0], {"user": ["u1"]}, numeric={"t": 1}),
        point("mine-new", [1, 0, 0, 0], {"user": ["u1"]}, numeric={"t": 5}),
        point("theirs-new", [1, 0, 0, 0], {"user": ["u2"]}, numeric={"t": 5}),
    )

    found = index.ids([1, 0, 0, 0], allow={"user": ["u1"]}, numeric=[("t", 3, Op.GREATER)])

    assert found == ["mine-new"]


def test_upsert_of_an_existing_id_replaces_it(index: Index) -> None:
    index.upsert(point("m", [1, 0, 0, 0], {"session": ["s1"]}))
    index.upsert(point("m", [0, 1, 0, 0], {"session": ["s2"]}))

    [neighbor] = index.find([0, 1, 0, 0], full=True)

    assert neighbor.datapoint.datapoint_id == "m"
    assert list(neighbor.datapoint.feature_vector) == [0, 1, 0, 0]
    assert index.ids([0, 1, 0, 0], allow={"session": ["s1"]}) == []
    assert index.ids([0, 1, 0, 0], allow={"session": ["s2"]}) == ["m"]
    assert index.index_client.get_index(name=index.index).index_stats.vectors_count == 1


def test_update_mask_all_restricts_keeps_the_vector(index: Index) -> None:
    index.upsert(point("m", [1, 0, 0, 0], {"role": ["user"]}, numeric={"t": 1}))

    index.upsert(
        point("m", [0, 0, 0, 1], {"role": ["model"]}, numeric={"t": 2}), mask=["all_restricts"]
    )

    [neighbor] = index.find([1, 0, 0, 0], allow={"role": ["model"]}, full=True)
    assert list(neighbor.datapoint.feature_vector) == [1, 0, 0, 0]
    assert neighbor.datapoint.numeric_restricts[0].value_int == 2


def test_remove_deletes_datapoints_and_ignores_unknown_ids(index: Index) -> None:
    index.upsert(*(point(f"m{i}", [1, i, 0, 0], {"session": [f"s{i % 2}"]}) for i in range(5)))

    index.remove("m0", "m3", "never-there")

    assert sorted(index.ids([1, 0, 0, 0])) == ["m1", "m2", "m4"]
    assert sorted(index.ids([1, 0, 0, 0], allow={"session": ["s0"]})) == ["m2", "m4"]
    assert index.ids([1, 0, 0, 0], allow={"session": ["s1"]}) == ["m1"]


def test_full_datapoint_only_when_asked(index: Index) -> None:
    index.upsert(point("m", [1, 0, 0, 0], {"tenant": ["t"]}, numeric={"n": 3}, crowding="s1"))

    [short] = index.find([1, 0, 0, 0])
    [full] = index.find([1, 0, 0, 0], full=True)

    assert short.datapoint.datapoint_id == "m" and not short.datapoint.feature_vector
    assert not short.datapoint.restricts
    assert list(full.datapoint.feature_vector) == [1, 0, 0, 0]
    assert full.datapoint.restricts[0].allow_list == ["t"]
    assert full.datapoint.crowding_tag.crowding_attribute == "s1"


def test_crowding_caps_results_per_attribute(index: Index) -> None:
    index.upsert(
        point("s1-a", [1, 0, 0, 0], crowding="s1"),
        point("s1-b", [0.9, 0, 0, 0], crowding="s1"),
        point("s1-c", [0.8, 0, 0, 0], crowding="s1"),
        point("s2-a", [0.7, 0, 0, 0], crowding="s2"),
    )

    assert index.ids([1, 0, 0, 0], k=3, per_crowd=1) == ["s1-a", "s2-a"]
    assert index.ids([1, 0, 0, 0], k=3, per_crowd=2) == ["s1-a", "s1-b", "s2-a"]


def test_read_index_datapoints_returns_stored_points(index: Index) -> None:
    index.upsert(point("a", [1, 0, 0, 0], {"user": ["u"]}))

    response = index.match_client.read_index_datapoints(
        types.ReadIndexDatapointsRequest(
            index_endpoint=index.endpoint, deployed_index_id=index.deployed, ids=["a", "missing"]
        )
    )

    assert [d.datapoint_id for d in response.datapoints] == ["a"]
    assert list(response.datapoints[0].feature_vector) == [1, 0, 0, 0]


def test_dimension_mismatch_is_invalid_argument_and_writes_nothing(index: Index) -> None:
    with pytest.raises(exceptions.BadRequest, match="Expected 4, got 3"):
        index.upsert(point("ok", [1, 0, 0, 0]), point("short", [1, 0, 0]))

    assert index.ids([1, 0, 0, 0]) == []
    with pytest.raises(exceptions.BadRequest):
        index.find([1, 0, 0])


def test_batch_update_index_refuses_streaming_upserts(make_index: Callable[..., Index]) -> None:
    index = make_index(update_method="BATCH_UPDATE")

    with pytest.raises(exceptions.BadRequest, match="StreamUpdate is not enabled"):
        index.upsert(point("a", [1, 0, 0, 0]))


def test_unknown_index_and_deployed_index_are_not_found(index: Index) -> None:
    with pytest.raises(exceptions.NotFound):
        index.index_client.get_index(name=index.index + "x")
    with pytest.raises(exceptions.NotFound):
        index.index_client.upsert_datapoints(
            types.UpsertDatapointsRequest(index=index.index + "x", datapoints=[point("a", [1] * 4)])
        )
    index.deployed = "other_deployment"
    with pytest.raises(exceptions.NotFound):
        index.find([1, 0, 0, 0])


def test_injected_vector_faults(index: Index, admin: Any) -> None:
    admin("faults", {"count": 1, "code": 503, "scope": "vector"})

    with pytest.raises(exceptions.ServiceUnavailable):
        index.upsert(point("a", [1, 0, 0, 0]))
    index.upsert(point("a", [1, 0, 0, 0]))


def test_unknown_json_fields_are_rejected(index: Index, vertex_url: str) -> None:
    response = requests.post(
        f"{vertex_url}/v1/{index.index}:upsertDatapoints",
        json={"datapoints": [{"datapointId": "a", "featureVector": [1, 0, 0, 0], "bogus": 1}]},
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_embeddings_and_vector_search_together(
    genai_client: Any, make_index: Callable[..., Index]
) -> None:
    from google.genai import types as genai_types

    index = make_index(dims=384)
    docs = {
        "pw": "To reset your password, open settings and choose 'forgot password'.",
        "cake": "Bake the cake for forty minutes at 180 degrees.",
        "tide": "Tides are caused mainly by the gravitational pull of the Moon.",
    }
    response = genai_client.models.embed_content(
        model="text-embedding-005",
        contents=list(docs.values()),
        config=genai_types.EmbedContentConfig(task_type="RETRIEVAL_DOCUMENT"),
    )
    index.upsert(*(point(i, e.values) for i, e in zip(docs, response.embeddings, strict=True)))
    [query] = genai_client.models.embed_content(
        model="text-embedding-005",
        contents=["how do I change my login password?"],
        config=genai_types.EmbedContentConfig(task_type="RETRIEVAL_QUERY"),
    ).embeddings

    assert index.ids(query.values, k=1) == ["pw"]


def test_embedding_metadata_round_trips_untouched(index: Index) -> None:
    metadata = {"model": "text-embedding-005", "featureVector": [9, 9]}
    index.upsert(
        types.IndexDatapoint(
            datapoint_id="m", feature_vector=[1, 0, 0, 0], embedding_metadata=metadata
        )
    )

    [neighbor] = index.find([1, 0, 0, 0], full=True)

    assert dict(neighbor.datapoint.embedding_metadata) == {
        "model": "text-embedding-005",
        "featureVector": [9, 9],
    }
    assert list(neighbor.datapoint.feature_vector) == [1, 0, 0, 0]


def test_non_numeric_vectors_are_invalid(index: Index, vertex_url: str) -> None:
    response = requests.post(
        f"{vertex_url}/v1/{index.index}:upsertDatapoints",
        json={"datapoints": [{"datapointId": "a", "featureVector": [1, "x", 0, 0]}]},
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json()["error"]["status"] == "INVALID_ARGUMENT"
