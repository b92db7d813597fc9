"""The analytics read port: aggregates over the deduplicated views, for one tenant (and user).

Adapters run parameterised queries only: nothing a request carries is pasted into SQL. They
raise `Unavailable` when the store cannot answer now (down, not provisioned) and
`UpstreamError` when it refuses a query.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime

from shared.domain.search import AnalyticsQuery

# Buckets of the activity series: (length, origin) in seconds since the epoch. Weeks start on
# Monday: 1970-01-05 was the first one.
BUCKETS: dict[str, tuple[int, int]] = {
    "hour": (3_600, 0),
    "day": (86_400, 0),
    "week": (604_800, 4 * 86_400),
}


@dataclass(frozen=True)
class Totals:
    messages: int = 0
    sessions: int = 0
    users: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(frozen=True)
class Period:
    start: datetime
    messages: int
    sessions: int
    users: int


@dataclass(frozen=True)
class ModelUsage:
    model: str
    replies: int
    input_tokens: int
    output_tokens: int
    latency_ms_p50: float | None
    latency_ms_p95: float | None


@dataclass(frozen=True)
class AnalyticsData:
    totals: Totals
    series: list[Period] = field(default_factory=list)
    by_model: list[ModelUsage] = field(default_factory=list)
    roles: dict[str, int] = field(default_factory=dict)
    texts: list[tuple[str, str]] = field(default_factory=list)
    """(session_id, content) of the most recent user messages, for topics."""


class AnalyticsReader(ABC):
    @abstractmethod
    def read(self, query: AnalyticsQuery, *, max_models: int, max_texts: int) -> AnalyticsData:
        """Every aggregate of `query`'s range, from the deduplicated views."""

    @abstractmethod
    def check(self) -> None:
        """A cheap call that fails (`Unavailable`) when `read` would."""
