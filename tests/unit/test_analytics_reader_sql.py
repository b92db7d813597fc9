"""The BigQuery analytics reader sends fixed SQL: whatever the request, the text is the same and
every value travels as a named query parameter (the emulator test shows the values are inert)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from google.cloud import bigquery

from shared.adapters.bigquery.analytics_reader import BigQueryAnalyticsReader
from shared.domain.search import AnalyticsQuery


class RecordingClient:
    """Enough of `bigquery.Client` for the reader: records each query, answers no rows."""

    project = "p"

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any], dict[str, Any]]] = []

    def query(self, sql: str, *, job_config: bigquery.QueryJobConfig, **kw: Any) -> Any:
        params = {p.name: p.value for p in job_config.query_parameters}
        self.calls.append((sql, params, kw))
        return self

    def result(self, **kw: Any) -> list[Any]:
        return []


def read(tenant: str, user: str | None) -> RecordingClient:
    client = RecordingClient()
    reader = BigQueryAnalyticsReader(client, "hs_prod", timeout_s=7)  # type: ignore[arg-type]  # a recording fake of the BigQuery client's query calls
    since, until = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 8, tzinfo=UTC)
    reader.read(AnalyticsQuery(tenant, user, since, until, "day"), max_models=5, max_texts=9)
    return client


def test_request_values_never_reach_the_sql_text() -> None:
    plain = read("acme", "ann")
    hostile = read("acme' OR '1'='1", "x`; DROP TABLE messages; --")

    assert sorted(sql for sql, _, _ in plain.calls) == sorted(sql for sql, _, _ in hostile.calls)
    for sql, params, _ in hostile.calls:
        assert "DROP" not in sql and "OR '1'='1" not in sql
        assert params["tenant_id"] == "acme' OR '1'='1"
        assert "`p.hs_prod.messages_dedup`" in sql
    assert len(plain.calls) == 5


def test_every_query_is_bounded_and_never_restarted() -> None:
    calls = read("acme", None).calls
    limits = {k: v for _, params, _ in calls for k, v in params.items() if k.startswith("max_")}
    assert limits == {"max_periods": 9, "max_models": 5, "max_texts": 9}
    for _, params, kw in calls:
        assert params["user_id"] is None
        assert kw["job_retry"] is None and kw["timeout"] == 7


def test_only_a_plain_dataset_id_is_accepted() -> None:
    with pytest.raises(ValueError):
        BigQueryAnalyticsReader(RecordingClient(), "hs_prod`.x", timeout_s=1)  # type: ignore[arg-type]  # a recording fake of the BigQuery client's query calls
