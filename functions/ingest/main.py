"""Ingest: Pub/Sub message events -> BigQuery rows and Vertex AI Vector Search datapoints.

Triggered by the messages topic: by Eventarc in the cloud, by a push subscription from the local
Pub/Sub emulator (functions-framework converts the push body into the same CloudEvent). The
ack/retry policy is `shared.event_function`'s; the work is `IngestService`'s.
"""

from __future__ import annotations

import functions_framework
from cloudevents.http import CloudEvent

from shared import event_function


@functions_framework.cloud_event
def ingest(cloud_event: CloudEvent) -> None:
    # Built on the first event and kept for the instance's life: BigQuery and Vertex clients
    # are imported there, not at cold start.
    from shared.bootstrap import services
    from shared.logs import configure

    service = services()
    configure(service.settings.log_level)
    event_function.handle(cloud_event, service.ingest.handle)
