"""Vector Search resource RPCs that are long-running operations on Vertex AI.

CreateIndex, DeleteIndex, CreateIndexEndpoint, DeleteIndexEndpoint, DeployIndex and
UndeployIndex take minutes to an hour on Vertex; here they finish at once and answer an
Operation that is already `done` with its `response`, so `operation.result()` in the client
returns without polling. The operations are kept for GetOperation. Like Vertex, a new index
without `indexUpdateMethod` is BATCH_UPDATE (streaming upserts then fail): set STREAM_UPDATE.
"""

from __future__ import annotations

import itertools
from typing import Any

from google.cloud.aiplatform_v1.types import index_endpoint_service
from google.longrunning import operations_pb2
from google.protobuf import empty_pb2, json_format

from emulators.vertex.errors import failed_precondition, invalid, not_found
from emulators.vertex.vector_search import (
    DeployedIndex,
    Index,
    IndexConfig,
    VectorSearch,
)

DeployIndexResponse = index_endpoint_service.DeployIndexResponse.pb()
UndeployIndexResponse = index_endpoint_service.UndeployIndexResponse.pb()


class Operations:
    """Finished operations by name, and the ids new resources get (numeric, like Vertex's)."""

    def __init__(self) -> None:
        self._ids = itertools.count(1_000_000_001)
        self._done: dict[str, Any] = {}

    def new_id(self) -> str:
        return str(next(self._ids))

    def finish(self, resource: str, response: Any) -> Any:
        operation = operations_pb2.Operation(
            name=f"{resource}/operations/{self.new_id()}", done=True
        )
        operation.response.Pack(response)
        self._done[operation.name] = operation
        return operation

    def get(self, name: str) -> Any:
        operation = self._done.get(name)
        if operation is None:
            raise not_found(f"Operation `{name}` is not found.")
        return operation


def create_index(state: VectorSearch, ops: Operations, parent: str, index: Any) -> Any:
    if not index.display_name:
        raise invalid("index.display_name is required")
    metadata = json_format.MessageToDict(index.metadata) if index.HasField("metadata") else {}
    config = (metadata or {}).get("config") if isinstance(metadata, dict) else None
    if not isinstance(config, dict) or "dimensions" not in config:
        raise invalid("index.metadata.config.dimensions is required")
    method = Index.IndexUpdateMethod.Name(index.index_update_method)
    name = f"{parent}/indexes/{ops.new_id()}"
    state.create_index(
        IndexConfig(
            name=name,
            dimensions=_whole(config["dimensions"], "dimensions"),
            distance=config.get("distanceMeasureType", "DOT_PRODUCT_DISTANCE"),
            feature_norm=config.get("featureNormType", "NONE"),
            update_method="BATCH_UPDATE" if method == "INDEX_UPDATE_METHOD_UNSPECIFIED" else method,
            display_name=index.display_name,
        )
    )
    return ops.finish(name, state.get_index(name))


def delete_index(state: VectorSearch, ops: Operations, name: str) -> Any:
    message = state.get_index(name)
    if message.deployed_indexes:
        raise failed_precondition(
            f"Index {name} is deployed to an IndexEndpoint; undeploy it before deleting it."
        )
    del state.indexes[name]
    return ops.finish(name, empty_pb2.Empty())


def create_endpoint(state: VectorSearch, ops: Operations, parent: str, endpoint: Any) -> Any:
    if not endpoint.display_name:
        raise invalid("index_endpoint.display_name is required")
    name = f"{parent}/indexEndpoints/{ops.new_id()}"
    state.create_endpoint(name, endpoint.display_name)
    return ops.finish(name, state.get_endpoint(name))


def delete_endpoint(state: VectorSearch, ops: Operations, name: str) -> Any:
    if state.get_endpoint(name).deployed_indexes:
        raise failed_precondition(f"IndexEndpoint {name} still has deployed indexes.")
    del state.endpoints[name]
    return ops.finish(name, empty_pb2.Empty())


def deploy_index(state: VectorSearch, ops: Operations, endpoint: str, deployed: Any) -> Any:
    state.deploy(endpoint, deployed.id, deployed.index)
    answer = DeployedIndex()
    answer.CopyFrom(deployed)
    return ops.finish(endpoint, DeployIndexResponse(deployed_index=answer))


def undeploy_index(state: VectorSearch, ops: Operations, endpoint: str, deployed_id: str) -> Any:
    deployed = state.get_endpoint(endpoint)
    if deployed_id not in {d.id for d in deployed.deployed_indexes}:
        raise not_found(f"DeployedIndex `{deployed_id}` is not found on `{endpoint}`.")
    del state.endpoints[endpoint].deployed[deployed_id]
    return ops.finish(endpoint, UndeployIndexResponse())


def _whole(value: Any, what: str) -> int:
    if not isinstance(value, int | float) or int(value) != value:
        raise invalid(f"{what} must be an integer")
    return int(value)
