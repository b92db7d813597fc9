"""The BigQuery analytics reader against the emulator, on the hand-counted history of
tests/conformance/bigquery_queries/seed.py (duplicate deliveries and an erased session)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import bigquery

from shared.adapters.bigquery.analytics_reader import BigQueryAnalyticsReader
from shared.domain.errors import Unavailable
from shared.domain.search import AnalyticsQuery
from shared.ports.analytics_reader import ModelUsage, Period, Totals
from tests.conformance.bigquery_queries.seed import SINCE, UNTIL, seed
from tests.conftest import BigQueryEmulator, unique_id

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def client(bigquery_emulator: BigQueryEmulator, project_id: str) -> bigquery.Client:
    return bigquery.Client(
        project=project_id,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=bigquery_emulator.endpoint),
    )


@pytest.fixture(scope="module")
def reader(client: bigquery.Client) -> Iterator[BigQueryAnalyticsReader]:
    name = unique_id("reader_")
    seed(client, name)
    yield BigQueryAnalyticsReader(client, name, timeout_s=30)
    client.delete_dataset(name, delete_contents=True, not_found_ok=True)


def read(reader: BigQueryAnalyticsReader, tenant: str, user: str | None, granularity: str = "day"):
    query = AnalyticsQuery(tenant, user, SINCE, UNTIL, granularity)  # type: ignore[arg-type]  # the test passes granularities as plain strings
    return reader.read(query, max_models=10, max_texts=100)


def test_a_users_numbers_count_each_message_once(reader: BigQueryAnalyticsReader) -> None:
    data = read(reader, "acme", "ann")

    assert data.totals == Totals(messages=6, sessions=2, users=1, input_tokens=230,
                                 output_tokens=115)  # fmt: skip
    assert data.series == [
        Period(datetime(2026, 3, 2, tzinfo=UTC), 4, 1, 1),
        Period(datetime(2026, 3, 10, tzinfo=UTC), 2, 1, 1),
    ]
    assert [(m.model, m.replies, m.input_tokens, m.output_tokens) for m in data.by_model] == [
        ("m1", 2, 220, 110),
        ("m2", 1, 10, 5),
    ]
    m1 = data.by_model[0]
    assert m1.latency_ms_p50 is not None and 200 <= m1.latency_ms_p50 <= 400
    assert data.roles == {"assistant": 3, "user": 3}
    assert sorted(data.texts) == [
        ("ann-bread", "user text 0 of ann-bread"),
        ("ann-trip", "user text 0 of ann-trip"),
        ("ann-trip", "user text 2 of ann-trip"),
    ]


def test_the_tenant_without_erased_sessions_by_week(reader: BigQueryAnalyticsReader) -> None:
    data = read(reader, "acme", None, "week")

    assert data.totals == Totals(messages=8, sessions=3, users=2, input_tokens=280,
                                 output_tokens=135)  # fmt: skip
    assert data.series == [
        Period(datetime(2026, 3, 2, tzinfo=UTC), 6, 2, 2),
        Period(datetime(2026, 3, 9, tzinfo=UTC), 2, 1, 1),
    ]
    assert data.by_model[0] == ModelUsage("m1", 3, 270, 130, data.by_model[0].latency_ms_p50,
                                          data.by_model[0].latency_ms_p95)  # fmt: skip


@pytest.mark.parametrize(
    ("tenant", "user"),
    [
        ("acme' OR '1'='1", None),
        ("acme", "ann' OR TRUE --"),
        ("acme`; DROP TABLE messages; --", None),
    ],
)
def test_an_injection_attempt_in_a_parameter_is_inert(
    reader: BigQueryAnalyticsReader, client: bigquery.Client, tenant: str, user: str | None
) -> None:
    data = read(reader, tenant, user)

    assert data.totals == Totals() and data.series == [] and data.texts == []
    assert read(reader, "acme", None).totals.messages == 8  # nothing dropped or changed


def test_a_missing_dataset_is_unavailable(client: bigquery.Client) -> None:
    with pytest.raises(Unavailable):
        BigQueryAnalyticsReader(client, "no_such_dataset", timeout_s=5).check()
