"""Find the caller's other conversations closest in meaning to one of theirs.

Method (chosen over a session-level vector kept by ingest, see functions/README.md): the
session's last `sample_messages` user and assistant messages are embedded in one call, their
normalised mean is the query, and Vector Search returns the caller's nearest messages with
crowding one per session (`per_session=1`), so each other session appears once, with its
closest message. A session's score is that message's similarity; the message is the sample.
Sessions and samples are read back from Firestore, so deleted ones drop out and titles are
current.

There is no keyword fallback: "similar" without vectors would be a guess. When Vector Search or
the embedder is down, not configured, or failed less than `degraded_retry_s` ago, the answer is
503 `similar_unavailable` with `Retry-After`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence

from shared.domain import ids
from shared.domain.errors import InvalidInput, Unavailable, UpstreamError
from shared.domain.models import Caller
from shared.domain.search import SimilarSession
from shared.ports.embedder import Embedder
from shared.ports.session_store import SessionStore
from shared.ports.vector_index import Neighbor, VectorFilter, VectorIndex
from shared.services.ingest_service import INDEXED_ROLES
from shared.services.outages import EMBEDDINGS, VECTOR_SEARCH, Outages
from shared.services.session_service import session_key
from shared.services.text import snippet, terms

log = logging.getLogger(__name__)

UNAVAILABLE = "similar_unavailable"
SAMPLE_CHARS = 200


class SimilarSessions:
    def __init__(
        self,
        store: SessionStore,
        embedder: Callable[[], Embedder] | None,
        vectors: Callable[[], VectorIndex] | None,
        outages: Outages,
        *,
        sample_messages: int = 10,
        not_configured_retry_s: int = 300,
        per_session: int = 3,
        min_terms: int = 3,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._vectors = vectors
        self._outages = outages
        self._sample_messages = sample_messages
        self._not_configured_retry_s = not_configured_retry_s
        self._per_session = per_session
        self._min_terms = min_terms

    def find(self, caller: Caller, session_id: str, limit: int) -> list[SimilarSession]:
        key = session_key(caller, session_id)
        self._store.get_session(key)  # 404 for a foreign or unknown session
        if self._embedder is None or self._vectors is None:
            raise Unavailable(
                "similar conversations need Vector Search, which is not configured",
                code=UNAVAILABLE,
                retry_after_s=self._not_configured_retry_s,
            )
        if self._outages.reason(EMBEDDINGS, VECTOR_SEARCH) is not None:
            raise self._unavailable()
        texts = [
            m.content
            for m in self._store.recent_messages(key, self._sample_messages)
            if m.role in INDEXED_ROLES and m.content.strip()
        ]
        # Pleasantries ("thanks, that helps") are alike in every conversation: they would make
        # any two sessions look similar, so the query leaves them out when there is more.
        texts = [t for t in texts if len(terms(t)) >= self._min_terms] or texts
        if not texts:
            return []
        embedder = self._embedder()
        try:
            query = _mean(embedder.embed_documents(texts))
        except InvalidInput as exc:
            # The model will not embed this session's own texts: nothing is down.
            raise InvalidInput(
                "the embedding model refused this session's messages", code="query_rejected"
            ) from exc
        except (Unavailable, UpstreamError) as exc:
            raise self._failed(EMBEDDINGS, "embeddings_unavailable", exc) from exc
        try:
            neighbors = self._vectors().find_neighbors(
                query,
                where=VectorFilter(
                    tenant_id=caller.tenant_id,
                    user_id=caller.user_id,
                    model_id=embedder.model_id,
                ),
                # `per_session` per session; room for this session and deleted ones.
                limit=self._per_session * (2 * limit + 1),
                per_session=self._per_session,
            )
        except Unavailable as exc:
            raise self._failed(VECTOR_SEARCH, "vector_search_unavailable", exc) from exc
        except InvalidInput as exc:
            # Refused this one query: answer 503 to it without opening the circuit.
            log.warning("similar conversations: vector search refused the query: %s", exc)
            raise self._unavailable() from exc
        self._outages.recovered(EMBEDDINGS)
        self._outages.recovered(VECTOR_SEARCH)
        return self._read_back(caller, session_id, neighbors, limit)

    def _read_back(
        self, caller: Caller, session_id: str, neighbors: Sequence[Neighbor], limit: int
    ) -> list[SimilarSession]:
        # A session scores the mean of its `per_session` closest messages (a missing one counts
        # 0), so a session sharing several messages with this one beats one lucky message.
        matches: dict[str, list[tuple[str, float]]] = {}
        for n in neighbors:
            other = n.session_id or ids.session_of(n.id)
            if other != session_id:
                matches.setdefault(other, []).append((n.id, n.distance))
        best = {
            sid: (found[0][0], sum(d for _, d in found[: self._per_session]) / self._per_session)
            for sid, found in matches.items()
        }
        best = dict(sorted(best.items(), key=lambda item: -item[1][1]))
        sessions = {
            s.session_id: s
            for s in self._store.get_sessions(caller.tenant_id, caller.user_id, list(best))
        }
        samples = {
            m.message_id: m
            for m in self._store.get_messages(
                caller.tenant_id, caller.user_id, [mid for mid, _ in best.values()]
            )
        }
        found = [
            SimilarSession(
                session_id=sid,
                title=sessions[sid].title,
                score=round(score, 4),
                sample=snippet(samples[mid].content, [], SAMPLE_CHARS) if mid in samples else None,
            )
            for sid, (mid, score) in best.items()
            if sid in sessions
        ]
        return found[:limit]

    def _failed(self, dependency: str, reason: str, exc: Exception) -> Unavailable:
        """Remember the outage (search shares it, with the same reasons) and answer 503."""
        log.warning("similar conversations unavailable: %s: %s", reason, exc)
        self._outages.failed(dependency, reason)
        return self._unavailable()

    def _unavailable(self) -> Unavailable:
        return Unavailable(
            "similar conversations are unavailable for now (Vector Search or embeddings)",
            code=UNAVAILABLE,
            retry_after_s=self._outages.retry_after_s(EMBEDDINGS, VECTOR_SEARCH),
        )


def _mean(vectors: list[list[float]]) -> list[float]:
    """The normalised centroid: for unit vectors, the direction closest to all of them."""
    size = len(vectors[0])
    total = [sum(v[i] for v in vectors) for i in range(size)]
    norm = math.sqrt(sum(x * x for x in total)) or 1.0
    return [x / norm for x in total]
