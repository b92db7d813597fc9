"""Create locally what Terraform creates in the cloud, from the files Terraform reads.

- BigQuery: `infra/bigquery/tables.json` names each table with its schema file (BigQuery's JSON
  schema format), DAY partitioning and clustering; `infra/bigquery/views/<view>.sql` holds each
  view, with `${project}` and `${dataset}` filled in as Terraform's `templatefile` does.
- Pub/Sub: the messages topic, its dead-letter topic with a pull subscription that keeps the dead
  letters, and the push subscription that delivers events to the ingest function. Names come
  from `shared.config.Settings` (the variables Terraform sets), never from literals here.

Everything is idempotent: running it against resources that already exist changes nothing but
view queries, so the stack can re-provision an emulator after restarting it.
"""

from __future__ import annotations

import contextlib
import graphlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulators.launcher import REPO_ROOT

if TYPE_CHECKING:
    from google.cloud import bigquery
    from google.pubsub_v1 import PublisherClient, SubscriberClient

    from shared.config import Settings

BIGQUERY_INFRA = REPO_ROOT / "infra" / "bigquery"

_PLACEHOLDER = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_DATASET_REFERENCE = re.compile(r"\$\{dataset\}\.(\w+)")


class LayoutError(ValueError):
    """The files under infra/bigquery are inconsistent; `code` is machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class TableSpec:
    table_id: str
    schema: list[dict[str, Any]]
    description: str | None = None
    partition_type: str | None = None
    partition_field: str | None = None
    clustering: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ViewSpec:
    view_id: str
    template: str

    def render(self, project: str, dataset: str) -> str:
        return render_template(self.template, {"project": project, "dataset": dataset})

    def references(self) -> set[str]:
        """Names this view reads from the dataset (tables or other views)."""
        return set(_DATASET_REFERENCE.findall(self.template))


@dataclass(frozen=True)
class BigQueryLayout:
    tables: list[TableSpec]
    views: list[ViewSpec]
    """In creation order: a view comes after every view it reads."""


def render_template(template: str, variables: dict[str, str]) -> str:
    """Terraform `templatefile` interpolation for plain `${name}` references and `$${` escapes."""

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        name = match.group(1).strip()
        if name not in variables:
            raise LayoutError(
                "unknown_template_variable",
                f"${{{name}}} is not one of {sorted(variables)}",
            )
        return variables[name]

    return _PLACEHOLDER.sub(substitute, template)


def load_layout(root: Path = BIGQUERY_INFRA) -> BigQueryLayout:
    spec_path = root / "tables.json"
    try:
        spec = json.loads(spec_path.read_text())
    except FileNotFoundError as exc:
        raise LayoutError("missing_tables_json", f"{spec_path} does not exist") from exc
    except json.JSONDecodeError as exc:
        raise LayoutError("invalid_tables_json", f"{spec_path}: {exc}") from exc
    tables = [_table_spec(root, table_id, entry) for table_id, entry in spec["tables"].items()]
    views = {
        path.stem: ViewSpec(view_id=path.stem, template=path.read_text())
        for path in sorted((root / "views").glob("*.sql"))
    }
    clash = {t.table_id for t in tables} & views.keys()
    if clash:
        raise LayoutError("name_clash", f"both a table and a view: {sorted(clash)}")
    return BigQueryLayout(tables=tables, views=[views[name] for name in _view_order(views)])


def _table_spec(root: Path, table_id: str, entry: dict[str, Any]) -> TableSpec:
    schema_path = root / entry["schema"]
    try:
        schema = json.loads(schema_path.read_text())
    except FileNotFoundError as exc:
        raise LayoutError("missing_schema", f"{table_id}: {schema_path} does not exist") from exc
    columns = {column["name"] for column in schema}
    partitioning = entry.get("time_partitioning") or {}
    partition_field = partitioning.get("field")
    clustering = list(entry.get("clustering", []))
    for column in [partition_field, *clustering]:
        if column is not None and column not in columns:
            raise LayoutError(
                "unknown_column", f"{table_id}: {column!r} is not in {schema_path.name}"
            )
    if len(clustering) > 4:
        raise LayoutError("too_many_clustering_fields", f"{table_id}: BigQuery allows 4")
    return TableSpec(
        table_id=table_id,
        schema=schema,
        description=entry.get("description"),
        partition_type=partitioning.get("type", "DAY") if partitioning else None,
        partition_field=partition_field,
        clustering=clustering,
    )


def _view_order(views: dict[str, ViewSpec]) -> list[str]:
    graph = {name: view.references() & views.keys() for name, view in views.items()}
    try:
        return list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as exc:
        raise LayoutError("view_cycle", f"views read each other in a cycle: {exc.args[1]}") from exc


def provision_bigquery(
    client: bigquery.Client, dataset: str, location: str, layout: BigQueryLayout
) -> list[str]:
    """Create the dataset, tables and views; returns the ids it made sure of."""
    from google.cloud import bigquery

    project = client.project
    dataset_ref = bigquery.Dataset(f"{project}.{dataset}")
    dataset_ref.location = location
    client.create_dataset(dataset_ref, exists_ok=True)
    created = [f"{project}.{dataset}"]
    for spec in layout.tables:
        table = bigquery.Table(
            f"{project}.{dataset}.{spec.table_id}",
            schema=[bigquery.SchemaField.from_api_repr(column) for column in spec.schema],
        )
        table.description = spec.description
        if spec.partition_type:
            table.time_partitioning = bigquery.TimePartitioning(
                type_=spec.partition_type, field=spec.partition_field
            )
        table.clustering_fields = spec.clustering or None
        client.create_table(table, exists_ok=True)
        created.append(f"{project}.{dataset}.{spec.table_id}")
    for view_spec in layout.views:
        view = bigquery.Table(f"{project}.{dataset}.{view_spec.view_id}")
        view.view_query = view_spec.render(project, dataset)
        view.view_use_legacy_sql = False
        existing = client.create_table(view, exists_ok=True)
        if existing.view_query != view.view_query:
            existing.view_query = view.view_query
            client.update_table(existing, ["view_query"])
        created.append(f"{project}.{dataset}.{view_spec.view_id}")
    return created


@dataclass(frozen=True)
class DeliveryPolicy:
    """Push subscription settings; the defaults are Pub/Sub's own (and Terraform's)."""

    ack_deadline_seconds: int = 60
    max_delivery_attempts: int = 5
    minimum_backoff_seconds: int = 10
    maximum_backoff_seconds: int = 600


def provision_pubsub(
    publisher: PublisherClient,
    subscriber: SubscriberClient,
    settings: Settings,
    push_endpoint: str | None,
    policy: DeliveryPolicy = DeliveryPolicy(),
) -> list[str]:
    """Topics and subscriptions; the ingest push subscription only when its endpoint is known."""
    from google.api_core.exceptions import AlreadyExists
    from google.protobuf import duration_pb2
    from google.pubsub_v1 import types

    project = settings.project
    topic = publisher.topic_path(project, settings.messages_topic)
    dead_letter_topic = publisher.topic_path(project, settings.dead_letter_topic)
    for name in (topic, dead_letter_topic):
        with contextlib.suppress(AlreadyExists):
            publisher.create_topic(name=name)
    subscriptions = [
        types.Subscription(
            name=subscriber.subscription_path(project, settings.dead_letter_subscription),
            topic=dead_letter_topic,
            ack_deadline_seconds=policy.ack_deadline_seconds,
        )
    ]
    if push_endpoint:
        subscriptions.append(
            types.Subscription(
                name=subscriber.subscription_path(project, settings.ingest_subscription),
                topic=topic,
                push_config=types.PushConfig(push_endpoint=push_endpoint),
                ack_deadline_seconds=policy.ack_deadline_seconds,
                dead_letter_policy=types.DeadLetterPolicy(
                    dead_letter_topic=dead_letter_topic,
                    max_delivery_attempts=policy.max_delivery_attempts,
                ),
                retry_policy=types.RetryPolicy(
                    minimum_backoff=duration_pb2.Duration(seconds=policy.minimum_backoff_seconds),
                    maximum_backoff=duration_pb2.Duration(seconds=policy.maximum_backoff_seconds),
                ),
            )
        )
    for subscription in subscriptions:
        with contextlib.suppress(AlreadyExists):
            subscriber.create_subscription(request=subscription)
    return [topic, dead_letter_topic, *(s.name for s in subscriptions)]


def bigquery_client(endpoint: str, project: str) -> bigquery.Client:
    """The official client pointed at an emulator, as the product's adapter is."""
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    return bigquery.Client(
        project=project,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=endpoint),
    )


def pubsub_clients(host: str) -> tuple[PublisherClient, SubscriberClient]:
    """Generated Pub/Sub clients on an insecure channel to an emulator at host:port."""
    import grpc
    from google.pubsub_v1 import PublisherClient, SubscriberClient
    from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport
    from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport

    return (
        PublisherClient(transport=PublisherGrpcTransport(channel=grpc.insecure_channel(host))),
        SubscriberClient(transport=SubscriberGrpcTransport(channel=grpc.insecure_channel(host))),
    )
