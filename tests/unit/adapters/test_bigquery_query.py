"""Every BigQuery query is bounded: no ten-minute job retry behind a request or a delivery."""

from __future__ import annotations

from typing import Any

from shared.adapters.bigquery._query import run_query


class _Job:
    def __init__(self, calls: list[dict[str, Any]]) -> None:
        self.calls = calls

    def result(self, **kwargs: Any) -> list[dict[str, int]]:
        self.calls.append({"call": "result", **kwargs})
        return [{"n": 1}]


class _Client:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def query(self, sql: str, **kwargs: Any) -> _Job:
        self.calls.append({"call": "query", "sql": sql, **kwargs})
        return _Job(self.calls)


def test_query_and_result_have_a_deadline_and_no_job_retry() -> None:
    client = _Client()
    assert list(run_query(client, "SELECT 1 AS n", [], timeout_s=3.0)) == [{"n": 1}]
    query, result = client.calls
    for call in (query, result):
        assert call["job_retry"] is None
        assert call["timeout"] == 3.0
        assert call["retry"].deadline == 3.0
    config = query["job_config"]
    assert config.use_legacy_sql is False and config.query_parameters == []
