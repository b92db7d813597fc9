"""infra/bigquery/queries/*.sql: rendered like the views, run through the official client
against the BigQuery emulator on the hand-counted history of `seed.py` (duplicate deliveries
and an erased session included), with exact numbers expected."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from emulators.launcher import REPO_ROOT
from emulators.provision import render_template
from tests.conformance.bigquery_queries.seed import SINCE, UNTIL, seed
from tests.conftest import BigQueryEmulator, unique_id

pytestmark = pytest.mark.timeout(120)

QUERIES = REPO_ROOT / "infra" / "bigquery" / "queries"
P = bigquery.ScalarQueryParameter
RANGE = [P("since", "TIMESTAMP", SINCE), P("until", "TIMESTAMP", UNTIL)]


@pytest.fixture(scope="module")
def client(bigquery_emulator: BigQueryEmulator, project_id: str) -> bigquery.Client:
    return bigquery.Client(
        project=project_id,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=bigquery_emulator.endpoint),
    )


@pytest.fixture(scope="module")
def dataset(client: bigquery.Client) -> Iterator[str]:
    name = unique_id("analysts_")
    seed(client, name)
    yield name
    client.delete_dataset(name, delete_contents=True, not_found_ok=True)


def run(client: bigquery.Client, dataset: str, name: str, *params: Any) -> list[dict[str, Any]]:
    template = (QUERIES / f"{name}.sql").read_text(encoding="utf-8")
    sql = render_template(template, {"project": client.project, "dataset": dataset})
    config = bigquery.QueryJobConfig(query_parameters=[*RANGE, *params])
    return [dict(row) for row in client.query(sql, job_config=config).result()]


def prices(**table: tuple[float, float]) -> bigquery.ArrayQueryParameter:
    return bigquery.ArrayQueryParameter(
        "prices",
        "STRUCT",
        [
            bigquery.StructQueryParameter(
                None,
                P("model", "STRING", model),
                P("input_usd_per_million", "FLOAT64", usd_in),
                P("output_usd_per_million", "FLOAT64", usd_out),
            )
            for model, (usd_in, usd_out) in table.items()
        ],
    )


def test_every_query_uses_placeholders_and_named_range_parameters() -> None:
    files = sorted(QUERIES.glob("*.sql"))
    assert {p.stem for p in files} == {
        "daily_activity", "cost_by_model", "long_sessions", "retention_cohorts",
    }  # fmt: skip
    for path in files:
        text = Path(path).read_text(encoding="utf-8")
        assert "`${project}.${dataset}.messages_dedup`" in text, path.name
        assert "@since" in text and "@until" in text, path.name
        assert ".messages`" not in text, f"{path.name} reads the raw table"


def test_daily_activity(client: bigquery.Client, dataset: str) -> None:
    rows = run(client, dataset, "daily_activity")
    day = dt.date
    assert rows == [
        {"day": day(2026, 3, 2), "messages": 4, "user_messages": 2, "replies": 2, "sessions": 1,
         "active_users": 1, "input_tokens": 220, "output_tokens": 110},
        {"day": day(2026, 3, 3), "messages": 2, "user_messages": 1, "replies": 1, "sessions": 1,
         "active_users": 1, "input_tokens": 50, "output_tokens": 20},
        {"day": day(2026, 3, 9), "messages": 2, "user_messages": 1, "replies": 1, "sessions": 1,
         "active_users": 1, "input_tokens": 7, "output_tokens": 3},
        {"day": day(2026, 3, 10), "messages": 2, "user_messages": 1, "replies": 1, "sessions": 1,
         "active_users": 1, "input_tokens": 10, "output_tokens": 5},
    ]  # fmt: skip


def test_daily_activity_respects_the_range(client: bigquery.Client, dataset: str) -> None:
    narrow = [
        P("since", "TIMESTAMP", dt.datetime(2026, 3, 3, tzinfo=dt.UTC)),
        P("until", "TIMESTAMP", dt.datetime(2026, 3, 10, tzinfo=dt.UTC)),
    ]
    template = (QUERIES / "daily_activity.sql").read_text(encoding="utf-8")
    sql = render_template(template, {"project": client.project, "dataset": dataset})
    config = bigquery.QueryJobConfig(query_parameters=narrow)
    days = [row["day"] for row in client.query(sql, job_config=config).result()]
    assert days == [dt.date(2026, 3, 3), dt.date(2026, 3, 9)]


def test_cost_by_model(client: bigquery.Client, dataset: str) -> None:
    rows = run(client, dataset, "cost_by_model", prices(m1=(0.3, 2.5), m2=(1.0, 4.0)))
    assert rows == [
        {"tenant_id": "acme", "model": "m1", "replies": 3, "input_tokens": 270,
         "output_tokens": 130, "cost_usd": 0.000406},
        {"tenant_id": "acme", "model": "m2", "replies": 1, "input_tokens": 10,
         "output_tokens": 5, "cost_usd": 0.00003},
        {"tenant_id": "other", "model": "m2", "replies": 1, "input_tokens": 7,
         "output_tokens": 3, "cost_usd": 0.000019},
    ]  # fmt: skip


def test_cost_of_an_unpriced_model_is_null(client: bigquery.Client, dataset: str) -> None:
    rows = run(client, dataset, "cost_by_model", prices(m1=(1.0, 1.0)))
    costs = {(r["tenant_id"], r["model"]): r["cost_usd"] for r in rows}
    assert costs == {("acme", "m1"): 0.0004, ("acme", "m2"): None, ("other", "m2"): None}


def test_long_sessions(client: bigquery.Client, dataset: str) -> None:
    limits = [P("min_messages", "INT64", 2), P("max_rows", "INT64", 3)]
    rows = run(client, dataset, "long_sessions", *limits)
    summary = [
        (r["session_id"], r["title"], r["messages"], r["tokens"], r["duration_minutes"])
        for r in rows
    ]
    assert summary == [
        ("ann-trip", "Paris trip, booked", 4, 330, 31),
        ("ann-bread", "Bread", 2, 15, 1),
        ("bob-chat", "Bob's chat", 2, 70, 1),
    ]
    only = run(client, dataset, "long_sessions", P("min_messages", "INT64", 3),
               P("max_rows", "INT64", 10))  # fmt: skip
    assert [r["session_id"] for r in only] == ["ann-trip"]
    assert only[0]["first_message_at"] == dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)


def test_retention_cohorts(client: bigquery.Client, dataset: str) -> None:
    rows = run(client, dataset, "retention_cohorts")
    assert [
        (r["tenant_id"], r["cohort_week"], r["weeks_after"], r["cohort_users"],
         r["active_users"], r["retention"])
        for r in rows
    ] == [
        ("acme", dt.date(2026, 3, 2), 0, 2, 2, 1.0),
        ("acme", dt.date(2026, 3, 2), 1, 2, 1, 0.5),
        ("other", dt.date(2026, 3, 9), 0, 1, 1, 1.0),
    ]  # fmt: skip
