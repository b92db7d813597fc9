"""`VectorIndex` in memory: exact dot-product search with the same filters and crowding as the
Vertex adapter. `distance` is the dot product, as Vector Search reports it for
DOT_PRODUCT_DISTANCE: larger is closer. Keywords are scored locally (`keyword_score`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from shared.ports.vector_index import (
    Neighbor,
    VectorFilter,
    VectorIndex,
    VectorRecord,
    keyword_score,
)


class InMemoryVectorIndex(VectorIndex):
    def __init__(self) -> None:
        self.points: dict[str, VectorRecord] = {}

    def upsert(self, records: Sequence[VectorRecord]) -> None:
        for record in records:
            self.points[record.id] = record

    def remove(self, ids: Sequence[str]) -> None:
        for point_id in ids:
            self.points.pop(point_id, None)

    def find_neighbors(
        self,
        vector: Sequence[float],
        *,
        where: VectorFilter,
        limit: int = 10,
        per_session: int | None = None,
    ) -> list[Neighbor]:
        scored = sorted(
            (
                (sum(a * b for a, b in zip(vector, p.vector, strict=True)), p)
                for p in self.points.values()
                if _matches(p, where)
            ),
            key=lambda item: -item[0],
        )
        return _crowded(scored, limit, per_session)

    def find_by_terms(
        self,
        terms: Mapping[str, float],
        *,
        where: VectorFilter,
        limit: int = 10,
        per_session: int | None = None,
    ) -> list[Neighbor]:
        scored = sorted(
            (
                (score, p)
                for p in self.points.values()
                if _matches(p, where) and (score := keyword_score(terms, p.terms)) > 0
            ),
            key=lambda item: (-item[0], -item[1].created_at.timestamp()),
        )
        return _crowded(scored, limit, per_session)


def _crowded(
    scored: Iterable[tuple[float, VectorRecord]], limit: int, per_session: int | None
) -> list[Neighbor]:
    taken: Counter[str] = Counter()
    neighbors: list[Neighbor] = []
    for score, point in scored:
        if per_session and taken[point.session_id] >= per_session:
            continue
        taken[point.session_id] += 1
        neighbors.append(Neighbor(id=point.id, distance=score, session_id=point.session_id))
        if len(neighbors) == limit:
            break
    return neighbors


def _matches(point: VectorRecord, where: VectorFilter) -> bool:
    return (
        point.tenant_id == where.tenant_id
        and (where.user_id is None or point.user_id == where.user_id)
        and (not where.session_ids or point.session_id in where.session_ids)
        and (not where.roles or point.role in where.roles)
        and (where.model_id is None or point.model_id == where.model_id)
        and (where.created_after is None or point.created_at >= where.created_after)
        and (where.created_before is None or point.created_at < where.created_before)
    )
