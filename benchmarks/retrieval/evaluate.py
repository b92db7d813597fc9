"""Run the product's search and "similar conversations" over an evaluation set and score them.

The set's conversations go into an in-memory session store (search reads message texts back
from it) and, through the product's own ingest path (`IngestService.index_messages`), into the
vector backend under test. Each question is then asked through `MessageSearch.search` as its
user, with the search's clock at the question's `asked_at`; each similar case through
`SimilarSessions.find`. Latency is the wall time of `search()` with the query's embedding
already computed (the embedding's own time is measured by the `search` section), so it is the
ranking's and the backend's time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from benchmarks.retrieval.dataset import EvalSet
from benchmarks.retrieval.scorer import Scores, hit_at_1, score
from shared.adapters.in_memory.analytics_sink import InMemoryAnalyticsSink
from shared.adapters.in_memory.session_store import InMemorySessionStore
from shared.domain.models import Caller, NewMessage, Session
from shared.domain.search import SearchQuery
from shared.ports.analytics_sink import MessageRecord
from shared.ports.embedder import Embedder
from shared.ports.session_store import SessionKey
from shared.ports.vector_index import VectorIndex
from shared.services.index_text import IndexTextBuilder, NeighbourMode
from shared.services.ingest_service import IngestService
from shared.services.message_search import MessageSearch, SearchLimits
from shared.services.outages import Outages
from shared.services.similar_sessions import SimilarSessions

INDEX_BATCH = 64
DEPTH = 10
DEFAULT_LIMITS = SearchLimits()


class CachedEmbedder(Embedder):
    """Each distinct text embedded once per run, whichever backend or mode asks again."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.model_id = inner.model_id
        self.dimensions = inner.dimensions
        self._documents: dict[str, list[float]] = {}
        self._queries: dict[str, list[float]] = {}

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(t for t in texts if t not in self._documents))
        if missing:
            self._documents.update(zip(missing, self._inner.embed_documents(missing), strict=True))
        return [self._documents[t] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        if text not in self._queries:
            self._queries[text] = self._inner.embed_query(text)
        return self._queries[text]


class LocalMiniLM(Embedder):
    """The Vertex emulator's model without HTTP, for quick runs outside the stack."""

    def __init__(self) -> None:
        from emulators.vertex.minilm import get_model, limit_blas_threads

        limit_blas_threads()
        self._model = get_model()
        self.model_id = "text-embedding-005@384"
        self.dimensions = 384

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [e.values.tolist() for e in self._model.embed(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


@dataclass(frozen=True)
class Outcome:
    scores: Scores
    similar_hit1: float | None
    results: dict[str, list[str]]


def _clock(when: datetime) -> Callable[[], datetime]:
    return lambda: when


def seed_store(evalset: EvalSet) -> InMemorySessionStore:
    store = InMemorySessionStore()
    for s in evalset.sessions:
        first = s.messages[0].created_at
        store.create_session(
            Session(
                session_id=s.session_id,
                tenant_id=s.tenant_id,
                user_id=s.user_id,
                title=s.title,
                created_at=first,
                updated_at=s.messages[-1].created_at,
            )
        )
        key = SessionKey(s.tenant_id, s.user_id, s.session_id)
        batch = [
            NewMessage(role=m.role, content=m.content, created_at=m.created_at, metadata={})  # type: ignore[arg-type]  # the data set's roles are plain strings
            for m in s.messages
        ]
        _, stored = store.append_messages(key, batch, now=s.messages[-1].created_at)
        if [m.message_id for m in stored] != [m.message_id for m in s.messages]:
            raise ValueError(f"{s.session_id}: message ids are not <session>-<seq> from 0")
    return store


def index_set(
    evalset: EvalSet,
    store: InMemorySessionStore,
    embedder: Embedder,
    vectors: VectorIndex,
    neighbours: NeighbourMode = "pair",
) -> int:
    """Index every message the way ingest does, in batches (a neighbour outside the batch is
    read back from the store); returns how many were indexed."""
    ingest = IngestService(
        analytics=InMemoryAnalyticsSink(),
        embedder=embedder,
        vectors=vectors,
        index_text=IndexTextBuilder(store.get_messages, neighbours),
    )
    records = []
    for s in evalset.sessions:
        key = SessionKey(s.tenant_id, s.user_id, s.session_id)
        for message in store.list_messages(key, order="asc", page_size=1000, page_token=None).items:
            records.append(
                MessageRecord(
                    tenant_id=s.tenant_id,
                    user_id=s.user_id,
                    event_id=f"eval-{message.message_id}",
                    message=message.data(),
                )
            )
    return sum(
        ingest.index_messages(records[i : i + INDEX_BATCH])
        for i in range(0, len(records), INDEX_BATCH)
    )


def evaluate(
    evalset: EvalSet,
    store: InMemorySessionStore,
    embedder: Embedder,
    vectors: VectorIndex,
    limits: SearchLimits = DEFAULT_LIMITS,
) -> Outcome:
    """Ask every question and similar case of `evalset` (one split) against indexed data."""
    asked_at = {q.asked_at for q in evalset.questions} or {datetime.now(UTC)}
    results: dict[str, list[str]] = {}
    latencies: list[float] = []
    searches = {
        when: MessageSearch(
            store,
            lambda: embedder,
            lambda: vectors,
            Outages(15.0),
            limits,
            clock=_clock(when),
        )
        for when in asked_at
    }
    for q in evalset.questions:
        embedder.embed_query(q.query)  # warm the cache: latency is the ranking's own
        caller = Caller(tenant_id=q.tenant_id, user_id=q.user_id, auth_method="dev")
        began = time.perf_counter()
        answer = searches[q.asked_at].search(caller, SearchQuery(text=q.query, limit=DEPTH))
        latencies.append((time.perf_counter() - began) * 1000)
        if answer.degraded:
            raise RuntimeError(f"search degraded on {q.id}: {answer.reason}")
        results[q.id] = [hit.message_id for hit in answer.results]
    scores = score(evalset, evalset.questions, results, latencies)
    hit1 = None
    if evalset.similar:
        similar = SimilarSessions(store, lambda: embedder, lambda: vectors, Outages(15.0))
        found = {
            c.id: [
                s.session_id
                for s in similar.find(
                    Caller(tenant_id=c.tenant_id, user_id=c.user_id, auth_method="dev"),
                    c.session_id,
                    5,
                )
            ]
            for c in evalset.similar
        }
        hit1 = hit_at_1(evalset.similar, found)
    return Outcome(scores, hit1, results)
