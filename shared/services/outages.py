"""Recent dependency failures, remembered per process for a short while.

After Vector Search, the embedder or BigQuery failed, requests go straight to their fallback (or
503) for `retry_s` instead of each waiting for the same timeout; the first request after that
tries the dependency again. Each function instance keeps its own memory: nothing is shared.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

VECTOR_SEARCH = "vector_search"
BIGQUERY = "bigquery"


class Outages:
    def __init__(self, retry_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._retry_s = retry_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failed: dict[str, tuple[float, str]] = {}

    def reason(self, dependency: str) -> str | None:
        """Why `dependency` is considered down, or None if it should be tried."""
        with self._lock:
            failed = self._failed.get(dependency)
            if failed is None:
                return None
            at, reason = failed
            if self._clock() - at >= self._retry_s:
                return None
            return reason

    def retry_after_s(self, dependency: str) -> int:
        """Whole seconds until `dependency` is tried again (at least 1)."""
        with self._lock:
            failed = self._failed.get(dependency)
        if failed is None:
            return 1
        return max(1, math.ceil(self._retry_s - (self._clock() - failed[0])))

    def failed(self, dependency: str, reason: str) -> None:
        with self._lock:
            self._failed[dependency] = (self._clock(), reason)

    def recovered(self, dependency: str) -> None:
        with self._lock:
            self._failed.pop(dependency, None)
