"""Which features are live, degraded or off, and why (GET /v1/status).

Chat and session lookup need only Firestore (and the LLM), which this function does not probe:
they are reported live. Search is `degraded` (keyword fallback) and similar conversations `off`
when Vector Search is not configured or failing; analytics is `off` when BigQuery is. The
checks (a tiny embedding, a filtered zero-vector query, a `WHERE FALSE` BigQuery query) run at
most once per `status_cache_s` per instance, and a failure seen by a real request counts at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from shared.ports.analytics_reader import AnalyticsReader
from shared.ports.embedder import Embedder
from shared.ports.vector_index import VectorFilter, VectorIndex
from shared.services.message_search import NOT_CONFIGURED
from shared.services.outages import BIGQUERY, EMBEDDINGS, VECTOR_SEARCH, Outages

# A tenant id no caller can have (ids never hold spaces): the probe matches nothing.
log = logging.getLogger(__name__)

_PROBE_TENANT = " status probe "


class FeatureStatus:
    def __init__(
        self,
        *,
        embedder: Callable[[], Embedder] | None,
        vectors: Callable[[], VectorIndex] | None,
        analytics: Callable[[], AnalyticsReader] | None,
        outages: Outages,
        cache_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._embedder = embedder
        self._vectors = vectors
        self._analytics = analytics
        self._outages = outages
        self._cache_s = cache_s
        self._clock = clock
        self._lock = threading.Lock()
        self._checked: dict[str, tuple[float, str | None]] = {}

    def features(self) -> dict[str, dict[str, Any]]:
        # Side by side: a status answer waits for the slower check, not for both.
        with ThreadPoolExecutor(max_workers=2) as pool:
            vectors = pool.submit(
                self._problem, VECTOR_SEARCH, self._check_vectors, (EMBEDDINGS, VECTOR_SEARCH)
            )
            bigquery = pool.submit(self._problem, BIGQUERY, self._check_bigquery, (BIGQUERY,))
            vector_problem, bigquery_problem = vectors.result(), bigquery.result()
        return {
            "chat": {"state": "live"},
            "sessions": {"state": "live"},
            "search": _state(vector_problem, when_down="degraded"),
            "similar": _state(vector_problem, when_down="off"),
            "analytics": _state(bigquery_problem, when_down="off"),
        }

    def _problem(
        self, feature: str, check: Callable[[], str | None], dependencies: tuple[str, ...]
    ) -> str | None:
        """A failure a real request saw on one of `dependencies`, else the (cached) probe."""
        recent = self._outages.reason(*dependencies)
        if recent is not None:
            return recent
        now = self._clock()
        with self._lock:
            cached = self._checked.get(feature)
        if cached is not None and now - cached[0] < self._cache_s:
            return cached[1]
        problem = check()
        with self._lock:
            self._checked[feature] = (now, problem)
        return problem

    def _check_vectors(self) -> str | None:
        if self._embedder is None or self._vectors is None:
            return NOT_CONFIGURED
        # Any failure, a misconfigured client included, is a state to report, never a 500.
        try:
            vector = self._embedder().embed_query("status")
        except Exception as exc:
            log.warning("status: embeddings: %s", exc)
            return "embeddings_unavailable"
        try:
            self._vectors().find_neighbors(
                vector, where=VectorFilter(tenant_id=_PROBE_TENANT), limit=1
            )
        except Exception as exc:
            log.warning("status: vector search: %s", exc)
            return "vector_search_unavailable"
        return None

    def _check_bigquery(self) -> str | None:
        if self._analytics is None:
            return "analytics_not_configured"
        try:
            self._analytics().check()
        except Exception as exc:
            log.warning("status: bigquery: %s", exc)
            return "analytics_unavailable"
        return None


def _state(problem: str | None, *, when_down: str) -> dict[str, Any]:
    if problem is None:
        return {"state": "live"}
    return {"state": when_down, "reason": problem}
