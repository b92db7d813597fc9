"""Analytics: validation, permissions, rendering and outage handling, over a stub reader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.auth import dev_caller
from shared.domain.errors import InvalidInput, PermissionDenied, Unavailable
from shared.domain.models import Caller
from shared.domain.search import AnalyticsQuery
from shared.ports.analytics_reader import AnalyticsData, AnalyticsReader, ModelUsage, Period, Totals
from shared.services.analytics_service import AnalyticsService
from shared.services.outages import Outages
from shared.services.topics import top_topics

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
ALICE = Caller(tenant_id="t1", user_id="alice", auth_method="dev")
ADMIN = dev_caller("dev:t1:root:admin,ops")


class StubReader(AnalyticsReader):
    def __init__(self, data: AnalyticsData | None = None) -> None:
        self.data = data or AnalyticsData(totals=Totals())
        self.queries: list[AnalyticsQuery] = []
        self.down = False

    def read(self, query: AnalyticsQuery, *, max_models: int, max_texts: int) -> AnalyticsData:
        self.queries.append(query)
        if self.down:
            raise Unavailable("bigquery: connection refused")
        return self.data

    def check(self) -> None:
        if self.down:
            raise Unavailable("bigquery: connection refused")


class Ticks:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def service(reader: StubReader, ticks: Ticks | None = None) -> AnalyticsService:
    return AnalyticsService(
        lambda: reader, Outages(15, clock=ticks or Ticks()), max_days=400, clock=lambda: NOW
    )


def report(svc: AnalyticsService, who: Caller = ALICE, **kw: object) -> dict:
    args = {"since": None, "until": None, "granularity": "day", "scope": "user", **kw}
    return svc.report(who, **args)  # type: ignore[arg-type]  # report arguments passed by name


def test_defaults_to_the_last_30_days_of_the_caller() -> None:
    reader = StubReader()
    out = report(service(reader))
    assert reader.queries == [AnalyticsQuery("t1", "alice", NOW - timedelta(days=30), NOW, "day")]
    assert out["since"] == NOW - timedelta(days=30) and out["granularity"] == "day"
    assert len(out["series"]) == 31  # partial first day included


def test_tenant_scope_needs_the_admin_role() -> None:
    reader = StubReader()
    with pytest.raises(PermissionDenied) as denied:
        report(service(reader), scope="tenant")
    assert denied.value.code == "admin_required" and not reader.queries

    assert ADMIN.roles == {"admin", "ops"}
    report(service(reader), ADMIN, scope="tenant")
    assert reader.queries[-1].user_id is None and reader.queries[-1].tenant_id == "t1"


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"since": NOW, "until": NOW - timedelta(seconds=1)}, "invalid_time_range"),
        ({"since": NOW - timedelta(days=401), "until": NOW}, "time_range_too_long"),
        ({"since": NOW - timedelta(days=50), "granularity": "hour"}, "too_many_periods"),
        ({"granularity": "month"}, "invalid_granularity"),
        ({"scope": "everyone"}, "invalid_scope"),
    ],
)
def test_ranges_are_bounded(kw: dict, code: str) -> None:
    with pytest.raises(InvalidInput) as error:
        report(service(StubReader()), **kw)
    assert error.value.code == code


def test_renders_totals_series_with_empty_periods_models_roles_and_topics() -> None:
    day = datetime(2026, 3, 9, tzinfo=UTC)
    data = AnalyticsData(
        totals=Totals(messages=6, sessions=2, users=1, input_tokens=30, output_tokens=12),
        series=[Period(day, 6, 2, 1)],
        by_model=[ModelUsage("gemini-x", 3, 30, 12, 10.0, 20.0)],
        roles={"user": 3, "assistant": 3},
        texts=[("s1", "paris flights in may"), ("s2", "paris flights again"), ("s2", "bread")],
    )
    out = report(
        service(StubReader(data)),
        since=datetime(2026, 3, 8, 12, tzinfo=UTC),
        until=datetime(2026, 3, 10, tzinfo=UTC),
    )
    assert out["totals"] == {
        "messages": 6, "sessions": 2, "users": 1, "input_tokens": 30, "output_tokens": 12,
        "messages_per_session": 3.0,
    }  # fmt: skip
    assert out["series"] == [
        {"period": datetime(2026, 3, 8, tzinfo=UTC), "messages": 0, "sessions": 0, "users": 0},
        {"period": day, "messages": 6, "sessions": 2, "users": 1},
    ]
    assert out["by_model"][0]["latency_ms_p95"] == 20.0
    assert out["roles"] == {"user": 3, "assistant": 3}
    assert out["top_topics"][0] == {"phrase": "paris flights", "sessions": 2, "mentions": 2}


def test_weeks_start_on_monday() -> None:
    out = report(
        service(StubReader()),
        since=datetime(2026, 3, 4, tzinfo=UTC),  # a Wednesday
        until=datetime(2026, 3, 17, tzinfo=UTC),
        granularity="week",
    )
    assert [p["period"].isoformat() for p in out["series"]] == [
        "2026-03-02T00:00:00+00:00",
        "2026-03-09T00:00:00+00:00",
        "2026-03-16T00:00:00+00:00",
    ]


def test_bigquery_down_is_503_analytics_unavailable_and_is_not_retried_at_once() -> None:
    reader, ticks = StubReader(), Ticks()
    svc = service(reader, ticks)
    reader.down = True
    with pytest.raises(Unavailable) as first:
        report(svc)
    assert first.value.code == "analytics_unavailable" and first.value.retry_after_s == 15
    ticks.now = 10
    with pytest.raises(Unavailable) as second:
        report(svc)
    assert len(reader.queries) == 1 and second.value.retry_after_s == 5
    reader.down = False
    ticks.now = 16
    report(svc)
    assert len(reader.queries) == 2


def test_topics_are_keyphrases_spread_over_sessions_not_word_counts() -> None:
    texts = [
        ("s1", "Booking a flight to Paris. Paris hotels near the Louvre?"),
        ("s2", "Cheap flights to Paris in May"),
        ("s3", "Sourdough bread keeps failing; my sourdough bread is dense"),
        ("s4", "Sourdough bread hydration"),
        ("s5", "banana " * 30),  # repeated in one session: not a topic
    ]
    phrases = [t.phrase for t in top_topics(texts, 4)]
    assert phrases[0] == "sourdough bread"
    assert set(phrases[1:3]) == {"paris", "flight"}
    assert "banana" not in phrases[:3]


def test_every_granularity_has_its_bucket() -> None:
    from shared.ports.analytics_reader import BUCKETS
    from shared.services.analytics_service import GRANULARITIES

    assert set(GRANULARITIES) == set(BUCKETS)
