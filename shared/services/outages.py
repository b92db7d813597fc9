"""Recent dependency failures, remembered per process for a short while (a circuit breaker).

After Vector Search, the embedder or BigQuery failed, requests go straight to their fallback (or
503) for `retry_s` instead of each waiting for the same timeout; the first request after that
tries the dependency again. Each function instance keeps its own memory: nothing is shared.

Each dependency has its own circuit, and only the dependency's own failure opens it: it being
down, timing out, or refusing our credentials. A request the dependency refuses because of that
request's own input (Vertex AI's 400 for a text it will not embed) is that caller's 4xx and
opens nothing, or one tenant's bad input would degrade every tenant.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

VECTOR_SEARCH = "vector_search"
EMBEDDINGS = "embeddings"
BIGQUERY = "bigquery"


class Outages:
    def __init__(self, retry_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._retry_s = retry_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failed: dict[str, tuple[float, str]] = {}

    def reason(self, *dependencies: str) -> str | None:
        """Why the first of `dependencies` considered down is, or None if all should be
        tried."""
        with self._lock:
            for dependency in dependencies:
                failed = self._failed.get(dependency)
                if failed is not None and self._clock() - failed[0] < self._retry_s:
                    return failed[1]
        return None

    def retry_after_s(self, *dependencies: str) -> int:
        """Whole seconds until all of `dependencies` are tried again (at least 1)."""
        with self._lock:
            times = [self._failed[d][0] for d in dependencies if d in self._failed]
        if not times:
            return 1
        return max(1, math.ceil(self._retry_s - (self._clock() - max(times))))

    def failed(self, dependency: str, reason: str) -> None:
        with self._lock:
            self._failed[dependency] = (self._clock(), reason)

    def recovered(self, dependency: str) -> None:
        with self._lock:
            self._failed.pop(dependency, None)
