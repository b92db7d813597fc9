"""`VectorIndex` on Firestore vector search: one document per message in `message_vectors`,
searched with `find_nearest`, so an idle environment pays only for stored documents.

Document id = message id; fields `tenant_id`, `user_id`, `session_id`, `role`,
`embedding_model`, `created_at`, `embedding` (a Vector), and the keyword side: `terms` (the
indexed text's terms, for `array-contains-any`) and `term_weights` (term -> weight, scored
here with `keyword_score`; exempt from indexing in infra/firestore.indexes.json).

Dense queries are pre-filtered: equality on tenant, user and embedding model always, `in` on
session and role when asked, a range on `created_at` when asked; each of those eight field
sets has its vector index declared in infra/firestore.indexes.json (a strict-index emulator
refuses anything else, as Firestore does). Searches therefore need `user_id` and `model_id`.
Firestore has no crowding: with `per_session`, the adapter over-fetches (four times the limit,
at most Firestore's 1,000) and caps sessions itself, so a page may hold fewer results than
asked. Keyword queries match any of the query's terms (Firestore allows 30 values, so at most
the 30 heaviest terms), in the caller's partition, over-fetch 3x the limit, and are scored and
time-filtered here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from shared.domain.errors import InvalidInput
from shared.ports.vector_index import (
    Neighbor,
    VectorFilter,
    VectorIndex,
    VectorRecord,
    keyword_score,
)

if TYPE_CHECKING:
    from google.cloud import firestore

    from shared.config import Settings

COLLECTION = "message_vectors"
WRITE_BATCH = 400  # under Firestore's 500 writes per commit, with room for large vectors
MAX_NEAREST = 1000  # Firestore's find_nearest limit
MAX_IN_VALUES = 30  # Firestore's limit on in / array-contains-any values (and DNF terms)
CROWDING_OVERFETCH = 4
KEYWORD_OVERFETCH = 3


class FirestoreVectorIndex(VectorIndex):
    def __init__(self, client: firestore.Client, collection: str = COLLECTION) -> None:
        self._db = client
        self._collection = collection

    @classmethod
    def from_settings(cls, settings: Settings) -> FirestoreVectorIndex:
        from shared.adapters.firestore.client import build_client

        return cls(build_client(settings))

    def upsert(self, records: Sequence[VectorRecord]) -> None:
        from google.cloud.firestore_v1.vector import Vector

        collection = self._db.collection(self._collection)
        for start in range(0, len(records), WRITE_BATCH):
            batch = self._db.batch()
            for r in records[start : start + WRITE_BATCH]:
                batch.set(
                    collection.document(r.id),
                    {
                        "tenant_id": r.tenant_id,
                        "user_id": r.user_id,
                        "session_id": r.session_id,
                        "role": r.role,
                        "embedding_model": r.model_id,
                        "created_at": r.created_at,
                        "embedding": Vector(list(r.vector)),
                        "terms": sorted(r.terms),
                        "term_weights": dict(r.terms),
                    },
                )
            with _translated("upsert"):
                batch.commit()

    def remove(self, ids: Sequence[str]) -> None:
        collection = self._db.collection(self._collection)
        ids = list(ids)
        for start in range(0, len(ids), WRITE_BATCH):
            batch = self._db.batch()
            for point_id in ids[start : start + WRITE_BATCH]:
                batch.delete(collection.document(point_id))
            with _translated("remove"):
                batch.commit()

    def find_neighbors(
        self,
        vector: Sequence[float],
        *,
        where: VectorFilter,
        limit: int = 10,
        per_session: int | None = None,
    ) -> list[Neighbor]:
        from google.cloud.firestore_v1.base_vector_query import DistanceMeasure
        from google.cloud.firestore_v1.vector import Vector

        query = self._filtered(where, with_time=True)
        fetch = min(MAX_NEAREST, limit * CROWDING_OVERFETCH if per_session else limit)
        nearest = query.find_nearest(
            vector_field="embedding",
            query_vector=Vector(list(vector)),
            distance_measure=DistanceMeasure.DOT_PRODUCT,
            limit=fetch,
            distance_result_field="_similarity",
        )
        with _translated("find_neighbors"):
            snapshots = list(nearest.stream())
        scored = [(float(s.get("_similarity")), s) for s in snapshots]
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
        # The DNF of `in` filters times the terms must stay within 30 disjunctions.
        room = MAX_IN_VALUES // (max(1, len(where.session_ids)) * max(1, len(where.roles)))
        if room < 1:
            return []
        heaviest = sorted(terms, key=lambda t: -terms[t])[:room]
        query = (
            self._filtered(where, with_time=False)
            .where(filter=_field("terms", "array_contains_any", heaviest))
            .select(["session_id", "created_at", "term_weights"])
            .limit(min(MAX_NEAREST, limit * KEYWORD_OVERFETCH))
        )
        with _translated("find_by_terms"):
            snapshots = list(query.stream())
        scored = []
        for s in snapshots:
            created = s.get("created_at")
            if where.created_after is not None and created < where.created_after:
                continue
            if where.created_before is not None and created >= where.created_before:
                continue
            score = keyword_score(terms, s.get("term_weights") or {})
            if score > 0:
                scored.append((score, s))
        scored.sort(key=lambda item: (-item[0], -item[1].get("created_at").timestamp()))
        return _crowded(scored, limit, per_session)

    def _filtered(self, where: VectorFilter, *, with_time: bool) -> Any:
        if where.user_id is None or where.model_id is None:
            raise InvalidInput(
                "Firestore vector search needs a user and an embedding model in every query",
                code="vector_search_rejected",
            )
        if len(where.session_ids) > MAX_IN_VALUES or len(where.roles) > MAX_IN_VALUES:
            raise InvalidInput(
                f"at most {MAX_IN_VALUES} sessions or roles per query",
                code="vector_search_rejected",
            )
        query = (
            self._db.collection(self._collection)
            .where(filter=_field("tenant_id", "==", where.tenant_id))
            .where(filter=_field("user_id", "==", where.user_id))
            .where(filter=_field("embedding_model", "==", where.model_id))
        )
        if where.session_ids:
            query = query.where(filter=_field("session_id", "in", list(where.session_ids)))
        if where.roles:
            query = query.where(filter=_field("role", "in", list(where.roles)))
        if with_time and where.created_after is not None:
            query = query.where(filter=_field("created_at", ">=", where.created_after))
        if with_time and where.created_before is not None:
            query = query.where(filter=_field("created_at", "<", where.created_before))
        return query


def _field(path: str, op: str, value: Any) -> Any:
    from google.cloud.firestore_v1.base_query import FieldFilter

    return FieldFilter(path, op, value)


def _crowded(
    scored: Sequence[tuple[float, Any]], limit: int, per_session: int | None
) -> list[Neighbor]:
    taken: Counter[str] = Counter()
    neighbors: list[Neighbor] = []
    for score, snapshot in scored:
        session = snapshot.get("session_id")
        if per_session and taken[session] >= per_session:
            continue
        taken[session] += 1
        neighbors.append(Neighbor(id=snapshot.id, distance=score, session_id=session))
        if len(neighbors) == limit:
            break
    return neighbors


@contextmanager
def _translated(action: str) -> Iterator[None]:
    from google.api_core import exceptions as gexc

    from shared.adapters.firestore._errors import translated

    try:
        with translated():
            yield
    except gexc.FailedPrecondition as exc:
        # A missing index: configuration, not a transient failure.
        raise InvalidInput(
            f"Firestore vector search {action}: {exc.message}", code="vector_search_rejected"
        ) from exc
