"""bqemulator 1.4.0 differences from BigQuery that shaped the analysts' queries and the analytics
reader, pinned so that an emulator upgrade that changes one is noticed (and the workaround
revisited). See infra/bigquery/queries/README.md and shared/adapters/bigquery/analytics_reader.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from google.api_core.client_options import ClientOptions
from google.api_core.exceptions import BadRequest
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from tests.conftest import BigQueryEmulator

pytestmark = pytest.mark.timeout(60)
P = bigquery.ScalarQueryParameter


@pytest.fixture(scope="module")
def client(bigquery_emulator: BigQueryEmulator, project_id: str) -> bigquery.Client:
    return bigquery.Client(
        project=project_id,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=bigquery_emulator.endpoint),
    )


def one(client: bigquery.Client, sql: str, *params: bigquery.ScalarQueryParameter) -> dict:
    config = bigquery.QueryJobConfig(query_parameters=list(params))
    return dict(next(iter(client.query(sql, job_config=config).result())))


def test_gap_a_parameter_named_in_a_comment_counts_as_a_parameter(
    client: bigquery.Client,
) -> None:
    # BigQuery ignores comments; the emulator then has more placeholders than values.
    with pytest.raises(BadRequest, match="Parameter argument/count mismatch"):
        one(client, "-- uses @n\nSELECT @n AS n", P("n", "INT64", 1))
    assert one(client, "-- uses n\nSELECT @n AS n", P("n", "INT64", 1)) == {"n": 1}


def test_gap_weeks_truncated_to_monday_start_on_sunday(client: bigquery.Client) -> None:
    # BigQuery: 2026-03-02 (Monday). The queries compute weeks from epoch seconds instead.
    row = one(client, "SELECT DATE_TRUNC(DATE '2026-03-04', WEEK(MONDAY)) AS w")
    assert row == {"w": dt.date(2026, 3, 1)}
    seconds = "UNIX_SECONDS(TIMESTAMP '2026-03-04 10:00:00+00')"
    monday = one(
        client, f"SELECT TIMESTAMP_SECONDS({seconds} - MOD({seconds} - 345600, 604800)) AS w"
    )
    assert monday == {"w": dt.datetime(2026, 3, 2, tzinfo=dt.UTC)}


def test_gap_jobs_query_answers_no_rows_for_a_missing_table(client: bigquery.Client) -> None:
    # BigQuery: 404. The reader uses jobs.insert (`client.query`), which does fail.
    rows = client.query_and_wait("SELECT 1 AS x FROM `nowhere.t`", job_retry=None)  # type: ignore[arg-type]  # None turns the client's job retry off; its annotation leaves None out
    assert list(rows) == []
