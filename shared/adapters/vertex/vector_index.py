"""`VectorIndex` on Vertex AI Vector Search (1.0 streaming index) through the generated
`aiplatform_v1` REST clients: not the whole `aiplatform` SDK, which costs 2.5 s to import.

Each datapoint is one message: id = message id, string restricts `tenant`, `user`, `session`,
`role` and `embedding_model`, a numeric restrict `created_at` (epoch seconds), crowding by session,
and the embedding model id also in `embedding_metadata`. Filtering on `embedding_model` keeps a
search inside one vector space while a re-embed replaces the vectors of an older model.

Keywords live in the same datapoint as a sparse embedding over a hashed vocabulary (a term's
dimension is the first 63 bits of its BLAKE2b hash, its value the term's weight), so a keyword
query is a sparse query and a hybrid one is Vector Search's own hybrid query: dense and sparse
embeddings in one `FindNeighborsRequest.Query`, fused by its reciprocal rank fusion (`rrf.alpha`
= the dense weight), restricts applying to both.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.domain.errors import HybridSessionsError, InvalidInput, Unavailable
from shared.ports.vector_index import RRF_K, Neighbor, VectorFilter, VectorIndex, VectorRecord

if TYPE_CHECKING:
    from shared.config import Settings

# Request sizes well under the 10 MB request cap even at 3,072 dimensions.
UPSERT_BATCH = 100
REMOVE_BATCH = 1000
NS_TENANT, NS_USER, NS_SESSION, NS_ROLE, NS_MODEL = (
    "tenant",
    "user",
    "session",
    "role",
    "embedding_model",
)
NS_CREATED_AT = "created_at"
_LOCATION = re.compile(r"/locations/([^/]+)/")


def epoch_seconds(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


class VertexVectorIndex(VectorIndex):
    def __init__(
        self,
        index_client: Any,
        match_client: Any,
        *,
        index: str | None,
        index_endpoint: str | None = None,
        deployed_index_id: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._index_client = index_client
        self._match_client = match_client
        self._index = index
        self._index_endpoint = index_endpoint
        self._deployed_index_id = deployed_index_id
        self._timeout_s = timeout_s

    @classmethod
    def from_settings(cls, settings: Settings) -> VertexVectorIndex:
        from google.cloud.aiplatform_v1 import IndexServiceClient, MatchServiceClient

        credentials = None
        if settings.vertex_endpoint:
            from google.auth.credentials import AnonymousCredentials

            credentials = AnonymousCredentials()
            index_host = match_host = settings.vertex_endpoint
        else:
            # The client's default host is global; Vector Search answers on the index's region.
            found = _LOCATION.search(settings.vector_index or "")
            region = found.group(1) if found else settings.vertex_location
            index_host = f"{region}-aiplatform.googleapis.com"
            # A public index endpoint answers queries on its own domain, not the regional host.
            match_host = settings.vector_public_endpoint or index_host
        return cls(
            IndexServiceClient(
                transport="rest",
                credentials=credentials,
                client_options={"api_endpoint": index_host},
            ),
            MatchServiceClient(
                transport="rest",
                credentials=credentials,
                client_options={"api_endpoint": match_host},
            ),
            index=settings.vector_index,
            index_endpoint=settings.vector_index_endpoint,
            deployed_index_id=settings.vector_deployed_index_id,
            timeout_s=settings.vertex_timeout_s,
        )

    def upsert(self, records: Sequence[VectorRecord]) -> None:
        from google.cloud.aiplatform_v1 import types

        index = self._require(self._index, "HS_VECTOR_INDEX")
        points = [_datapoint(r) for r in records]
        for start in range(0, len(points), UPSERT_BATCH):
            request = types.UpsertDatapointsRequest(
                index=index, datapoints=points[start : start + UPSERT_BATCH]
            )
            self._call(self._index_client.upsert_datapoints, request, "upsert")

    def remove(self, ids: Sequence[str]) -> None:
        from google.cloud.aiplatform_v1 import types

        index = self._require(self._index, "HS_VECTOR_INDEX")
        ids = list(ids)
        for start in range(0, len(ids), REMOVE_BATCH):
            request = types.RemoveDatapointsRequest(
                index=index, datapoint_ids=ids[start : start + REMOVE_BATCH]
            )
            self._call(self._index_client.remove_datapoints, request, "remove")

    def find_neighbors(
        self,
        vector: Sequence[float],
        *,
        where: VectorFilter,
        limit: int = 10,
        per_session: int | None = None,
    ) -> list[Neighbor]:
        found = self._query(where, limit, per_session, vector=vector)
        return [Neighbor(id=i, distance=d, session_id=s) for i, d, _, s in found]

    def find_by_terms(
        self,
        terms: Mapping[str, float],
        *,
        where: VectorFilter,
        limit: int = 10,
        per_session: int | None = None,
    ) -> list[Neighbor]:
        if not terms:
            return []
        found = self._query(where, limit, per_session, terms=terms)
        return [Neighbor(id=i, distance=sd, session_id=s) for i, _, sd, s in found]

    def find_hybrid(
        self,
        vector: Sequence[float],
        terms: Mapping[str, float],
        *,
        where: VectorFilter,
        limit: int = 10,
        per_session: int | None = None,
        dense_weight: float = 0.5,
    ) -> list[Neighbor]:
        if not terms:
            return self.find_neighbors(vector, where=where, limit=limit, per_session=per_session)
        found = self._query(
            where, limit, per_session, vector=vector, terms=terms, alpha=dense_weight
        )
        # Vector Search returns the fused order but not the fused score: RRF's by rank.
        return [
            Neighbor(id=i, distance=1.0 / (RRF_K + rank), session_id=s)
            for rank, (i, _, _, s) in enumerate(found, 1)
        ]

    def _query(
        self,
        where: VectorFilter,
        limit: int,
        per_session: int | None,
        *,
        vector: Sequence[float] = (),
        terms: Mapping[str, float] | None = None,
        alpha: float | None = None,
    ) -> list[tuple[str, float, float, str | None]]:
        """(id, distance, sparse distance, session) of one query's neighbours."""
        from google.cloud.aiplatform_v1 import types

        point = types.IndexDatapoint(
            feature_vector=list(vector),
            restricts=_filter_restricts(where),
            numeric_restricts=_filter_numeric(where),
        )
        if terms:
            point.sparse_embedding = _sparse_embedding(terms)
        query = types.FindNeighborsRequest.Query(
            datapoint=point,
            neighbor_count=limit,
            per_crowding_attribute_neighbor_count=per_session or 0,
        )
        if alpha is not None:
            query.rrf = types.FindNeighborsRequest.Query.RRF(alpha=alpha)
        request = types.FindNeighborsRequest(
            index_endpoint=self._require(self._index_endpoint, "HS_VECTOR_INDEX_ENDPOINT"),
            deployed_index_id=self._require(self._deployed_index_id, "HS_VECTOR_DEPLOYED_INDEX_ID"),
            queries=[query],
        )
        response = self._call(self._match_client.find_neighbors, request, "find_neighbors")
        if not response.nearest_neighbors:
            return []
        return [
            (
                n.datapoint.datapoint_id,
                n.distance,
                n.sparse_distance,
                n.datapoint.crowding_tag.crowding_attribute or None,
            )
            for n in response.nearest_neighbors[0].neighbors
        ]

    def _call(self, method: Any, request: Any, action: str) -> Any:
        from google.api_core import retry as retries

        try:
            return method(
                request=request,
                retry=retries.Retry(predicate=retries.if_transient_error, timeout=self._timeout_s),
                timeout=self._timeout_s,
            )
        except Exception as exc:
            raise _translate(exc, action) from exc

    @staticmethod
    def _require(value: str | None, variable: str) -> str:
        if not value:
            raise InvalidInput(f"{variable} is not set", code="vector_search_not_configured")
        return value


def _datapoint(record: VectorRecord) -> Any:
    from google.cloud.aiplatform_v1 import types
    from google.protobuf import struct_pb2

    metadata = struct_pb2.Struct()
    metadata.update({"embedding_model": record.model_id})
    restrict = types.IndexDatapoint.Restriction
    point = types.IndexDatapoint(
        datapoint_id=record.id,
        feature_vector=list(record.vector),
        restricts=[
            restrict(namespace=NS_TENANT, allow_list=[record.tenant_id]),
            restrict(namespace=NS_USER, allow_list=[record.user_id]),
            restrict(namespace=NS_SESSION, allow_list=[record.session_id]),
            restrict(namespace=NS_ROLE, allow_list=[record.role]),
            restrict(namespace=NS_MODEL, allow_list=[record.model_id]),
        ],
        numeric_restricts=[
            types.IndexDatapoint.NumericRestriction(
                namespace=NS_CREATED_AT, value_int=epoch_seconds(record.created_at)
            )
        ],
        crowding_tag=types.IndexDatapoint.CrowdingTag(crowding_attribute=record.session_id),
        embedding_metadata=metadata,
    )
    if record.terms:
        point.sparse_embedding = _sparse_embedding(record.terms)
    return point


def term_dimension(term: str) -> int:
    """A term's dimension in the hashed vocabulary (63 bits: a non-negative int64)."""
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=8).digest(), "big") >> 1


def _sparse_embedding(terms: Mapping[str, float]) -> Any:
    from google.cloud.aiplatform_v1 import types

    dimensions = [term_dimension(t) for t in terms]
    return types.IndexDatapoint.SparseEmbedding(dimensions=dimensions, values=list(terms.values()))


def _filter_restricts(where: VectorFilter) -> list[Any]:
    from google.cloud.aiplatform_v1 import types

    restrict = types.IndexDatapoint.Restriction
    restricts = [restrict(namespace=NS_TENANT, allow_list=[where.tenant_id])]
    if where.user_id is not None:
        restricts.append(restrict(namespace=NS_USER, allow_list=[where.user_id]))
    if where.session_ids:
        restricts.append(restrict(namespace=NS_SESSION, allow_list=list(where.session_ids)))
    if where.roles:
        restricts.append(restrict(namespace=NS_ROLE, allow_list=list(where.roles)))
    if where.model_id is not None:
        restricts.append(restrict(namespace=NS_MODEL, allow_list=[where.model_id]))
    return restricts


def _filter_numeric(where: VectorFilter) -> list[Any]:
    from google.cloud.aiplatform_v1 import types

    numeric = types.IndexDatapoint.NumericRestriction
    bounds = []
    if where.created_after is not None:
        bounds.append(
            numeric(
                namespace=NS_CREATED_AT,
                value_int=epoch_seconds(where.created_after),
                op=numeric.Operator.GREATER_EQUAL,
            )
        )
    if where.created_before is not None:
        bounds.append(
            numeric(
                namespace=NS_CREATED_AT,
                value_int=epoch_seconds(where.created_before),
                op=numeric.Operator.LESS,
            )
        )
    return bounds


def _translate(exc: Exception, action: str) -> HybridSessionsError:
    import requests
    from google.api_core import exceptions as gexc

    message = f"vector search {action}: {exc}"
    if isinstance(exc, gexc.TooManyRequests | gexc.NotFound):
        # NotFound: the index is not provisioned yet; it becomes retryable once it is.
        return Unavailable(message)
    if isinstance(exc, gexc.ClientError):
        return InvalidInput(message, code="vector_search_rejected")
    if isinstance(
        exc, gexc.GoogleAPIError | requests.exceptions.RequestException | TimeoutError | OSError
    ):
        return Unavailable(message)
    raise exc
