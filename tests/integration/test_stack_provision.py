"""Provisioning from the files Terraform reads: layouts in a temp dir, the real infra/ layout,
and the Pub/Sub topics and subscriptions, each checked through the official clients."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from google.cloud import bigquery

from emulators.launcher import REPO_ROOT, ManagedProcess, free_port
from emulators.provision import (
    DeliveryPolicy,
    LayoutError,
    bigquery_client,
    load_layout,
    provision_bigquery,
    provision_pubsub,
    pubsub_clients,
    render_template,
)
from shared.config import Settings
from tests.conftest import BigQueryEmulator, unique_id

SCHEMA = [
    {"name": "id", "type": "STRING", "mode": "REQUIRED", "description": "Row id."},
    {"name": "tenant_id", "type": "STRING", "mode": "REQUIRED"},
    {"name": "at", "type": "TIMESTAMP", "mode": "REQUIRED"},
    {"name": "n", "type": "INT64", "mode": "NULLABLE"},
]


def write_layout(root: Path, views: dict[str, str], **table: object) -> Path:
    (root / "schemas").mkdir(parents=True, exist_ok=True)
    (root / "views").mkdir(exist_ok=True)
    (root / "schemas" / "events.json").write_text(json.dumps(SCHEMA))
    spec = {
        "schema": "schemas/events.json",
        "description": "Test events.",
        "time_partitioning": {"type": "DAY", "field": "at"},
        "clustering": ["tenant_id"],
        **table,
    }
    (root / "tables.json").write_text(json.dumps({"tables": {"events": spec}}))
    for name, sql in views.items():
        (root / "views" / f"{name}.sql").write_text(sql)
    return root


LATEST = (
    "SELECT * FROM `${project}.${dataset}.events` "
    "QUALIFY ROW_NUMBER() OVER (PARTITION BY id ORDER BY at DESC) = 1"
)
# Named so that alphabetical order would be wrong: it reads `latest`.
COUNTS = "SELECT tenant_id, COUNT(*) AS n FROM `${project}.${dataset}.latest` GROUP BY tenant_id"


def test_views_come_after_the_views_they_read(tmp_path: Path) -> None:
    layout = load_layout(write_layout(tmp_path, {"latest": LATEST, "a_counts": COUNTS}))
    assert [v.view_id for v in layout.views] == ["latest", "a_counts"]
    assert layout.tables[0].partition_field == "at"
    assert layout.tables[0].clustering == ["tenant_id"]


@pytest.mark.parametrize(
    ("table", "views", "code"),
    [
        ({"clustering": ["nope"]}, {}, "unknown_column"),
        ({"time_partitioning": {"type": "DAY", "field": "nope"}}, {}, "unknown_column"),
        ({"clustering": ["id", "tenant_id", "at", "n", "id"]}, {}, "too_many_clustering_fields"),
        ({"schema": "schemas/missing.json"}, {}, "missing_schema"),
        ({}, {"events": LATEST}, "name_clash"),
        ({}, {"x": "SELECT * FROM ${dataset}.y", "y": "SELECT * FROM ${dataset}.x"}, "view_cycle"),
    ],
)
def test_inconsistent_layout_is_refused_with_a_code(
    tmp_path: Path, table: dict[str, object], views: dict[str, str], code: str
) -> None:
    with pytest.raises(LayoutError) as error:
        load_layout(write_layout(tmp_path, views, **table))
    assert error.value.code == code


def test_template_rendering_follows_terraform_templatefile() -> None:
    rendered = render_template("`${project}.${ dataset }.t`", {"project": "p", "dataset": "d"})
    assert rendered == "`p.d.t`"
    assert render_template("$${x} ${a}", {"a": "1"}) == "${x} 1"
    with pytest.raises(LayoutError) as error:
        render_template("${table}", {"project": "p"})
    assert error.value.code == "unknown_template_variable"


@pytest.fixture
def bq(bigquery_emulator: BigQueryEmulator) -> bigquery.Client:
    return bigquery_client(bigquery_emulator.endpoint, unique_id("prov-"))


def test_tables_and_views_are_created_from_the_files(bq: bigquery.Client, tmp_path: Path) -> None:
    layout = load_layout(write_layout(tmp_path, {"latest": LATEST, "a_counts": COUNTS}))
    created = provision_bigquery(bq, "analytics", "US", layout)
    assert created == [f"{bq.project}.analytics{suffix}" for suffix in ("", ".events")] + [
        f"{bq.project}.analytics.{view}" for view in ("latest", "a_counts")
    ]
    table = bq.get_table(f"{bq.project}.analytics.events")
    assert (table.time_partitioning.type_, table.time_partitioning.field) == ("DAY", "at")
    assert table.clustering_fields == ["tenant_id"]
    assert [f.name for f in table.schema] == [c["name"] for c in SCHEMA]
    assert table.schema[0].description == "Row id."
    rows = [{"id": "a", "tenant_id": "t", "at": "2026-11-27T00:00:00Z"}] * 2
    assert bq.insert_rows_json(table, rows, row_ids=["a", "a"]) == []
    counts = bq.query(f"SELECT * FROM `{bq.project}.analytics.a_counts`").result()
    assert [dict(r) for r in counts] == [{"tenant_id": "t", "n": 1}]


def test_provisioning_twice_keeps_data_and_applies_changed_views(
    bq: bigquery.Client, tmp_path: Path
) -> None:
    provision_bigquery(bq, "analytics", "US", load_layout(write_layout(tmp_path, {"v": LATEST})))
    bq.insert_rows_json(f"{bq.project}.analytics.events", [{"id": "a", "tenant_id": "t", "at": 0}])
    changed = "SELECT id FROM `${project}.${dataset}.events`"
    provision_bigquery(bq, "analytics", "US", load_layout(write_layout(tmp_path, {"v": changed})))
    rows = bq.query(f"SELECT * FROM `{bq.project}.analytics.v`").result()
    assert [dict(r) for r in rows] == [{"id": "a"}]


def test_the_infra_layout_provisions_and_every_view_runs(bq: bigquery.Client) -> None:
    """The real infra/bigquery files: what Terraform applies is valid SQL on these tables."""
    layout = load_layout()
    assert {"messages", "sessions"} <= {t.table_id for t in layout.tables}
    provision_bigquery(bq, "hs_test", "US", layout)
    for view in layout.views:
        bq.query(f"SELECT * FROM `{bq.project}.hs_test.{view.view_id}` LIMIT 1").result()


# --- Pub/Sub --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pubsub_host() -> Iterator[str]:
    """Our Pub/Sub emulator when it exists in the tree, else Google's when gcloud is installed."""
    if (REPO_ROOT / "emulators" / "pubsub" / "__main__.py").exists():
        from tests.conftest import start_emulator

        process = start_emulator("pubsub-provision", "emulators.pubsub")
    elif shutil.which("gcloud"):
        port = free_port()
        process = ManagedProcess(
            name="pubsub-official",
            argv=[
                "gcloud",
                "beta",
                "emulators",
                "pubsub",
                "start",
                f"--host-port=127.0.0.1:{port}",
            ],
            host="127.0.0.1",
            port=port,
        ).start(timeout=60)
    else:
        pytest.skip("no Pub/Sub emulator: neither emulators/pubsub nor gcloud is available")
    try:
        yield process.address
    finally:
        process.stop()


def test_topics_and_subscriptions_follow_the_settings(pubsub_host: str) -> None:
    settings = Settings(GOOGLE_CLOUD_PROJECT=unique_id("prov-"), messages_topic=unique_id("t-"))
    publisher, subscriber = pubsub_clients(pubsub_host)
    policy = DeliveryPolicy(max_delivery_attempts=7, minimum_backoff_seconds=1)
    endpoint = "http://127.0.0.1:9/"
    first = provision_pubsub(publisher, subscriber, settings, endpoint, policy)
    assert provision_pubsub(publisher, subscriber, settings, endpoint, policy) == first

    project = f"projects/{settings.project}"
    topics = {t.name for t in publisher.list_topics(project=project)}
    assert topics == {
        f"{project}/topics/{settings.messages_topic}",
        f"{project}/topics/{settings.dead_letter_topic}",
    }
    push = subscriber.get_subscription(
        subscription=f"{project}/subscriptions/{settings.ingest_subscription}"
    )
    assert push.topic == f"{project}/topics/{settings.messages_topic}"
    assert push.push_config.push_endpoint == endpoint
    assert (
        push.dead_letter_policy.dead_letter_topic
        == f"{project}/topics/{settings.dead_letter_topic}"
    )
    assert push.dead_letter_policy.max_delivery_attempts == 7
    assert push.retry_policy.minimum_backoff == timedelta(seconds=1)
    dead_letters = subscriber.get_subscription(
        subscription=f"{project}/subscriptions/{settings.dead_letter_subscription}"
    )
    assert dead_letters.topic == f"{project}/topics/{settings.dead_letter_topic}"
    assert not dead_letters.push_config.push_endpoint


def test_without_an_ingest_endpoint_no_push_subscription_is_made(pubsub_host: str) -> None:
    settings = Settings(GOOGLE_CLOUD_PROJECT=unique_id("prov-"))
    publisher, subscriber = pubsub_clients(pubsub_host)
    made = provision_pubsub(publisher, subscriber, settings, push_endpoint=None)
    assert not any(settings.ingest_subscription in name for name in made)
