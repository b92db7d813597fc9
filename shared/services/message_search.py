"""Search a caller's conversation history by meaning, or by keywords when it must.

By meaning: the query is embedded as a retrieval query and Vector Search returns the caller's
nearest messages (restricts: tenant AND user always; session, role, time range and the
embedding model when asked or known). Texts are then read back from Firestore in one batched
read, so a message deleted since it was indexed is dropped and nothing stale is shown.

Paging: a page token holds an offset into the ranking of one query (its text and filters are
bound to the token). Each page asks Vector Search for the `offset + limit + 1` best, never more
than `search_max_results`, and reads those back; results end at that depth.

Retention: with `retention_days`, the vector query asks only for messages created within it
(Vector Search has no TTL, so expired vectors stay in the index until removed), and the
read-back drops whatever the store says has expired.

Fallback: when Vector Search or the embedder is not configured, failing, or failed less than
`degraded_retry_s` ago, a bounded keyword search runs over the caller's most recent sessions
(`search_fallback_sessions` x their last `search_fallback_messages` messages) in Firestore,
scored by the share of query terms a message contains. The answer says `degraded: true` and why.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

from shared.domain import page_tokens
from shared.domain.errors import InvalidInput, Unavailable, UpstreamError
from shared.domain.models import Caller, Message
from shared.domain.search import SearchAnswer, SearchHit, SearchQuery
from shared.ports.embedder import Embedder
from shared.ports.session_store import SessionKey, SessionStore
from shared.ports.vector_index import Neighbor, VectorFilter, VectorIndex, fuse
from shared.services.ingest_service import INDEXED_ROLES
from shared.services.keywords import query_terms
from shared.services.outages import EMBEDDINGS, VECTOR_SEARCH, Outages
from shared.services.session_service import session_key
from shared.services.speaker_cue import speaker_cue
from shared.services.text import snippet, terms, words
from shared.services.time_words import time_window

log = logging.getLogger(__name__)

NOT_CONFIGURED = "vector_search_not_configured"
_FALLBACK_READERS = 8


Ranking = Literal["dense", "keyword", "hybrid"]
RANKINGS: tuple[str, ...] = ("dense", "keyword", "hybrid")


@dataclass(frozen=True)
class SearchLimits:
    max_results: int = 100
    fallback_sessions: int = 20
    fallback_messages: int = 50
    retention_days: int | None = None
    ranking: Ranking = "dense"
    dense_weight: float = 0.5
    """Hybrid: the dense ranking's RRF weight; the keyword ranking gets the rest."""
    time_words: bool = True
    """Rank up the messages of a time the query names ("last week")."""
    speaker_cue: bool = True
    """Rank up the replies when the query asks what the assistant said, and the other way."""


@dataclass(frozen=True)
class _Ranked:
    message: Message
    score: float


class MessageSearch:
    def __init__(
        self,
        store: SessionStore,
        embedder: Callable[[], Embedder] | None,
        vectors: Callable[[], VectorIndex] | None,
        outages: Outages,
        limits: SearchLimits = SearchLimits(),
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`embedder`/`vectors` are None when Vector Search is not configured."""
        self._store = store
        self._embedder = embedder
        self._vectors = vectors
        self._outages = outages
        self._limits = limits
        self._clock = clock

    def search(self, caller: Caller, query: SearchQuery) -> SearchAnswer:
        if query.session_id is not None:
            # A foreign or unknown session is 404, as everywhere else.
            self._store.get_session(session_key(caller, query.session_id))
        offset = self._offset(query)
        depth = min(offset + query.limit + 1, self._limits.max_results)
        reason = self.unavailable_reason()
        ranked: list[_Ranked] = []
        if reason is None:
            try:
                ranked = self._by_meaning(caller, query, depth)
                self._outages.recovered(EMBEDDINGS)
                self._outages.recovered(VECTOR_SEARCH)
            except _Degraded as exc:
                reason = exc.reason
                log.warning("search falls back to keywords: %s: %s", reason, exc.__cause__)
                if exc.dependency is not None:
                    self._outages.failed(exc.dependency, reason)
        if reason is not None:
            ranked = self._by_keywords(caller, query)[:depth]
        needles = terms(query.text)
        page = [_hit(r, needles) for r in ranked[offset : offset + query.limit]]
        more = len(ranked) > offset + query.limit
        token = self._token(query, offset + query.limit) if more else None
        return SearchAnswer(page, reason is not None, reason, token)

    def unavailable_reason(self) -> str | None:
        """Why search would answer from the fallback now, or None."""
        if self._embedder is None or self._vectors is None:
            return NOT_CONFIGURED
        return self._outages.reason(EMBEDDINGS, VECTOR_SEARCH)

    # --- by meaning ----------------------------------------------------------------------------

    def _by_meaning(self, caller: Caller, query: SearchQuery, depth: int) -> list[_Ranked]:
        assert self._embedder is not None and self._vectors is not None
        embedder = self._embedder()
        ranking = self._limits.ranking
        vector: list[float] = []
        if ranking != "keyword":
            try:
                vector = embedder.embed_query(query.text)
            except InvalidInput as exc:
                # This caller's text, not the model, is the problem: theirs is the 400.
                raise InvalidInput(
                    "the embedding model refused the query text", code="query_rejected"
                ) from exc
            except Unavailable as exc:
                raise _Degraded("embeddings_unavailable", EMBEDDINGS) from exc
            except UpstreamError as exc:
                raise _Degraded("embeddings_error", EMBEDDINGS) from exc
        where = VectorFilter(
            tenant_id=caller.tenant_id,
            user_id=caller.user_id,
            session_ids=(query.session_id,) if query.session_id else (),
            roles=(query.role,) if query.role else (),
            model_id=embedder.model_id,
            created_after=self._created_after(query),
            # Vector Search compares whole seconds: widen by one, filter exactly after read-back.
            created_before=query.until + timedelta(seconds=1) if query.until else None,
        )
        window = time_window(query.text, self._clock()) if self._limits.time_words else None
        keywords = query_terms(query.text.replace(window.phrase, " ") if window else query.text)
        vectors = self._vectors()
        # Cues in the query narrow extra rankings, fused with the unrestricted one: the
        # messages they point at rise without the others being dropped.
        narrowed: list[VectorFilter] = []
        if window is not None and (inside := _narrowed(where, window.start, window.end)):
            narrowed.append(inside)
        role = speaker_cue(query.text) if self._limits.speaker_cue and not query.role else None
        if role is not None:
            narrowed.append(replace(where, roles=(role,)))
        # A fused ranking's prefix changes with the depth of the rankings it fuses, so those
        # are always as deep as a search can page: page 2 continues page 1.
        pool = depth if ranking == "dense" and not narrowed else self._limits.max_results
        try:
            neighbors = self._ranked(vectors, vector, keywords, where, pool)
            if narrowed:
                rankings = [neighbors] + [
                    self._ranked(vectors, vector, keywords, n, pool) for n in narrowed
                ]
                neighbors = fuse(rankings, [1.0] * len(rankings), pool)
            neighbors = neighbors[:depth]
        except Unavailable as exc:
            raise _Degraded("vector_search_unavailable", VECTOR_SEARCH) from exc
        except InvalidInput as exc:
            if exc.code == NOT_CONFIGURED:
                raise _Degraded(NOT_CONFIGURED, VECTOR_SEARCH) from exc
            # Vector Search refused this one query: answer it from the fallback, and leave
            # everyone else's searches alone.
            raise _Degraded("vector_search_error", None) from exc
        scores = {n.id: n.distance for n in neighbors}
        messages = self._store.get_messages(caller.tenant_id, caller.user_id, list(scores))
        ranked = [_Ranked(m, scores[m.message_id]) for m in messages if _matches(m, query)]
        # Best first; among equal scores the newer message (recency breaks ties).
        ranked.sort(key=lambda r: (-r.score, -r.message.created_at.timestamp()))
        return ranked

    def _ranked(
        self,
        vectors: VectorIndex,
        vector: list[float],
        keywords: dict[str, float],
        where: VectorFilter,
        depth: int,
    ) -> list[Neighbor]:
        ranking = self._limits.ranking
        if ranking == "dense":
            return vectors.find_neighbors(vector, where=where, limit=depth)
        if ranking == "keyword":
            return vectors.find_by_terms(keywords, where=where, limit=depth)
        return vectors.find_hybrid(
            vector, keywords, where=where, limit=depth, dense_weight=self._limits.dense_weight
        )

    def _created_after(self, query: SearchQuery) -> datetime | None:
        """The query's own lower bound, raised to the retention cutoff when there is one."""
        days = self._limits.retention_days
        if days is None:
            return query.since
        cutoff = self._clock() - timedelta(days=days)
        return cutoff if query.since is None else max(query.since, cutoff)

    # --- by keywords (the fallback) --------------------------------------------------------------

    def _by_keywords(self, caller: Caller, query: SearchQuery) -> list[_Ranked]:
        needles = terms(query.text)
        phrase = " ".join(words(query.text))
        ranked = [
            _Ranked(m, score)
            for m in self._recent_messages(caller, query)
            if _matches(m, query) and (score := _keyword_score(m.content, needles, phrase)) > 0
        ]
        ranked.sort(key=lambda r: (-r.score, -r.message.created_at.timestamp(), r.message.seq))
        return ranked

    def _recent_messages(self, caller: Caller, query: SearchQuery) -> list[Message]:
        if query.session_id is not None:
            session_ids = [query.session_id]
        else:
            page = self._store.list_sessions(
                caller.tenant_id,
                caller.user_id,
                status=None,
                page_size=self._limits.fallback_sessions,
                page_token=None,
            )
            session_ids = [s.session_id for s in page.items]
        keys = [SessionKey(caller.tenant_id, caller.user_id, sid) for sid in session_ids]
        read = self._limits.fallback_messages
        if len(keys) <= 1:
            return [m for k in keys for m in self._store.recent_messages(k, read)]
        with ThreadPoolExecutor(max_workers=min(_FALLBACK_READERS, len(keys))) as pool:
            batches = pool.map(lambda k: self._store.recent_messages(k, read), keys)
            return [m for batch in batches for m in batch]

    # --- page tokens ---------------------------------------------------------------------------

    def _kind(self, query: SearchQuery) -> str:
        digest = hashlib.sha256(json.dumps(query.fingerprint(), sort_keys=True).encode())
        return f"search:{digest.hexdigest()[:16]}"

    def _offset(self, query: SearchQuery) -> int:
        cursor = page_tokens.decode(query.page_token, self._kind(query))
        if cursor is None:
            return 0
        offset = page_tokens.require(cursor, "o", int)
        if not 0 < offset < self._limits.max_results:
            raise InvalidInput(
                "page_token is not a token this query issued", code="invalid_page_token"
            )
        return offset

    def _token(self, query: SearchQuery, offset: int) -> str:
        return page_tokens.encode(self._kind(query), {"o": offset})


class _Degraded(Exception):
    """Search by meaning cannot answer now; `reason` is the code the answer carries, and
    `dependency` the circuit to open (None: only this request falls back)."""

    def __init__(self, reason: str, dependency: str | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.dependency = dependency


def _narrowed(where: VectorFilter, start: datetime, end: datetime) -> VectorFilter | None:
    """`where` inside [start, end), or None when the two do not overlap."""
    after = max(start, where.created_after) if where.created_after else start
    before = min(end, where.created_before) if where.created_before else end
    return replace(where, created_after=after, created_before=before) if after < before else None


def _matches(message: Message, query: SearchQuery) -> bool:
    """The filters Vector Search would have applied, on a message read from Firestore."""
    return (
        message.role in INDEXED_ROLES
        and (query.role is None or message.role == query.role)
        and (query.since is None or message.created_at >= query.since)
        and (query.until is None or message.created_at < query.until)
    )


def _keyword_score(content: str, needles: list[str], phrase: str) -> float:
    """Share of the query's terms the text contains, plus a half term for the whole phrase."""
    present = set(words(content))
    matched = sum(1 for n in needles if n in present)
    if not matched:
        return 0.0
    whole = 0.5 if len(needles) > 1 and phrase in " ".join(words(content)) else 0.0
    return round((matched + whole) / (len(needles) + 0.5), 4)


def _hit(ranked: _Ranked, needles: list[str]) -> SearchHit:
    m = ranked.message
    return SearchHit(
        message_id=m.message_id,
        session_id=m.session_id,
        role=m.role,
        content=m.content,
        snippet=snippet(m.content, needles),
        created_at=m.created_at,
        score=round(ranked.score, 4),
    )
