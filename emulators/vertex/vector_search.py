"""Vector Search (1.0) state and semantics: indexes, endpoints, datapoints, exact search.

No HTTP and no locking here: `server.py` owns the lock and the wire format. Messages are the
raw protobuf classes of `google.cloud.aiplatform_v1`, so the JSON mapping is the client's own.

Semantics, from Vertex AI's "Filter vector matches" page and the API reference:
- Token restricts: AND across the query's namespaces, OR within one. A datapoint matches a
  query namespace with allow tokens if it has at least one of them; a datapoint that lacks the
  namespace does not match it. A query deny token excludes every datapoint that has that token;
  a datapoint's deny token excludes it from queries that allow that token. A query namespace
  with only deny tokens matches everything not denied.
- Numeric restricts: every query restrict must hold. The datapoint must carry a value of the
  same type (value_int, value_float or value_double) in that namespace, and
  `datapoint_value OP query_value` must be true (LESS means the datapoint's value is less than
  the query's). A datapoint without the namespace never matches, not even NOT_EQUAL.
- `distance` as Vector Search reports it: DOT_PRODUCT_DISTANCE and COSINE_DISTANCE report the
  similarity (dot product, cosine), larger is closer, so results are in descending order;
  SQUARED_L2_DISTANCE and L1_DISTANCE report the distance, smaller is closer.
- `per_crowding_attribute_neighbor_count` caps results sharing one crowding attribute;
  datapoints without one are not capped.

The search is exact (brute force over a numpy matrix per index), so results equal what an
approximate index returns at perfect recall.
"""

from __future__ import annotations

import copy
import operator
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from google.cloud.aiplatform_v1.types import index as index_types
from google.cloud.aiplatform_v1.types import index_endpoint as endpoint_types
from google.cloud.aiplatform_v1.types import index_service, match_service
from google.protobuf import json_format, struct_pb2, timestamp_pb2

from emulators.vertex.errors import already_exists, failed_precondition, invalid, not_found

IndexDatapoint = index_types.IndexDatapoint.pb()
Index = index_types.Index.pb()
IndexEndpoint = endpoint_types.IndexEndpoint.pb()
DeployedIndex = endpoint_types.DeployedIndex.pb()
FindNeighborsRequest = match_service.FindNeighborsRequest.pb()
FindNeighborsResponse = match_service.FindNeighborsResponse.pb()
ReadIndexDatapointsRequest = match_service.ReadIndexDatapointsRequest.pb()
ReadIndexDatapointsResponse = match_service.ReadIndexDatapointsResponse.pb()
UpsertDatapointsRequest = index_service.UpsertDatapointsRequest.pb()
UpsertDatapointsResponse = index_service.UpsertDatapointsResponse.pb()
RemoveDatapointsRequest = index_service.RemoveDatapointsRequest.pb()
RemoveDatapointsResponse = index_service.RemoveDatapointsResponse.pb()
ListIndexesResponse = index_service.ListIndexesResponse.pb()

DISTANCES = ("DOT_PRODUCT_DISTANCE", "COSINE_DISTANCE", "SQUARED_L2_DISTANCE", "L1_DISTANCE")
_SIMILARITIES = ("DOT_PRODUCT_DISTANCE", "COSINE_DISTANCE")
FEATURE_NORMS = ("NONE", "UNIT_L2_NORM")
UPDATE_METHODS = ("STREAM_UPDATE", "BATCH_UPDATE")
UPDATABLE_FIELDS = ("all_restricts", "embedding_metadata", "restricts", "numeric_restricts")
INDEX_NAME = re.compile(r"^projects/[^/]+/locations/[^/]+/indexes/[^/]+$")
ENDPOINT_NAME = re.compile(r"^projects/[^/]+/locations/[^/]+/indexEndpoints/[^/]+$")
DEPLOYED_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
METADATA_SCHEMA = (
    "gs://google-cloud-aiplatform/schema/matchingengine/metadata/nearest_neighbor_search_1.0.0.yaml"
)
_DEFAULT_NEIGHBORS = 10

_Op = IndexDatapoint.NumericRestriction.Operator
_OPS: dict[int, Callable[[Any, Any], Any]] = {
    _Op.LESS: operator.lt,
    _Op.LESS_EQUAL: operator.le,
    _Op.EQUAL: operator.eq,
    _Op.GREATER_EQUAL: operator.ge,
    _Op.GREATER: operator.gt,
    _Op.NOT_EQUAL: operator.ne,
}


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromNanoseconds(time.time_ns())
    return stamp


@dataclass(frozen=True)
class IndexConfig:
    """What Terraform's google_vertex_ai_index declares, as far as search behaviour goes."""

    name: str
    dimensions: int
    distance: str = "DOT_PRODUCT_DISTANCE"
    feature_norm: str = "NONE"
    update_method: str = "STREAM_UPDATE"
    display_name: str = ""

    def __post_init__(self) -> None:
        if not INDEX_NAME.match(self.name):
            raise invalid(f"index name {self.name!r} is not projects/*/locations/*/indexes/*")
        if not 1 <= self.dimensions <= 4096:
            raise invalid("dimensions must be within [1, 4096]")
        if self.distance not in DISTANCES:
            raise invalid(f"distanceMeasureType must be one of {DISTANCES}")
        if self.feature_norm not in FEATURE_NORMS:
            raise invalid(f"featureNormType must be one of {FEATURE_NORMS}")
        if self.update_method not in UPDATE_METHODS:
            raise invalid(f"indexUpdateMethod must be one of {UPDATE_METHODS}")


class _NumericColumn:
    """One (namespace, value type) column: values and presence, row-aligned with the matrix."""

    def __init__(self, dtype: type, capacity: int) -> None:
        self.values: np.ndarray[Any, np.dtype[Any]] = np.zeros(capacity, dtype=dtype)
        self.present = np.zeros(capacity, dtype=bool)

    def grow(self, capacity: int) -> None:
        values = np.zeros(capacity, dtype=self.values.dtype)
        present = np.zeros(capacity, dtype=bool)
        values[: len(self.values)] = self.values
        present[: len(self.present)] = self.present
        self.values, self.present = values, present


def _numeric_key(restrict: Any) -> tuple[str, str, Any]:
    kind = restrict.WhichOneof("Value")
    if kind is None:
        raise invalid(f"numeric restrict {restrict.namespace!r} has no value")
    return restrict.namespace, kind, getattr(restrict, kind)


def _tokens(datapoint: Any) -> Iterable[tuple[str, tuple[str, str]]]:
    for restrict in datapoint.restricts:
        for token in restrict.allow_list:
            yield "allow", (restrict.namespace, token)
        for token in restrict.deny_list:
            yield "deny", (restrict.namespace, token)


class IndexData:
    """One index's datapoints: a dense matrix plus inverted indexes for the restricts.

    Rows stay dense: removing a row moves the last row into its place.
    """

    def __init__(self, config: IndexConfig) -> None:
        self.config = config
        self.create_time = _now()
        self.update_time = self.create_time
        self.ids: list[str] = []
        self.row_of: dict[str, int] = {}
        # Datapoints without their feature vector, which lives in `matrix`.
        self.datapoints: list[Any] = []
        self.crowding: list[str] = []
        # Sparse embeddings, one {dimension: value} per row (empty when the row has none).
        self.sparse: list[dict[int, float]] = []
        self.matrix = np.zeros((16, config.dimensions), dtype=np.float32)
        self.sq_norms = np.zeros(16, dtype=np.float32)
        self.allow: dict[tuple[str, str], set[int]] = {}
        self.deny: dict[tuple[str, str], set[int]] = {}
        self.numeric: dict[tuple[str, str], _NumericColumn] = {}

    def __len__(self) -> int:
        return len(self.ids)

    # -- writes -------------------------------------------------------------------------

    def validate(self, datapoint: Any, mask: frozenset[str]) -> np.ndarray | None:
        """Refuse a bad datapoint; return its vector (None: a masked update keeps the old one)."""
        if not datapoint.datapoint_id:
            raise invalid("datapoint_id is required for every datapoint")
        _sparse(datapoint, datapoint.datapoint_id)
        vector = None
        if not mask or datapoint.datapoint_id not in self.row_of:
            if len(datapoint.feature_vector) != self.config.dimensions:
                raise invalid(
                    f"Incorrect dimensionality. Expected {self.config.dimensions}, got "
                    f"{len(datapoint.feature_vector)}. Datapoint ID: {datapoint.datapoint_id}."
                )
            # Slicing copies the repeated field in C; numpy over the container itself is slow.
            vector = np.array(datapoint.feature_vector[:], dtype=np.float32)
            if not np.all(np.isfinite(vector)):
                raise invalid(f"feature_vector of {datapoint.datapoint_id} is not finite")
            if self.config.feature_norm == "UNIT_L2_NORM":
                vector = _unit(vector)
        seen: set[str] = set()
        for restrict in datapoint.numeric_restricts:
            namespace, _, _ = _numeric_key(restrict)
            if namespace in seen:
                raise invalid(
                    f"datapoint {datapoint.datapoint_id} has more than one numeric value in "
                    f"namespace {namespace!r}"
                )
            seen.add(namespace)
        return vector

    def upsert(self, datapoint: Any, mask: frozenset[str], vector: np.ndarray | None) -> None:
        """Write a validated datapoint; `vector` is what `validate` returned for it."""
        row = self.row_of.get(datapoint.datapoint_id)
        if vector is None:
            assert row is not None  # validate() returns None only for a masked existing row
            datapoint = self._merged(self.datapoints[row], datapoint, mask)
            vector = self.matrix[row].copy()
        if row is None:
            row = len(self.ids)
            self._ensure_capacity(row + 1)
            self.ids.append(datapoint.datapoint_id)
            self.row_of[datapoint.datapoint_id] = row
            self.datapoints.append(None)
            self.crowding.append("")
            self.sparse.append({})
        else:
            self._unindex(row)
        stored = IndexDatapoint()
        stored.CopyFrom(datapoint)
        stored.ClearField("feature_vector")
        self.datapoints[row] = stored
        self.crowding[row] = stored.crowding_tag.crowding_attribute
        self.sparse[row] = _sparse(stored, stored.datapoint_id)
        self.matrix[row] = vector
        self.sq_norms[row] = float(vector @ vector)
        self._index(row)
        self.update_time = _now()

    @staticmethod
    def _merged(old: Any, new: Any, mask: frozenset[str]) -> Any:
        merged = IndexDatapoint()
        merged.CopyFrom(old)
        if mask & {"all_restricts", "restricts"}:
            merged.ClearField("restricts")
            merged.restricts.extend(new.restricts)
        if mask & {"all_restricts", "numeric_restricts"}:
            merged.ClearField("numeric_restricts")
            merged.numeric_restricts.extend(new.numeric_restricts)
        if "embedding_metadata" in mask:
            merged.ClearField("embedding_metadata")
            if new.HasField("embedding_metadata"):
                merged.embedding_metadata.CopyFrom(new.embedding_metadata)
        return merged

    def remove(self, datapoint_id: str) -> bool:
        row = self.row_of.pop(datapoint_id, None)
        if row is None:
            return False
        self._unindex(row)
        last = len(self.ids) - 1
        if row != last:
            self._unindex(last)
            self.ids[row] = self.ids[last]
            self.row_of[self.ids[row]] = row
            self.datapoints[row] = self.datapoints[last]
            self.crowding[row] = self.crowding[last]
            self.sparse[row] = self.sparse[last]
            self.matrix[row] = self.matrix[last]
            self.sq_norms[row] = self.sq_norms[last]
            self._index(row)
        self.ids.pop()
        self.datapoints.pop()
        self.crowding.pop()
        self.sparse.pop()
        self.update_time = _now()
        return True

    def _ensure_capacity(self, rows: int) -> None:
        capacity = len(self.matrix)
        if rows <= capacity:
            return
        while capacity < rows:
            capacity *= 2
        matrix = np.zeros((capacity, self.config.dimensions), dtype=np.float32)
        matrix[: len(self.matrix)] = self.matrix
        sq_norms = np.zeros(capacity, dtype=np.float32)
        sq_norms[: len(self.sq_norms)] = self.sq_norms
        self.matrix, self.sq_norms = matrix, sq_norms
        for column in self.numeric.values():
            column.grow(capacity)

    def _index(self, row: int) -> None:
        datapoint = self.datapoints[row]
        for kind, key in _tokens(datapoint):
            (self.allow if kind == "allow" else self.deny).setdefault(key, set()).add(row)
        for restrict in datapoint.numeric_restricts:
            namespace, kind, value = _numeric_key(restrict)
            column = self.numeric.get((namespace, kind))
            if column is None:
                dtype = np.int64 if kind == "value_int" else np.float64
                column = self.numeric[(namespace, kind)] = _NumericColumn(dtype, len(self.matrix))
            column.values[row] = value
            column.present[row] = True

    def _unindex(self, row: int) -> None:
        datapoint = self.datapoints[row]
        for kind, key in _tokens(datapoint):
            table = self.allow if kind == "allow" else self.deny
            rows = table.get(key)
            if rows is not None:
                rows.discard(row)
                if not rows:
                    del table[key]
        for restrict in datapoint.numeric_restricts:
            namespace, kind, _ = _numeric_key(restrict)
            self.numeric[(namespace, kind)].present[row] = False

    # -- reads --------------------------------------------------------------------------

    def datapoint(self, row: int, full: bool) -> Any:
        if not full:
            out = IndexDatapoint(datapoint_id=self.ids[row])
            if self.crowding[row]:
                out.crowding_tag.crowding_attribute = self.crowding[row]
            return out
        out = IndexDatapoint()
        out.CopyFrom(self.datapoints[row])
        out.feature_vector.extend(self.matrix[row].tolist())
        return out

    def _filter(self, query: Any) -> np.ndarray | None:
        """Rows the query's restricts let through (None: all of them)."""
        n = len(self.ids)
        mask: np.ndarray | None = None
        allows: dict[str, set[str]] = {}
        denies: dict[str, set[str]] = {}
        for restrict in query.restricts:
            allows.setdefault(restrict.namespace, set()).update(restrict.allow_list)
            denies.setdefault(restrict.namespace, set()).update(restrict.deny_list)
        for namespace, tokens in allows.items():
            if not tokens:
                continue
            keep = np.zeros(n, dtype=bool)
            keep[_rows(self.allow, namespace, tokens)] = True
            # A datapoint denying a token the query asks for is out.
            keep[_rows(self.deny, namespace, tokens)] = False
            mask = keep if mask is None else mask & keep
        for namespace, tokens in denies.items():
            rows = _rows(self.allow, namespace, tokens)
            if len(rows):
                if mask is None:
                    mask = np.ones(n, dtype=bool)
                mask[rows] = False
        for restrict in query.numeric_restricts:
            namespace, kind, value = _numeric_key(restrict)
            compare = _OPS.get(restrict.op)
            if compare is None:
                raise invalid(f"numeric restrict {namespace!r} needs an op (LESS ... NOT_EQUAL)")
            column = self.numeric.get((namespace, kind))
            if column is None:
                keep = np.zeros(n, dtype=bool)
            else:
                keep = column.present[:n] & compare(column.values[:n], value)
            mask = keep if mask is None else mask & keep
        return mask

    def find(self, query: Any) -> list[tuple[int, float, float]]:
        """(row, distance, sparse_distance) of the query's neighbours, closest first.

        A dense query ranks by `distance`; a sparse one (no feature vector) by the dot product
        of sparse embeddings, over rows sharing a dimension with it; a hybrid one (both) fuses
        the two rankings by reciprocal rank fusion, `alpha / (60 + dense rank) + (1 - alpha) /
        (60 + sparse rank)`, and needs `rrf`. Crowding applies to the final order."""
        dense = len(query.datapoint.feature_vector) > 0
        sparse_query = _sparse(query.datapoint, "the query")
        if not dense and not sparse_query:
            raise invalid("a query needs a feature_vector, a sparse_embedding or both")
        if dense and sparse_query and not query.HasField("rrf"):
            raise invalid("a hybrid query (dense and sparse) needs rrf.alpha")
        vector = np.array(query.datapoint.feature_vector[:], dtype=np.float32)
        if dense and len(vector) != self.config.dimensions:
            raise invalid(
                f"Query dimensionality {len(vector)} does not match the index's "
                f"{self.config.dimensions}"
            )
        if query.neighbor_count < 0 or query.per_crowding_attribute_neighbor_count < 0:
            raise invalid("neighbor counts must not be negative")
        alpha = query.rrf.alpha if query.HasField("rrf") else 1.0
        if not 0.0 <= alpha <= 1.0:
            raise invalid("rrf.alpha must be between 0 and 1")
        wanted = query.neighbor_count or _DEFAULT_NEIGHBORS
        n = len(self.ids)
        if n == 0:
            return []
        mask = self._filter(query.datapoint)
        candidates = np.arange(n) if mask is None else np.flatnonzero(mask)
        if len(candidates) == 0:
            return []
        scores: np.ndarray = np.zeros(len(candidates), dtype=np.float32)
        if dense:
            if self.config.feature_norm == "UNIT_L2_NORM":
                vector = _unit(vector)
            if len(candidates) * 2 < n:
                # Filters usually leave a few rows (one user's messages): score only those.
                scores = self._scores(vector, self.matrix[candidates], self.sq_norms[candidates])
            else:
                # Copying most of the matrix would cost more than scoring all of it.
                scores = self._scores(vector, self.matrix[:n], self.sq_norms[:n])[candidates]
        sparse_scores = np.array(
            [_sparse_dot(sparse_query, self.sparse[int(r)]) for r in candidates]
            if sparse_query
            else np.zeros(len(candidates)),
            dtype=np.float64,
        )
        # Sort key: smaller is closer.
        if dense and not sparse_query:
            keys = -scores if self.config.distance in _SIMILARITIES else scores
        elif not dense:
            keep = sparse_scores > 0
            candidates, scores, sparse_scores = candidates[keep], scores[keep], sparse_scores[keep]
            keys = -sparse_scores
        else:
            keys = -_rrf(
                -scores if self.config.distance in _SIMILARITIES else scores,
                sparse_scores,
                alpha,
            )
        cap = query.per_crowding_attribute_neighbor_count
        if cap == 0 and wanted < len(candidates):
            top = np.argpartition(keys, wanted - 1)[:wanted]
            order = top[np.lexsort((candidates[top], keys[top]))]
        else:
            order = np.lexsort((candidates, keys))
        results: list[tuple[int, float, float]] = []
        per_attribute: dict[str, int] = {}
        for position in order:
            row = int(candidates[position])
            attribute = self.crowding[row]
            if cap and attribute:
                if per_attribute.get(attribute, 0) >= cap:
                    continue
                per_attribute[attribute] = per_attribute.get(attribute, 0) + 1
            results.append((row, float(scores[position]), float(sparse_scores[position])))
            if len(results) == wanted:
                break
        return results

    def _scores(self, vector: np.ndarray, matrix: np.ndarray, sq_norms: np.ndarray) -> np.ndarray:
        """The reported `distance` of each row of `matrix` to `vector`."""
        distance = self.config.distance
        if distance == "DOT_PRODUCT_DISTANCE":
            return matrix @ vector
        if distance == "COSINE_DISTANCE":
            norms = np.sqrt(sq_norms) * float(np.linalg.norm(vector))
            return (matrix @ vector) / np.maximum(norms, np.float32(1e-30))
        if distance == "SQUARED_L2_DISTANCE":
            return np.maximum(sq_norms - 2 * (matrix @ vector) + vector @ vector, 0)
        return np.abs(matrix - vector).sum(axis=1)


def _rows(table: dict[tuple[str, str], set[int]], namespace: str, tokens: Iterable[str]) -> Any:
    rows: set[int] = set()
    for token in tokens:
        rows |= table.get((namespace, token), set())
    return np.fromiter(rows, dtype=np.int64, count=len(rows))


RRF_K = 60  # Vertex does not publish its constant; 60 is the RRF paper's.


def _sparse(datapoint: Any, owner: str) -> dict[int, float]:
    """A datapoint's or query's sparse embedding as {dimension: value}; refused if malformed."""
    if not datapoint.HasField("sparse_embedding"):
        return {}
    embedding = datapoint.sparse_embedding
    if len(embedding.values) != len(embedding.dimensions):
        raise invalid(
            f"sparse_embedding of {owner} has {len(embedding.values)} values for "
            f"{len(embedding.dimensions)} dimensions"
        )
    pairs = dict(zip(embedding.dimensions, embedding.values, strict=True))
    if len(pairs) != len(embedding.dimensions):
        raise invalid(f"sparse_embedding of {owner} repeats a dimension")
    if not all(np.isfinite(v) for v in pairs.values()):
        raise invalid(f"sparse_embedding of {owner} is not finite")
    return {int(d): float(v) for d, v in pairs.items()}


def _sparse_dot(query: dict[int, float], row: dict[int, float]) -> float:
    if len(row) < len(query):
        return sum(v * query[d] for d, v in row.items() if d in query)
    return sum(v * row[d] for d, v in query.items() if d in row)


def _rrf(dense_keys: np.ndarray, sparse_scores: np.ndarray, alpha: float) -> np.ndarray:
    """Fused scores (larger is better): dense ranks from `dense_keys` (smaller is closer),
    sparse ranks over the rows that share a dimension with the query."""
    fused = np.zeros(len(dense_keys), dtype=np.float64)
    dense_rank = np.empty(len(dense_keys), dtype=np.int64)
    dense_rank[np.argsort(dense_keys, kind="stable")] = np.arange(1, len(dense_keys) + 1)
    fused += alpha / (RRF_K + dense_rank)
    matched = np.flatnonzero(sparse_scores > 0)
    if len(matched):
        order = matched[np.argsort(-sparse_scores[matched], kind="stable")]
        fused[order] += (1.0 - alpha) / (RRF_K + np.arange(1, len(order) + 1))
    return fused


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


@dataclass
class Endpoint:
    name: str
    deployed: dict[str, str] = field(default_factory=dict)  # deployed index id -> index name
    display_name: str = ""
    create_time: Any = field(default_factory=_now)


class VectorSearch:
    """All indexes and endpoints of the emulator. Not thread-safe: callers hold a lock."""

    def __init__(self) -> None:
        self.indexes: dict[str, IndexData] = {}
        self.endpoints: dict[str, Endpoint] = {}

    # -- configuration ------------------------------------------------------------------

    def create_index(self, config: IndexConfig) -> IndexData:
        if config.name in self.indexes:
            raise already_exists(f"Index {config.name} already exists")
        data = self.indexes[config.name] = IndexData(config)
        return data

    def create_endpoint(self, name: str, display_name: str = "") -> Endpoint:
        if not ENDPOINT_NAME.match(name):
            raise invalid(f"endpoint name {name!r} is not projects/*/locations/*/indexEndpoints/*")
        if name in self.endpoints:
            raise already_exists(f"IndexEndpoint {name} already exists")
        endpoint = self.endpoints[name] = Endpoint(name, display_name=display_name)
        return endpoint

    def deploy(self, endpoint_name: str, deployed_id: str, index_name: str) -> None:
        endpoint = self._endpoint(endpoint_name)
        self._index(index_name)
        if not DEPLOYED_ID.match(deployed_id):
            raise invalid(
                f"deployed index id {deployed_id!r} must start with a letter and contain only "
                "letters, digits and underscores"
            )
        if deployed_id in endpoint.deployed:
            raise already_exists(f"DeployedIndex {deployed_id} already exists on {endpoint_name}")
        endpoint.deployed[deployed_id] = index_name

    def apply_config(self, config: dict[str, Any]) -> None:
        """Declare indexes and endpoints from the JSON shape README.md documents."""
        if not isinstance(config, dict) or set(config) - {"indexes", "indexEndpoints"}:
            raise invalid("config must be an object with 'indexes' and/or 'indexEndpoints'")
        # All or nothing: a bad entry must not leave the entries before it declared.
        indexes = dict(self.indexes)
        endpoints = {name: copy.deepcopy(e) for name, e in self.endpoints.items()}
        try:
            self._apply(config)
        except Exception:
            self.indexes, self.endpoints = indexes, endpoints
            raise

    def _apply(self, config: dict[str, Any]) -> None:
        for spec in config.get("indexes", []):
            self.create_index(index_config_from_json(spec))
        for spec in config.get("indexEndpoints", []):
            if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
                raise invalid("each indexEndpoints entry needs a name")
            self.create_endpoint(spec["name"], spec.get("displayName", ""))
            for deployed in spec.get("deployedIndexes", []):
                if not isinstance(deployed, dict) or not all(
                    isinstance(deployed.get(key), str) for key in ("id", "index")
                ):
                    raise invalid("each deployedIndexes entry needs an id and an index name")
                self.deploy(spec["name"], deployed["id"], deployed["index"])

    # -- RPCs ---------------------------------------------------------------------------

    def _index(self, name: str) -> IndexData:
        data = self.indexes.get(name)
        if data is None:
            raise not_found(f"Index `{name}` is not found.")
        return data

    def _endpoint(self, name: str) -> Endpoint:
        endpoint = self.endpoints.get(name)
        if endpoint is None:
            raise not_found(f"IndexEndpoint `{name}` is not found.")
        return endpoint

    def _deployed(self, endpoint_name: str, deployed_id: str) -> IndexData:
        endpoint = self._endpoint(endpoint_name)
        if not deployed_id:
            raise invalid("deployed_index_id is required")
        index_name = endpoint.deployed.get(deployed_id)
        if index_name is None:
            raise not_found(f"DeployedIndex `{deployed_id}` is not found on `{endpoint_name}`.")
        return self._index(index_name)

    def upsert_datapoints(self, request: Any) -> Any:
        data = self._index(request.index)
        if data.config.update_method != "STREAM_UPDATE":
            raise failed_precondition("StreamUpdate is not enabled on this Index.")
        mask = frozenset(request.update_mask.paths)
        unknown = mask - set(UPDATABLE_FIELDS)
        if unknown:
            raise invalid(
                f"update_mask paths {sorted(unknown)} are not updatable; use {UPDATABLE_FIELDS}"
            )
        # Validate everything first: a bad datapoint must not leave half a batch written.
        vectors = [data.validate(datapoint, mask) for datapoint in request.datapoints]
        for datapoint, vector in zip(request.datapoints, vectors, strict=True):
            data.upsert(datapoint, mask, vector)
        return UpsertDatapointsResponse()

    def remove_datapoints(self, request: Any) -> Any:
        data = self._index(request.index)
        if data.config.update_method != "STREAM_UPDATE":
            raise failed_precondition("StreamUpdate is not enabled on this Index.")
        for datapoint_id in request.datapoint_ids:
            data.remove(datapoint_id)
        return RemoveDatapointsResponse()

    def find_neighbors(self, request: Any) -> Any:
        data = self._deployed(request.index_endpoint, request.deployed_index_id)
        response = FindNeighborsResponse()
        for query in request.queries:
            nearest = response.nearest_neighbors.add(id=query.datapoint.datapoint_id)
            for row, distance, sparse_distance in data.find(query):
                neighbor = nearest.neighbors.add(distance=distance)
                if sparse_distance:
                    neighbor.sparse_distance = sparse_distance
                neighbor.datapoint.CopyFrom(data.datapoint(row, request.return_full_datapoint))
        return response

    def read_index_datapoints(self, request: Any) -> Any:
        data = self._deployed(request.index_endpoint, request.deployed_index_id)
        response = ReadIndexDatapointsResponse()
        for datapoint_id in request.ids:
            row = data.row_of.get(datapoint_id)
            if row is not None:
                response.datapoints.add().CopyFrom(data.datapoint(row, full=True))
        return response

    def get_index(self, name: str) -> Any:
        return self.index_message(self._index(name))

    def list_indexes(self, parent: str) -> list[Any]:
        prefix = parent + "/indexes/"
        return [
            self.index_message(d) for n, d in sorted(self.indexes.items()) if n.startswith(prefix)
        ]

    def get_endpoint(self, name: str) -> Any:
        endpoint = self._endpoint(name)
        message = IndexEndpoint(
            name=endpoint.name,
            display_name=endpoint.display_name or endpoint.name.rsplit("/", 1)[-1],
            public_endpoint_enabled=True,
        )
        message.create_time.CopyFrom(endpoint.create_time)
        message.update_time.CopyFrom(endpoint.create_time)
        for deployed_id, index_name in sorted(endpoint.deployed.items()):
            message.deployed_indexes.add(id=deployed_id, index=index_name)
        return message

    def index_message(self, data: IndexData) -> Any:
        config = data.config
        metadata = struct_pb2.Value()
        json_format.ParseDict(
            {
                "config": {
                    "dimensions": config.dimensions,
                    "distanceMeasureType": config.distance,
                    "featureNormType": config.feature_norm,
                    "algorithmConfig": {"bruteForceConfig": {}},
                    "shardSize": "SHARD_SIZE_SMALL",
                }
            },
            metadata,
        )
        message = Index(
            name=config.name,
            display_name=config.display_name or config.name.rsplit("/", 1)[-1],
            metadata_schema_uri=METADATA_SCHEMA,
            index_update_method=Index.IndexUpdateMethod.Value(config.update_method),
        )
        message.metadata.CopyFrom(metadata)
        message.create_time.CopyFrom(data.create_time)
        message.update_time.CopyFrom(data.update_time)
        message.index_stats.vectors_count = len(data)
        message.index_stats.shards_count = 1
        for endpoint in sorted(self.endpoints.values(), key=lambda e: e.name):
            for deployed_id, index_name in sorted(endpoint.deployed.items()):
                if index_name == config.name:
                    message.deployed_indexes.add(
                        index_endpoint=endpoint.name, deployed_index_id=deployed_id
                    )
        return message


def parse_request(body: dict[str, Any], message_class: Any) -> Any:
    """`json_format.ParseDict`, with feature vectors moved in bulk.

    json_format walks a repeated float one element at a time in Python (~2.7 s for 1,000
    datapoints of 384 dimensions); the vectors are lifted out first and extended in one call.
    """
    vectors: list[tuple[tuple[str | int, ...], Any]] = []
    _pop_vectors(body, (), vectors)
    message = message_class()
    try:
        json_format.ParseDict(body, message)
    except json_format.ParseError as error:
        raise invalid(f"Invalid JSON payload received. {error}") from None
    for path, values in vectors:
        target = message
        for step in path:
            if isinstance(step, int):
                target = target[step]
            else:
                fields = target.DESCRIPTOR.fields_by_camelcase_name
                field_descriptor = fields.get(step) or target.DESCRIPTOR.fields_by_name[step]
                target = getattr(target, field_descriptor.name)
        try:
            floats = np.asarray(values, dtype=np.float32)
        except (TypeError, ValueError):
            raise invalid(
                "Invalid JSON payload received. featureVector must hold numbers"
            ) from None
        if floats.ndim != 1:
            raise invalid("Invalid JSON payload received. featureVector must be a flat list")
        target.feature_vector.extend(floats.tolist())
    return message


def _pop_vectors(node: Any, path: tuple[str | int, ...], out: list[Any]) -> None:
    """Lift `featureVector` lists out of datapoints, wherever requests nest them."""
    if isinstance(node, dict):
        for key in ("featureVector", "feature_vector"):
            if isinstance(node.get(key), list):
                out.append((path, node.pop(key)))
        # Only the fields that lead to datapoints: Structs (metadata) hold user data.
        for key in ("datapoints", "queries", "datapoint"):
            if key in node:
                _pop_vectors(node[key], (*path, key), out)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _pop_vectors(value, (*path, i), out)


def index_config_from_json(spec: Any) -> IndexConfig:
    """An IndexConfig from the emulator's flat JSON (README.md) or an Index resource."""
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise invalid("each index needs a name")
    nested = (spec.get("metadata") or {}).get("config") or {}
    merged = {**nested, **{k: v for k, v in spec.items() if k != "metadata"}}
    dimensions = merged.get("dimensions")
    if not isinstance(dimensions, int | float) or int(dimensions) != dimensions:
        raise invalid(f"index {spec['name']}: dimensions must be an integer")
    return IndexConfig(
        name=spec["name"],
        dimensions=int(dimensions),
        distance=merged.get("distanceMeasureType", "DOT_PRODUCT_DISTANCE"),
        feature_norm=merged.get("featureNormType", "NONE"),
        update_method=merged.get("indexUpdateMethod", "STREAM_UPDATE"),
        display_name=merged.get("displayName", ""),
    )
