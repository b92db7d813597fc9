"""Analytics end to end: chats through the gateway reach BigQuery through ingest; duplicate
deliveries are then written straight into the raw table; GET /v1/analytics must still equal a
direct count over the stored data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud import bigquery

from emulators.provision import bigquery_client
from emulators.stack import Stack
from tests.conftest import unique_id
from tests.integration.test_search_api import Api, eventually

P = bigquery.ScalarQueryParameter


@pytest.fixture(scope="module")
def bq(stack: Stack) -> bigquery.Client:
    if not (stack.has("search") and stack.has("ingest") and stack.has("bigquery")):
        pytest.skip(f"stack incomplete: {stack.skipped}")
    return bigquery_client(stack.url("bigquery"), stack.config.settings.project)


def rows(client: bigquery.Client, sql: str, **params: Any) -> list[dict[str, Any]]:
    config = bigquery.QueryJobConfig(
        query_parameters=[P(k, "STRING", v) for k, v in params.items()]
    )
    return [dict(r) for r in client.query(sql, job_config=config).result()]


def test_analytics_equal_a_direct_count_despite_duplicate_deliveries(
    stack: Stack, bq: bigquery.Client
) -> None:
    table = f"{bq.project}.{stack.config.settings.bigquery_dataset}"
    tenant = unique_id("t")
    carol, dave = Api(stack, tenant, "carol"), Api(stack, tenant, "dave")
    first = carol.chat("Plan a weekend hiking trip in the Alps")["session_id"]
    carol.chat("What gear do I need for hiking in the Alps?", first)
    carol.chat("Recommend a hiking trail near Geneva")
    dave.chat("Tell me about hiking boots")
    visible = f"SELECT COUNT(*) AS n FROM `{table}.messages_dedup` WHERE tenant_id = @t"
    eventually(lambda: rows(bq, visible, t=tenant)[0]["n"] == 8)

    # At-least-once delivery, as BigQuery may keep it: every row stored a second time.
    stored = rows(bq, f"SELECT * FROM `{table}.messages` WHERE tenant_id = @t", t=tenant)
    later = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    copies = [
        {k: v.isoformat() if isinstance(v, datetime) else v for k, v in r.items()}
        | {"ingested_at": later}
        for r in stored
    ]
    assert not bq.insert_rows_json(f"{table}.messages", copies)
    raw = f"SELECT COUNT(*) AS n FROM `{table}.messages` WHERE tenant_id = @t"
    assert rows(bq, raw, t=tenant)[0]["n"] == 16

    direct = rows(
        bq,
        f"""
        SELECT COUNT(*) AS messages, COUNT(DISTINCT session_id) AS sessions,
               COUNT(DISTINCT user_id) AS users,
               COALESCE(SUM(input_tokens), 0) AS input_tokens,
               COALESCE(SUM(output_tokens), 0) AS output_tokens,
               COUNTIF(role = 'assistant') AS replies
        FROM (
          SELECT message_id, ANY_VALUE(session_id) AS session_id, ANY_VALUE(user_id) AS user_id,
                 ANY_VALUE(role) AS role, ANY_VALUE(input_tokens) AS input_tokens,
                 ANY_VALUE(output_tokens) AS output_tokens
          FROM `{table}.messages`
          WHERE tenant_id = @t AND user_id = @u
          GROUP BY message_id
        )
        """,
        t=tenant,
        u="carol",
    )[0]
    assert direct["messages"] == 6 and direct["replies"] == 3 and direct["input_tokens"] > 0

    window = {
        "since": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "until": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        "granularity": "hour",
    }
    response = carol.call("GET", "/v1/analytics", params=window)
    assert response.status_code == 200, response.text
    report = response.json()
    totals = report["totals"]
    assert {k: totals[k] for k in ("messages", "sessions", "users", "input_tokens",
                                   "output_tokens")} == {
        k: direct[k] for k in ("messages", "sessions", "users", "input_tokens", "output_tokens")
    }  # fmt: skip
    assert totals["messages_per_session"] == 3.0
    assert sum(p["messages"] for p in report["series"]) == 6
    assert sum(m["replies"] for m in report["by_model"]) == direct["replies"]
    assert report["roles"] == {"assistant": 3, "user": 3}
    assert "hiking" in {t["phrase"] for t in report["top_topics"]}

    denied = carol.call("GET", "/v1/analytics", params={**window, "scope": "tenant"})
    assert denied.status_code == 403
    admin = Api(stack, tenant, "root", roles="admin")
    whole = admin.call("GET", "/v1/analytics", params={**window, "scope": "tenant"}).json()
    assert whole["totals"]["messages"] == 8 and whole["totals"]["users"] == 2
