"""The Vector Search REST routes: aiplatform_v1's HTTP rules mapped to the state's methods.

Each route is (verb, path pattern, RPC name, request body message or None, call). The REST
transports move path parameters out of the body (`index`, `index_endpoint`), so calls take
them from the URL match.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.cloud.aiplatform_v1.types import index_endpoint_service

from emulators.vertex import vector_admin
from emulators.vertex import vector_search as vs

_LOCATION = r"projects/[^/]+/locations/[^/]+"
_INDEX = rf"{_LOCATION}/indexes/[^/:]+"
_ENDPOINT = rf"{_LOCATION}/indexEndpoints/[^/:]+"

Call = Callable[[vs.VectorSearch, vector_admin.Operations, "re.Match[str]", Any], Any]


@dataclass(frozen=True)
class Route:
    verb: str
    pattern: re.Pattern[str]
    rpc: str
    body: Any
    call: Call


def _with(request: Any, field: str, value: str) -> Any:
    setattr(request, field, value)
    return request


def _list_indexes(state: vs.VectorSearch, parent: str) -> Any:
    response = vs.ListIndexesResponse()
    response.indexes.extend(state.list_indexes(parent))
    return response


def _route(verb: str, pattern: str, rpc: str, body: Any, call: Call) -> Route:
    return Route(verb, re.compile(f"^/v1/{pattern}$"), rpc, body, call)


ROUTES: tuple[Route, ...] = (
    _route(
        "POST",
        rf"(?P<name>{_INDEX}):upsertDatapoints",
        "upsertDatapoints",
        vs.UpsertDatapointsRequest,
        lambda state, ops, m, req: state.upsert_datapoints(_with(req, "index", m["name"])),
    ),
    _route(
        "POST",
        rf"(?P<name>{_INDEX}):removeDatapoints",
        "removeDatapoints",
        vs.RemoveDatapointsRequest,
        lambda state, ops, m, req: state.remove_datapoints(_with(req, "index", m["name"])),
    ),
    _route(
        "POST",
        rf"(?P<name>{_ENDPOINT}):findNeighbors",
        "findNeighbors",
        vs.FindNeighborsRequest,
        lambda state, ops, m, req: state.find_neighbors(_with(req, "index_endpoint", m["name"])),
    ),
    _route(
        "POST",
        rf"(?P<name>{_ENDPOINT}):readIndexDatapoints",
        "readIndexDatapoints",
        vs.ReadIndexDatapointsRequest,
        lambda state, ops, m, req: state.read_index_datapoints(
            _with(req, "index_endpoint", m["name"])
        ),
    ),
    _route(
        "GET",
        rf"(?P<name>{_INDEX})",
        "getIndex",
        None,
        lambda state, ops, m, req: state.get_index(m["name"]),
    ),
    _route(
        "GET",
        rf"(?P<parent>{_LOCATION})/indexes",
        "listIndexes",
        None,
        lambda state, ops, m, req: _list_indexes(state, m["parent"]),
    ),
    _route(
        "POST",
        rf"(?P<parent>{_LOCATION})/indexes",
        "createIndex",
        vs.Index,
        lambda state, ops, m, req: vector_admin.create_index(state, ops, m["parent"], req),
    ),
    _route(
        "DELETE",
        rf"(?P<name>{_INDEX})",
        "deleteIndex",
        None,
        lambda state, ops, m, req: vector_admin.delete_index(state, ops, m["name"]),
    ),
    _route(
        "GET",
        rf"(?P<name>{_ENDPOINT})",
        "getIndexEndpoint",
        None,
        lambda state, ops, m, req: state.get_endpoint(m["name"]),
    ),
    _route(
        "POST",
        rf"(?P<parent>{_LOCATION})/indexEndpoints",
        "createIndexEndpoint",
        vs.IndexEndpoint,
        lambda state, ops, m, req: vector_admin.create_endpoint(state, ops, m["parent"], req),
    ),
    _route(
        "DELETE",
        rf"(?P<name>{_ENDPOINT})",
        "deleteIndexEndpoint",
        None,
        lambda state, ops, m, req: vector_admin.delete_endpoint(state, ops, m["name"]),
    ),
    _route(
        "POST",
        rf"(?P<name>{_ENDPOINT}):deployIndex",
        "deployIndex",
        index_endpoint_service.DeployIndexRequest.pb(),
        lambda state, ops, m, req: vector_admin.deploy_index(
            state, ops, m["name"], req.deployed_index
        ),
    ),
    _route(
        "POST",
        rf"(?P<name>{_ENDPOINT}):undeployIndex",
        "undeployIndex",
        index_endpoint_service.UndeployIndexRequest.pb(),
        lambda state, ops, m, req: vector_admin.undeploy_index(
            state, ops, m["name"], req.deployed_index_id
        ),
    ),
    _route(
        "GET",
        rf"(?P<name>{_LOCATION}/(?:indexes|indexEndpoints)/[^/:]+/operations/[^/:]+)",
        "getOperation",
        None,
        lambda state, ops, m, req: ops.get(m["name"]),
    ),
)
