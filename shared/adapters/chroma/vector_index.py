"""`VectorIndex` on a Chroma server (`chromadb-client`'s `HttpClient`), for teams that host
their own vector database.

One collection per embedding model (`hs-<model id>`, inner-product space), so vectors of two
models never meet and each collection keeps one dimension; a search therefore needs
`model_id`. Each record: id = message id, embedding, metadata `tenant_id`, `user_id`,
`session_id`, `role`, `created_at` (epoch seconds, compared in whole seconds as on Vertex) and
`term_weights` (JSON), and as its document the indexed terms, space-separated and padded, so
Chroma's own full-text filter (`$contains " term "`) finds keyword candidates, which are then
scored here (`keyword_score`). Chroma reports `1 - dot product` as the distance in an `ip`
space; the adapter reports the similarity. Chroma has no crowding: with `per_session` it
over-fetches four times the limit and caps sessions itself. A keyword query reads every
candidate the filter passes in the caller's partition (their messages holding a query term).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from shared.domain.errors import InvalidInput, Unavailable
from shared.ports.vector_index import (
    Neighbor,
    VectorFilter,
    VectorIndex,
    VectorRecord,
    keyword_score,
)

if TYPE_CHECKING:
    from shared.config import Settings

PREFIX = "hs-"
WRITE_BATCH = 500
CROWDING_OVERFETCH = 4
_UNSAFE = re.compile(r"[^a-zA-Z0-9._-]+")


def _epoch(value: datetime) -> int:
    return int((value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp())


def collection_name(model_id: str) -> str:
    """Chroma's names: 3-512 of [a-zA-Z0-9._-], alphanumeric at both ends."""
    return PREFIX + _UNSAFE.sub("-", model_id).strip("-._")


class ChromaVectorIndex(VectorIndex):
    def __init__(self, client: Any) -> None:
        self._client = client
        self._collections: dict[str, Any] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> ChromaVectorIndex:
        import chromadb

        if not settings.chroma_url:
            raise InvalidInput("HS_CHROMA_URL is not set", code="vector_search_not_configured")
        url = urlsplit(settings.chroma_url)
        client = chromadb.HttpClient(
            host=url.hostname or "localhost",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
        )
        return cls(client)

    def _collection(self, model_id: str) -> Any:
        name = collection_name(model_id)
        if name not in self._collections:
            with _translated("collection"):
                self._collections[name] = self._client.get_or_create_collection(
                    name, configuration={"hnsw": {"space": "ip"}}
                )
        return self._collections[name]

    def upsert(self, records: Sequence[VectorRecord]) -> None:
        by_model: dict[str, list[VectorRecord]] = {}
        for r in records:
            by_model.setdefault(r.model_id, []).append(r)
        for model_id, batch in by_model.items():
            collection = self._collection(model_id)
            for start in range(0, len(batch), WRITE_BATCH):
                part = batch[start : start + WRITE_BATCH]
                with _translated("upsert"):
                    collection.upsert(
                        ids=[r.id for r in part],
                        embeddings=[list(r.vector) for r in part],
                        metadatas=[_metadata(r) for r in part],
                        documents=[" " + " ".join(sorted(r.terms)) + " " for r in part],
                    )

    def remove(self, ids: Sequence[str]) -> None:
        ids = list(ids)
        if not ids:
            return
        with _translated("remove"):
            collections = [c for c in self._client.list_collections() if c.name.startswith(PREFIX)]
            for collection in collections:
                for start in range(0, len(ids), WRITE_BATCH):
                    collection.delete(ids=ids[start : start + WRITE_BATCH])

    def find_neighbors(
        self,
        vector: Sequence[float],
        *,
        where: VectorFilter,
        limit: int = 10,
        per_session: int | None = None,
    ) -> list[Neighbor]:
        collection = self._collection(_model(where))
        with _translated("find_neighbors"):
            found = collection.query(
                query_embeddings=[list(vector)],
                n_results=limit * CROWDING_OVERFETCH if per_session else limit,
                where=_where(where),
                include=["metadatas", "distances"],
            )
        scored = [
            (1.0 - float(distance), point_id, meta)
            for point_id, distance, meta in zip(
                found["ids"][0], found["distances"][0], found["metadatas"][0], strict=True
            )
        ]
        return _crowded(scored, limit, per_session)

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
        contains = [{"$contains": f" {t} "} for t in terms]
        document = contains[0] if len(contains) == 1 else {"$or": contains}
        collection = self._collection(_model(where))
        with _translated("find_by_terms"):
            found = collection.get(
                where=_where(where),
                where_document=document,
                include=["metadatas"],
            )
        scored = []
        for point_id, meta in zip(found["ids"], found["metadatas"], strict=True):
            score = keyword_score(terms, json.loads(str(meta.get("term_weights") or "{}")))
            if score > 0:
                scored.append((score, point_id, meta))
        scored.sort(key=lambda item: (-item[0], -int(item[2]["created_at"])))
        return _crowded(scored, limit, per_session)


def _model(where: VectorFilter) -> str:
    if where.user_id is None or where.model_id is None:
        raise InvalidInput(
            "Chroma vector search needs a user and an embedding model in every query",
            code="vector_search_rejected",
        )
    return where.model_id


def _metadata(record: VectorRecord) -> dict[str, Any]:
    return {
        "tenant_id": record.tenant_id,
        "user_id": record.user_id,
        "session_id": record.session_id,
        "role": record.role,
        "created_at": _epoch(record.created_at),
        "term_weights": json.dumps(dict(record.terms), sort_keys=True),
    }


def _where(where: VectorFilter) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = [
        {"tenant_id": where.tenant_id},
        {"user_id": where.user_id},
    ]
    if where.session_ids:
        clauses.append({"session_id": {"$in": list(where.session_ids)}})
    if where.roles:
        clauses.append({"role": {"$in": list(where.roles)}})
    if where.created_after is not None:
        clauses.append({"created_at": {"$gte": _epoch(where.created_after)}})
    if where.created_before is not None:
        clauses.append({"created_at": {"$lt": _epoch(where.created_before)}})
    return {"$and": clauses}


def _crowded(
    scored: Sequence[tuple[float, str, Mapping[str, Any]]], limit: int, per_session: int | None
) -> list[Neighbor]:
    taken: Counter[str] = Counter()
    neighbors: list[Neighbor] = []
    for score, point_id, meta in scored:
        session = str(meta["session_id"])
        if per_session and taken[session] >= per_session:
            continue
        taken[session] += 1
        neighbors.append(Neighbor(id=point_id, distance=score, session_id=session))
        if len(neighbors) == limit:
            break
    return neighbors


@contextmanager
def _translated(action: str) -> Iterator[None]:
    import httpx
    from chromadb.errors import ChromaError

    try:
        yield
    except httpx.TransportError as exc:
        raise Unavailable(f"Chroma {action}: {exc}") from exc
    except ChromaError as exc:
        if exc.code() >= 500 or exc.code() == 429:
            raise Unavailable(f"Chroma {action}: {exc}") from exc
        raise InvalidInput(f"Chroma {action}: {exc}", code="vector_search_rejected") from exc
