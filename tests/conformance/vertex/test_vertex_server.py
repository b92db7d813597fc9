"""The in-process `Server`, start-up configuration (flags, JSON file) and the admin hooks."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud.aiplatform_v1 import (
    IndexEndpointServiceClient,
    IndexServiceClient,
    MatchServiceClient,
    types,
)

from emulators.vertex.__main__ import build_config, parse_deploy_flag, parse_index_flag
from emulators.vertex.server import Server

PARENT = "projects/demo/locations/us-central1"
FROM_FLAG = f"{PARENT}/indexes/from-flag"
FROM_FILE = f"{PARENT}/indexes/from-file"
ENDPOINT = f"{PARENT}/indexEndpoints/memory"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    config_file = tmp_path / "vertex.json"
    config_file.write_text(
        json.dumps(
            {
                "indexes": [
                    {
                        "name": FROM_FILE,
                        "metadata": {"config": {"dimensions": 2}},
                        "indexUpdateMethod": "BATCH_UPDATE",
                    }
                ]
            }
        )
    )
    config = build_config(
        config_file,
        [parse_index_flag(f"{FROM_FLAG}=3,SQUARED_L2_DISTANCE")],
        [parse_deploy_flag(f"{ENDPOINT},memory_v1,{FROM_FLAG}")],
    )
    with Server(port=0, config=config, preload_model=False) as running:
        yield running


def clients(server: Server) -> tuple[Any, ...]:
    options = {"api_endpoint": server.base_url}
    return tuple(
        cls(transport="rest", client_options=options, credentials=AnonymousCredentials())
        for cls in (IndexServiceClient, MatchServiceClient, IndexEndpointServiceClient)
    )


def find(match: Any) -> list[str]:
    response = match.find_neighbors(
        types.FindNeighborsRequest(
            index_endpoint=ENDPOINT,
            deployed_index_id="memory_v1",
            queries=[{"datapoint": {"feature_vector": [0, 0, 0]}, "neighbor_count": 5}],
        )
    )
    return [n.datapoint.datapoint_id for n in response.nearest_neighbors[0].neighbors]


def test_flags_and_config_file_declare_indexes_and_endpoints(server: Server) -> None:
    index, _, endpoints = clients(server)

    from_flag = index.get_index(name=FROM_FLAG)
    from_file = index.get_index(name=FROM_FILE)
    endpoint = endpoints.get_index_endpoint(name=ENDPOINT)
    listed = [i.name for i in index.list_indexes(parent=PARENT)]

    assert from_flag.metadata["config"]["distanceMeasureType"] == "SQUARED_L2_DISTANCE"
    assert from_flag.metadata["config"]["dimensions"] == 3
    assert from_file.index_update_method == types.Index.IndexUpdateMethod.BATCH_UPDATE
    assert [(d.id, d.index) for d in endpoint.deployed_indexes] == [("memory_v1", FROM_FLAG)]
    assert listed == [FROM_FILE, FROM_FLAG]


def test_bad_flags_are_refused() -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        parse_index_flag(f"{FROM_FLAG}=many")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_deploy_flag(f"{ENDPOINT},memory_v1")


def test_reset_empties_indexes_but_keeps_the_declared_ones(server: Server) -> None:
    index, match, _ = clients(server)
    index.upsert_datapoints(
        types.UpsertDatapointsRequest(
            index=FROM_FLAG, datapoints=[{"datapoint_id": "a", "feature_vector": [1, 2, 3]}]
        )
    )
    assert find(match) == ["a"]
    server.fail_next(5, 503, scope="vector")

    server.reset()

    assert find(match) == []
    assert server.stats() == {"findNeighbors": 1}


def test_fail_next_and_stats_in_process(server: Server) -> None:
    _, match, _ = clients(server)
    server.fail_next(1, 429, scope="vector")

    with pytest.raises(exceptions.TooManyRequests):
        find(match)
    find(match)

    assert server.stats() == {"findNeighbors": 2}


def test_admin_routes_validate_their_input(server: Server) -> None:
    bad_code = requests.post(
        f"{server.base_url}/emulator/v1/faults", json={"count": 1, "code": 418}, timeout=5
    )
    bad_scope = requests.post(
        f"{server.base_url}/emulator/v1/latency", json={"seconds": 1, "scope": "nope"}, timeout=5
    )
    stats = requests.get(f"{server.base_url}/emulator/v1/stats", timeout=5)

    assert bad_code.status_code == bad_scope.status_code == 400
    assert bad_code.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert stats.json() == {"calls": {}}


def test_config_route_refuses_duplicates_and_declares_nothing(server: Server) -> None:
    index, _, _ = clients(server)
    fresh = f"{PARENT}/indexes/fresh"

    response = requests.post(
        f"{server.base_url}/emulator/v1/config",
        json={"indexes": [{"name": fresh, "dimensions": 3}, {"name": FROM_FLAG, "dimensions": 3}]},
        timeout=5,
    )

    assert response.status_code == 409
    assert response.json()["error"]["status"] == "ALREADY_EXISTS"
    with pytest.raises(exceptions.NotFound):
        index.get_index(name=fresh)


def test_resources_through_long_running_operations(server: Server) -> None:
    index, match, endpoints = clients(server)

    created = index.create_index(
        parent=PARENT,
        index={
            "display_name": "memory",
            "metadata": {"config": {"dimensions": 2, "distanceMeasureType": "COSINE_DISTANCE"}},
            "index_update_method": "STREAM_UPDATE",
        },
    ).result(timeout=5)
    endpoint = endpoints.create_index_endpoint(
        parent=PARENT, index_endpoint={"display_name": "memory", "public_endpoint_enabled": True}
    ).result(timeout=5)
    deployed = endpoints.deploy_index(
        index_endpoint=endpoint.name, deployed_index={"id": "memory_v2", "index": created.name}
    ).result(timeout=5)
    index.upsert_datapoints(
        types.UpsertDatapointsRequest(
            index=created.name, datapoints=[{"datapoint_id": "a", "feature_vector": [3, 4]}]
        )
    )
    found = match.find_neighbors(
        types.FindNeighborsRequest(
            index_endpoint=endpoint.name,
            deployed_index_id="memory_v2",
            queries=[{"datapoint": {"feature_vector": [1, 0]}}],
        )
    )

    assert created.name.startswith(f"{PARENT}/indexes/")
    assert created.metadata["config"]["distanceMeasureType"] == "COSINE_DISTANCE"
    assert deployed.deployed_index.id == "memory_v2"
    assert found.nearest_neighbors[0].neighbors[0].distance == pytest.approx(0.6)
    with pytest.raises(exceptions.BadRequest, match="undeploy"):
        index.delete_index(name=created.name).result(timeout=5)
    endpoints.undeploy_index(index_endpoint=endpoint.name, deployed_index_id="memory_v2").result(
        timeout=5
    )
    index.delete_index(name=created.name).result(timeout=5)
    endpoints.delete_index_endpoint(name=endpoint.name).result(timeout=5)
    with pytest.raises(exceptions.NotFound):
        index.get_index(name=created.name)


def test_created_index_defaults_to_batch_updates_like_vertex(server: Server) -> None:
    index, _, _ = clients(server)
    created = index.create_index(
        parent=PARENT, index={"display_name": "batch", "metadata": {"config": {"dimensions": 2}}}
    ).result(timeout=5)

    with pytest.raises(exceptions.BadRequest, match="StreamUpdate is not enabled"):
        index.upsert_datapoints(
            types.UpsertDatapointsRequest(
                index=created.name, datapoints=[{"datapoint_id": "a", "feature_vector": [1, 0]}]
            )
        )


def test_unwritten_vertex_rpcs_are_unimplemented(server: Server) -> None:
    _, _, endpoints = clients(server)

    with pytest.raises(exceptions.MethodNotImplemented):
        endpoints.list_index_endpoints(parent=PARENT)


def test_a_fault_without_count_lasts_until_cleared(server: Server) -> None:
    _, match, _ = clients(server)
    requests.post(
        f"{server.base_url}/emulator/v1/faults",
        json={"count": None, "code": 503, "scope": "vector"},
        timeout=5,
    ).raise_for_status()

    for _ in range(3):
        with pytest.raises(exceptions.ServiceUnavailable):
            find(match)
    requests.delete(f"{server.base_url}/emulator/v1/faults", timeout=5).raise_for_status()

    assert find(match) == []
