"""`EventPublisher` on Pub/Sub: one message per event, JSON data, filterable attributes.

Each publish waits at most `publish_timeout_s` (retries included): a chat must not hang on a
Pub/Sub outage, since its messages are already stored and the reconciler will publish them.
`PUBSUB_EMULATOR_HOST`, read by the client library, moves only the endpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import google.cloud.pubsub_v1 as pubsub_v1
from google.api_core import exceptions as gexc
from google.api_core import retry as retries

from shared.config import Settings
from shared.domain.errors import Unavailable
from shared.domain.events import Event
from shared.ports.event_bus import EventPublisher, ordering_key

log = logging.getLogger(__name__)


def topic_path(project: str, topic: str) -> str:
    return topic if topic.startswith("projects/") else f"projects/{project}/topics/{topic}"


def build_client(*, ordering: bool) -> pubsub_v1.PublisherClient:
    return pubsub_v1.PublisherClient(
        # The request waits for its events: the client's default 10 ms batching window
        # would be a third of a turn. A turn's events are published back to back, so 1 ms
        # still sends them in one RPC.
        batch_settings=pubsub_v1.types.BatchSettings(max_latency=0.001),
        publisher_options=pubsub_v1.types.PublisherOptions(enable_message_ordering=ordering),
    )


class PubSubEventPublisher(EventPublisher):
    def __init__(
        self,
        client: pubsub_v1.PublisherClient,
        topic: str,
        *,
        ordering: bool,
        timeout_s: float,
    ) -> None:
        """`client` publishes with message ordering exactly when `ordering` is set."""
        self._client = client
        self._topic = topic
        self._ordering = ordering
        self._timeout = timeout_s
        self._retry = retries.Retry(
            initial=0.1,
            maximum=1.0,
            multiplier=2.0,
            timeout=self._timeout,
            predicate=retries.if_exception_type(
                gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.InternalServerError
            ),
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> PubSubEventPublisher:
        return cls(
            build_client(ordering=settings.pubsub_ordering),
            topic_path(settings.project, settings.messages_topic),
            ordering=settings.pubsub_ordering,
            timeout_s=settings.publish_timeout_s,
        )

    def publish(self, events: Sequence[Event]) -> None:
        pending = []
        failure: BaseException | None = None
        for event in events:
            key = ordering_key(event) if self._ordering else ""
            try:
                future = self._client.publish(
                    self._topic,
                    event.model_dump_json().encode(),
                    ordering_key=key,
                    retry=self._retry,
                    timeout=self._timeout,
                    event_type=event.event_type,
                    event_id=event.event_id,
                    tenant_id=event.tenant_id,
                    schema_version=event.schema_version,
                )
                pending.append((event, key, future))
            except Exception as exc:  # e.g. a paused ordering key
                failure = failure or exc
                self._resume(key)
        published: list[str] = []
        for event, key, future in pending:
            try:
                future.result(timeout=self._timeout + 1.0)
                published.append(event.event_id)
            except Exception as exc:  # every failure means: not published (yet)
                failure = failure or exc
                self._resume(key)
        if failure is not None:
            raise Unavailable(
                f"Pub/Sub publish failed ({len(published)}/{len(events)} sent): {failure}",
                code="events_unavailable",
                published=published,
            ) from failure

    def _resume(self, key: str) -> None:
        if key:
            # An ordering key stays paused after a failure until resumed.
            self._client.resume_publish(self._topic, key)
