"""The vector index port: datapoints keyed by message id, with filterable restricts, searched by
meaning (dense vectors), by keywords (weighted terms) or both fused (hybrid).

Hybrid ranking is reciprocal rank fusion (RRF): a result's score is the sum over the rankings
it appears in of `weight / (RRF_K + rank)`, rank counted from 1. Backends without a native
hybrid query answer it with two queries fused here (`VectorIndex.find_hybrid`); Vertex AI
Vector Search answers it in one (sparse embeddings with `rrf`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

RRF_K = 60
"""The constant of reciprocal rank fusion (Cormack et al.'s 60)."""


@dataclass(frozen=True)
class VectorRecord:
    """One message's vector; `id` is the message id, so upserting again replaces it.

    `terms` are the keyword side: term -> weight of the indexed text (empty: no keywords)."""

    id: str
    vector: Sequence[float]
    tenant_id: str
    user_id: str
    session_id: str
    role: str
    created_at: datetime
    model_id: str
    terms: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class VectorFilter:
    """Restricts of a search; `tenant_id` is mandatory so no query ever crosses tenants."""

    tenant_id: str
    user_id: str | None = None
    session_ids: Sequence[str] = ()
    roles: Sequence[str] = ()
    model_id: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@dataclass(frozen=True)
class Neighbor:
    """`distance`: the similarity for dense results, the keyword score for keyword results,
    the RRF score for hybrid ones; larger is closer in all three."""

    id: str
    distance: float
    session_id: str | None = None


class VectorIndex(ABC):
    """Adapters raise `Unavailable` for transient failures, `InvalidInput` for rejected data."""

    @abstractmethod
    def upsert(self, records: Sequence[VectorRecord]) -> None:
        """Insert or replace datapoints by id (a repeat is harmless)."""

    @abstractmethod
    def remove(self, ids: Sequence[str]) -> None:
        """Remove datapoints by id; ids that do not exist are ignored."""

    @abstractmethod
    def find_neighbors(
        self,
        vector: Sequence[float],
        *,
        where: VectorFilter,
        limit: int = 10,
        per_session: int | None = None,
    ) -> list[Neighbor]:
        """Nearest datapoints matching `where`, closest first; `per_session` caps how many
        come from one session (crowding)."""

    @abstractmethod
    def find_by_terms(
        self,
        terms: Mapping[str, float],
        *,
        where: VectorFilter,
        limit: int = 10,
        per_session: int | None = None,
    ) -> list[Neighbor]:
        """Datapoints matching `where` that share a term with `terms`, best `keyword_score`
        first (ties: newer first)."""

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
        """Dense and keyword rankings fused by RRF; `dense_weight` in [0, 1] is the dense
        ranking's weight (Vertex's `rrf.alpha`), the keyword ranking gets the rest."""
        dense = self.find_neighbors(vector, where=where, limit=limit, per_session=per_session)
        if not terms:
            return dense
        keyword = self.find_by_terms(terms, where=where, limit=limit, per_session=per_session)
        return fuse([dense, keyword], [dense_weight, 1.0 - dense_weight], limit, per_session)


def keyword_score(query: Mapping[str, float], document: Mapping[str, float]) -> float:
    """The keyword side's score: the dot product of the two term weightings."""
    if len(document) < len(query):
        return sum(w * query[t] for t, w in document.items() if t in query)
    return sum(w * document[t] for t, w in query.items() if t in document)


def fuse(
    rankings: Sequence[Sequence[Neighbor]],
    weights: Sequence[float],
    limit: int,
    per_session: int | None = None,
) -> list[Neighbor]:
    """Reciprocal rank fusion of several rankings (best first); ties keep the first ranking's
    order. `per_session` caps the fused results per session where it is known."""
    scores: dict[str, float] = {}
    first_seen: dict[str, tuple[int, int]] = {}
    sessions: dict[str, str | None] = {}
    for which, (ranking, weight) in enumerate(zip(rankings, weights, strict=True)):
        for rank, neighbor in enumerate(ranking, 1):
            scores[neighbor.id] = scores.get(neighbor.id, 0.0) + weight / (RRF_K + rank)
            first_seen.setdefault(neighbor.id, (which, rank))
            sessions.setdefault(neighbor.id, neighbor.session_id)
    order = sorted(scores, key=lambda i: (-scores[i], first_seen[i]))
    taken: Counter[str] = Counter()
    fused: list[Neighbor] = []
    for point_id in order:
        session = sessions[point_id]
        if per_session and session is not None:
            if taken[session] >= per_session:
                continue
            taken[session] += 1
        fused.append(Neighbor(id=point_id, distance=scores[point_id], session_id=session))
        if len(fused) == limit:
            break
    return fused
