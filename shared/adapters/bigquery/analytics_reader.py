"""`AnalyticsReader` on BigQuery: parameterised queries over `messages_dedup`.

Every value from a request (tenant, user, times, bucket size, limits) is a named query
parameter; the SQL text is fixed, apart from the dataset name, which comes from configuration
and is checked. The queries run side by side (one request waits for the slowest, not the sum),
each bounded by `HS_BIGQUERY_TIMEOUT_S` for its calls and retries, and never restarted as a job.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from shared.adapters.bigquery._errors import translate
from shared.adapters.bigquery._query import run_query
from shared.domain.errors import InvalidInput, UpstreamError
from shared.domain.search import AnalyticsQuery
from shared.ports.analytics_reader import (
    BUCKETS,
    AnalyticsData,
    AnalyticsReader,
    ModelUsage,
    Period,
    Totals,
)

if TYPE_CHECKING:
    from google.cloud import bigquery

    from shared.config import Settings

_DATASET = re.compile(r"[A-Za-z0-9_]{1,1024}")
MESSAGES_VIEW = "messages_dedup"

# The caller's messages in the range; @user_id NULL = the whole tenant.
_SCOPE = """
WITH m AS (
  SELECT *
  FROM `{view}`
  WHERE tenant_id = @tenant_id
    AND (@user_id IS NULL OR user_id = @user_id)
    AND created_at >= @since AND created_at < @until
)
"""

TOTALS = """
SELECT
  COUNT(*) AS messages,
  COUNT(DISTINCT session_id) AS sessions,
  COUNT(DISTINCT user_id) AS users,
  COALESCE(SUM(input_tokens), 0) AS input_tokens,
  COALESCE(SUM(output_tokens), 0) AS output_tokens
FROM m
"""

# Buckets by arithmetic on epoch seconds, so the bucket size is a parameter too.
SERIES = """
SELECT
  TIMESTAMP_SECONDS(UNIX_SECONDS(created_at) - MOD(UNIX_SECONDS(created_at) - @origin, @bucket))
    AS period,
  COUNT(*) AS messages,
  COUNT(DISTINCT session_id) AS sessions,
  COUNT(DISTINCT user_id) AS users
FROM m
GROUP BY period
ORDER BY period
LIMIT @max_periods
"""

BY_MODEL = """
SELECT
  model,
  COUNT(*) AS replies,
  COALESCE(SUM(input_tokens), 0) AS input_tokens,
  COALESCE(SUM(output_tokens), 0) AS output_tokens,
  APPROX_QUANTILES(latency_ms, 100)[OFFSET(50)] AS latency_ms_p50,
  APPROX_QUANTILES(latency_ms, 100)[OFFSET(95)] AS latency_ms_p95
FROM m
WHERE role = 'assistant' AND model IS NOT NULL
GROUP BY model
ORDER BY replies DESC, model
LIMIT @max_models
"""

ROLES = """
SELECT role, COUNT(*) AS messages
FROM m
GROUP BY role
ORDER BY role
"""

TEXTS = """
SELECT session_id, content
FROM m
WHERE role = 'user' AND content IS NOT NULL
ORDER BY created_at DESC
LIMIT @max_texts
"""

CHECK = "SELECT COUNT(*) AS n FROM `{view}` WHERE FALSE"


class BigQueryAnalyticsReader(AnalyticsReader):
    def __init__(self, client: bigquery.Client, dataset: str, *, timeout_s: float = 10.0) -> None:
        if not _DATASET.fullmatch(dataset):
            raise ValueError(f"not a BigQuery dataset id: {dataset!r}")
        self._client = client
        self._view = f"{client.project}.{dataset}.{MESSAGES_VIEW}"
        self._timeout_s = timeout_s

    @classmethod
    def from_settings(cls, settings: Settings) -> BigQueryAnalyticsReader:
        from shared.adapters.bigquery.client import build_client

        return cls(
            build_client(settings), settings.bigquery_dataset, timeout_s=settings.bigquery_timeout_s
        )

    def read(self, query: AnalyticsQuery, *, max_models: int, max_texts: int) -> AnalyticsData:
        from google.cloud.bigquery import ScalarQueryParameter as P

        scope = [
            P("tenant_id", "STRING", query.tenant_id),
            P("user_id", "STRING", query.user_id),
            P("since", "TIMESTAMP", query.since),
            P("until", "TIMESTAMP", query.until),
        ]
        bucket, origin = BUCKETS[query.granularity]
        max_periods = (query.until - query.since).total_seconds() // bucket + 2
        jobs = {
            "totals": (TOTALS, scope),
            "series": (
                SERIES,
                [
                    *scope,
                    P("bucket", "INT64", bucket),
                    P("origin", "INT64", origin),
                    P("max_periods", "INT64", int(max_periods)),
                ],
            ),
            "by_model": (BY_MODEL, [*scope, P("max_models", "INT64", max_models)]),
            "roles": (ROLES, scope),
            "texts": (TEXTS, [*scope, P("max_texts", "INT64", max_texts)]),
        }
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            futures = {
                name: pool.submit(self._rows, _SCOPE.format(view=self._view) + sql, params)
                for name, (sql, params) in jobs.items()
            }
            rows = {name: future.result() for name, future in futures.items()}
        totals = rows["totals"][0] if rows["totals"] else {}
        return AnalyticsData(
            totals=Totals(**{k: int(totals.get(k) or 0) for k in Totals.__dataclass_fields__}),
            series=[
                Period(r["period"], r["messages"], r["sessions"], r["users"])
                for r in rows["series"]
            ],
            by_model=[
                ModelUsage(
                    model=r["model"],
                    replies=r["replies"],
                    input_tokens=r["input_tokens"],
                    output_tokens=r["output_tokens"],
                    latency_ms_p50=_float(r["latency_ms_p50"]),
                    latency_ms_p95=_float(r["latency_ms_p95"]),
                )
                for r in rows["by_model"]
            ],
            roles={r["role"]: r["messages"] for r in rows["roles"]},
            texts=[(r["session_id"], r["content"]) for r in rows["texts"]],
        )

    def check(self) -> None:
        self._rows(CHECK.format(view=self._view), [])

    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        try:
            return [dict(row) for row in run_query(self._client, sql, params, self._timeout_s)]
        except Exception as exc:
            error = translate(exc, "analytics query")
            if isinstance(error, InvalidInput):
                # Our SQL refused: a bug or a schema drift, never the caller's input.
                raise UpstreamError(error.message, code="analytics_query_rejected") from exc
            raise error from exc


def _float(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)
