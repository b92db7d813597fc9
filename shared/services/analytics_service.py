"""Conversation analytics for a caller (or, for an admin, the caller's tenant).

Validation bounds the work: the range is at most `analytics_max_days` and `MAX_PERIODS` buckets
of the granularity; models and topic texts are capped. BigQuery down, not provisioned, or failed
less than `degraded_retry_s` ago is 503 `analytics_unavailable` with `Retry-After`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.domain.errors import InvalidInput, PermissionDenied, Unavailable
from shared.domain.models import Caller
from shared.domain.search import ADMIN_ROLE, AnalyticsQuery, Granularity, check_range
from shared.ports.analytics_reader import BUCKETS, AnalyticsData, AnalyticsReader
from shared.services.outages import BIGQUERY, Outages
from shared.services.topics import top_topics

GRANULARITIES: tuple[Granularity, ...] = ("hour", "day", "week")  # the keys of BUCKETS
log = logging.getLogger(__name__)

UNAVAILABLE = "analytics_unavailable"
DEFAULT_DAYS = 30
MAX_PERIODS = 1_000
MAX_MODELS = 50
MAX_TOPIC_TEXTS = 2_000
TOP_TOPICS = 10


class AnalyticsService:
    def __init__(
        self,
        reader: Callable[[], AnalyticsReader],
        outages: Outages,
        *,
        max_days: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._reader = reader
        self._outages = outages
        self._max_days = max_days
        self._clock = clock

    def report(
        self,
        caller: Caller,
        *,
        since: datetime | None,
        until: datetime | None,
        granularity: str,
        scope: str,
    ) -> dict[str, Any]:
        query = self.query(caller, since=since, until=until, granularity=granularity, scope=scope)
        if self._outages.reason(BIGQUERY) is not None:
            raise self._unavailable()
        try:
            data = self._reader().read(query, max_models=MAX_MODELS, max_texts=MAX_TOPIC_TEXTS)
        except Unavailable as exc:
            log.warning("analytics unavailable: %s", exc)
            self._outages.failed(BIGQUERY, UNAVAILABLE)
            raise self._unavailable() from exc
        self._outages.recovered(BIGQUERY)
        return _render(query, data, scope)

    def query(
        self,
        caller: Caller,
        *,
        since: datetime | None,
        until: datetime | None,
        granularity: str,
        scope: str,
    ) -> AnalyticsQuery:
        """The validated query: range defaults, bounds, and the admin check for a tenant."""
        picked = next((g for g in GRANULARITIES if g == granularity), None)
        if picked is None:
            raise InvalidInput("granularity must be hour, day or week", code="invalid_granularity")
        if scope not in ("user", "tenant"):
            raise InvalidInput("scope must be user or tenant", code="invalid_scope")
        if scope == "tenant" and ADMIN_ROLE not in caller.roles:
            raise PermissionDenied("tenant analytics need the admin role", code="admin_required")
        until = until or self._clock()
        since = since or until - timedelta(days=DEFAULT_DAYS)
        check_range(since, until)
        if until - since > timedelta(days=self._max_days):
            raise InvalidInput(
                f"the range is longer than {self._max_days} days", code="time_range_too_long"
            )
        bucket = BUCKETS[granularity][0]
        if (until - since).total_seconds() / bucket > MAX_PERIODS:
            raise InvalidInput(
                f"more than {MAX_PERIODS} periods of one {granularity}: use a coarser "
                "granularity or a shorter range",
                code="too_many_periods",
            )
        return AnalyticsQuery(
            tenant_id=caller.tenant_id,
            user_id=None if scope == "tenant" else caller.user_id,
            since=since,
            until=until,
            granularity=picked,
        )

    def _unavailable(self) -> Unavailable:
        return Unavailable(
            "analytics are unavailable for now (BigQuery)",
            code=UNAVAILABLE,
            retry_after_s=self._outages.retry_after_s(BIGQUERY),
        )


def _render(query: AnalyticsQuery, data: AnalyticsData, scope: str) -> dict[str, Any]:
    totals = dataclasses.asdict(data.totals)
    sessions = data.totals.sessions
    totals["messages_per_session"] = round(data.totals.messages / sessions, 2) if sessions else 0.0
    return {
        "scope": scope,
        "since": query.since,
        "until": query.until,
        "granularity": query.granularity,
        "totals": totals,
        "series": _series(query, data),
        "by_model": [dataclasses.asdict(m) for m in data.by_model],
        "roles": data.roles,
        "top_topics": [dataclasses.asdict(t) for t in top_topics(data.texts, TOP_TOPICS)],
    }


def _series(query: AnalyticsQuery, data: AnalyticsData) -> list[dict[str, Any]]:
    """Every period of the range, empty ones included, so a chart has no holes."""
    bucket, origin = BUCKETS[query.granularity]
    seen = {int(p.start.timestamp()): p for p in data.series}
    first = int(query.since.timestamp())
    start = first - (first - origin) % bucket
    out = []
    while start < query.until.timestamp():
        period = seen.get(start)
        out.append(
            {
                "period": datetime.fromtimestamp(start, UTC),
                "messages": period.messages if period else 0,
                "sessions": period.sessions if period else 0,
                "users": period.users if period else 0,
            }
        )
        start += bucket
    return out
